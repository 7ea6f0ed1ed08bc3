package server

import (
	"context"
	"fmt"

	"github.com/ceap/ceap/internal/alarms"
	apicloudwatch "github.com/ceap/ceap/internal/api/cloudwatch"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/topics"
)

// wireCloudWatch builds the CloudWatch service (metrics queries, alarms and their evaluator,
// dashboards) on the store and the metrics recorder, with alarm actions published through SNS,
// and serves its API. It is wired after sns.
func wireCloudWatch(s *Server) error {
	ts := s.topicService()
	if ts == nil {
		return fmt.Errorf("cloudwatch needs the sns service wired first")
	}
	svc := alarms.New(alarms.Config{Store: s.store, Clock: s.clock, Topics: alarmTopics{ts}, Recorder: s.metrics, Region: s.cfg.Region,
		Log: s.log.With("component", "cloudwatch")})
	h, err := apicloudwatch.New(svc, s.log.With("component", "cloudwatch-api"))
	if err != nil {
		return err
	}
	s.handle(protocol.CloudWatch, h)
	s.component(protocol.CloudWatch, svc)
	return nil
}

// alarmTopics adapts the SNS service to alarms.Publisher.
type alarmTopics struct{ svc *topics.Service }

func (t alarmTopics) Publish(ctx context.Context, account, arn, subject, message string) error {
	_, err := t.svc.Publish(ctx, account, topics.PublishInput{TopicARN: arn, Subject: subject, Message: message})
	return err
}
