package states

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/ceap/ceap/internal/asl"
	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/store"
)

// activityDoc is a stored activity.
type activityDoc struct {
	ARN        string                   `json:"arn"`
	Name       string                   `json:"name"`
	Created    time.Time                `json:"created"`
	Encryption *EncryptionConfiguration `json:"encryption,omitempty"`
	Tags       []Tag                    `json:"tags,omitempty"`
}

// Activity is an activity.
type Activity struct {
	ARN        string
	Name       string
	Created    time.Time
	Encryption *EncryptionConfiguration
}

// CreateActivity creates an activity (idempotent for the same name).
func (s *Service) CreateActivity(ctx context.Context, c Caller, name string, tags []Tag, enc *EncryptionConfiguration) (*Activity, error) {
	if !validName(name) {
		return nil, invalidName(name)
	}
	if err := checkTags(tags); err != nil {
		return nil, err
	}
	now := s.now()
	d := &activityDoc{ARN: activityARN(c, name), Name: name, Created: now, Encryption: enc, Tags: tags}
	err := s.writeResources(ctx, &store.StateResourcesWriteParams{Puts: []*store.StateResource{{
		ARN: d.ARN, Account: c.Account, Kind: kindActivity, Key: name, Created: now.UnixMilli(), Doc: marshal(d),
	}}})
	if errors.Is(err, store.ErrAlreadyExists) {
		old := &activityDoc{}
		if _, err := s.getResource(ctx, d.ARN, old); err != nil {
			return nil, err
		}
		return &Activity{ARN: old.ARN, Name: old.Name, Created: old.Created, Encryption: old.Encryption}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("create activity %s: %w", name, err)
	}
	return &Activity{ARN: d.ARN, Name: name, Created: now, Encryption: enc}, nil
}

func (s *Service) loadActivity(ctx context.Context, c Caller, arn string) (*activityDoc, error) {
	a, ok := parseARN(arn)
	if !ok || a.Type != "activity" {
		return nil, invalidARN(arn)
	}
	d := &activityDoc{}
	if a.Account != c.Account {
		return nil, activityNotFound(arn)
	}
	if _, err := s.getResource(ctx, arn, d); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return nil, activityNotFound(arn)
		}
		return nil, err
	}
	return d, nil
}

// DescribeActivity returns an activity.
func (s *Service) DescribeActivity(ctx context.Context, c Caller, arn string) (*Activity, error) {
	d, err := s.loadActivity(ctx, c, arn)
	if err != nil {
		return nil, err
	}
	return &Activity{ARN: d.ARN, Name: d.Name, Created: d.Created, Encryption: d.Encryption}, nil
}

// DeleteActivity deletes an activity.
func (s *Service) DeleteActivity(ctx context.Context, c Caller, arn string) error {
	if a, ok := parseARN(arn); !ok || a.Type != "activity" {
		return invalidARN(arn)
	}
	return s.writeResources(ctx, &store.StateResourcesWriteParams{Deletes: []string{arn}})
}

// ListActivities lists the caller's activities by name.
func (s *Service) ListActivities(ctx context.Context, c Caller, max int, token string) (*ListPage, error) {
	return s.listResources(ctx, c, kindActivity, "", max, token)
}

