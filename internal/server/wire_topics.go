package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"time"

	apisns "github.com/ceap/ceap/internal/api/sns"
	"github.com/ceap/ceap/internal/funcs"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/queues"
	"github.com/ceap/ceap/internal/topics"
)

// snsHTTPTimeout bounds one http/https notification attempt (SNS waits 15 s for an endpoint).
const snsHTTPTimeout = 15 * time.Second

// wireTopics builds the SNS service on the SQS and Lambda services and an HTTP client, and serves
// its API. It is wired after sqs and lambda, and before events and states, which publish to it.
func wireTopics(s *Server) error {
	qs := s.queueService()
	if qs == nil {
		return fmt.Errorf("sns needs the sqs service wired first")
	}
	svc := topics.New(topics.Config{Store: s.store, Clock: s.clock, Metrics: s.metrics, Log: s.log.With("component", "sns"),
		Queues: topicQueues{qs}, Functions: lazyFunctions{s}, HTTP: httpPoster{&http.Client{Timeout: snsHTTPTimeout}}, Endpoint: s.URL()})
	h, err := apisns.New(svc, s.log.With("component", "sns-api"))
	if err != nil {
		return err
	}
	s.handle(protocol.SNS, h)
	s.component(protocol.SNS, svc)
	return nil
}

// topicService returns the wired SNS service (nil before wireTopics ran), for the services that
// publish to topics (EventBridge targets, Step Functions' sns:publish, alarm actions).
func (s *Server) topicService() *topics.Service {
	for _, c := range s.components {
		if svc, ok := c.c.(*topics.Service); ok {
			return svc
		}
	}
	return nil
}

// topicQueues adapts the SQS service to topics.QueueSender.
type topicQueues struct{ svc *queues.Service }

func (q topicQueues) Send(ctx context.Context, account, arn, body string, attrs map[string]topics.Attribute) error {
	ref, err := queueRef(account, arn)
	if err != nil {
		return err
	}
	var qa map[string]queues.Attribute
	if len(attrs) > 0 {
		qa = make(map[string]queues.Attribute, len(attrs))
		for k, a := range attrs {
			v := queues.Attribute{DataType: a.DataType, BinaryValue: a.BinaryValue}
			if a.BinaryValue == nil {
				sv := a.StringValue
				v.StringValue = &sv
			}
			qa[k] = v
		}
	}
	_, err = q.svc.Send(ctx, ref, account, queues.SendEntry{Body: body, Attributes: qa})
	return err
}

// lazyFunctions invokes functions through the Lambda service found at call time.
type lazyFunctions struct{ s *Server }

func (l lazyFunctions) InvokeAsync(ctx context.Context, account, arn string, payload []byte) error {
	svc := l.s.funcService()
	if svc == nil {
		return fmt.Errorf("the lambda service is not wired")
	}
	_, err := svc.Invoke(ctx, account, arn, payload, funcs.InvokeOptions{InvocationType: funcs.Event})
	return err
}

// httpPoster posts SNS notifications to http/https endpoints.
type httpPoster struct{ c *http.Client }

func (p httpPoster) Post(ctx context.Context, url string, headers map[string]string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("User-Agent", "Amazon Simple Notification Service Agent")
	resp, err := p.c.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}