// activityToken makes the task token of an activity task: it names the execution and the
// command, like the interpreter's .waitForTaskToken tokens, plus a random part.
func activityToken(execution, command string) string {
	var nonce [12]byte
	rand.Read(nonce[:])
	raw := execution + "\x00" + command + "\x00" + base64.RawURLEncoding.EncodeToString(nonce[:])
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// ActivityTask is what GetActivityTask hands a worker.
type ActivityTask struct {
	Token string
	Input string
}

// GetActivityTask long-polls (up to 60 s, or until ctx ends) for a task of the activity. It
// returns nil when none arrived.
func (s *Service) GetActivityTask(ctx context.Context, c Caller, arn, worker string) (*ActivityTask, error) {
	if _, err := s.loadActivity(ctx, c, arn); err != nil {
		return nil, err
	}
	deadline := s.clk.After(maxActivityPoll)
	for {
		signal := s.activityWait()
		t, err := s.st.ActivityTaskClaim(ctx, &store.ActivityTaskClaimParams{ActivityARN: arn, Worker: worker, Now: s.now().UnixMilli()})
		if err == nil {
			_, cmd, _ := asl.ParseTaskToken(t.Token)
			if err := s.update(ctx, t.ExecutionARN, nil, func(p *asl.Program, snap *asl.Snapshot, _ *execDoc) (*asl.Outcome, error) {
				if snap == nil {
					return nil, nil
				}
				out := p.Resume(snap, asl.TaskStarted{ID: cmd, WorkerName: worker}, s.now())
				return &out, nil
			}); err != nil {
				return nil, fmt.Errorf("start activity task: %w", err)
			}
			s.record(c.Account, "ActivitiesStarted", arn, 1, "Count")
			return &ActivityTask{Token: t.Token, Input: t.Input}, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		select {
		case <-signal:
		case <-s.clk.After(s.cfg.Poll):
		case <-deadline:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		case <-s.stop:
			return nil, nil
		case <-s.endPolls:
			return nil, nil
		}
	}
}

var (
	errTaskGone = errors.New("task gone")
)

// completeTask feeds the result of a callback (activity or .waitForTaskToken) to its execution.
func (s *Service) completeTask(ctx context.Context, c Caller, token string, ev func(id string) asl.Event) (activity string, err error) {
	execution, cmd, ok := asl.ParseTaskToken(token)
	if a, valid := parseARN(execution); !ok || !valid || a.Account != c.Account {
		return "", awserr.New("InvalidToken", "Invalid Token: 'Invalid token'")
	}
	if t, err := s.st.ActivityTaskGet(ctx, &store.ActivityTaskGetParams{ID: workID(execution, cmd)}); err == nil {
		if t.Token != token {
			return "", awserr.New("InvalidToken", "Invalid Token: 'Invalid token'")
		}
		activity = t.ActivityARN
	}
	err = s.update(ctx, execution, nil, func(p *asl.Program, snap *asl.Snapshot, _ *execDoc) (*asl.Outcome, error) {
		if snap == nil || snap.Status != asl.StatusRunning {
			return nil, errTaskGone
		}
		if _, ok := snap.Pending[cmd]; !ok {
			return nil, errTaskGone
		}
		out := p.Resume(snap, ev(cmd), s.now())
		return &out, nil
	})
	switch {
	case errors.Is(err, store.ErrNotFound):
		return "", awserr.New("TaskDoesNotExist", "Task Does Not Exist: 'Provided task does not exist anymore'")
	case errors.Is(err, errTaskGone):
		return "", awserr.New("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
	}
	return activity, err
}

// SendTaskSuccess completes a task with its output.
func (s *Service) SendTaskSuccess(ctx context.Context, c Caller, token, output string) error {
	v, err := decodeJSON(output)
	if err != nil {
		return awserr.New("InvalidOutput", "Invalid Output: '%v'", err)
	}
	if len(output) > maxInputBytes {
		return awserr.New("InvalidOutput", "Invalid Output: 'The output exceeds the maximum number of bytes service limit.'")
	}
	act, err := s.completeTask(ctx, c, token, func(id string) asl.Event { return asl.TaskSucceeded{ID: id, Output: v} })
	s.recordActivity(c, act, "ActivitiesSucceeded")
	return err
}

// SendTaskFailure fails a task.
func (s *Service) SendTaskFailure(ctx context.Context, c Caller, token, errName, cause string) error {
	act, err := s.completeTask(ctx, c, token, func(id string) asl.Event { return asl.TaskFailed{ID: id, Error: errName, Cause: cause} })
	s.recordActivity(c, act, "ActivitiesFailed")
	return err
}

// SendTaskHeartbeat resets a task's heartbeat timer.
func (s *Service) SendTaskHeartbeat(ctx context.Context, c Caller, token string) error {
	_, err := s.completeTask(ctx, c, token, func(id string) asl.Event { return asl.TaskHeartbeat{ID: id} })
	return err
}

// recordActivity records an activity metric for a completed activity task (tasks of
// .waitForTaskToken resources are not activities: activity is "").
func (s *Service) recordActivity(c Caller, activity, metric string) {
	if activity != "" {
		s.record(c.Account, metric, activity, 1, "Count")
	}
}
