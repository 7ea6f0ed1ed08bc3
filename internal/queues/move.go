package queues

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/store"
)

// Message move task limits (StartMessageMoveTask and ListMessageMoveTasks references).
const (
	// MaxMoveRate is the largest MaxNumberOfMessagesPerSecond, and the rate of a task without
	// one.
	MaxMoveRate = 500
	// MaxMoveTaskResults is the largest MaxResults of ListMessageMoveTasks.
	MaxMoveTaskResults = 10
)

// MoveTask is a message move task as ListMessageMoveTasks shows it.
type MoveTask struct {
	Handle        string // only for a running task
	Status        string
	SourceArn     string
	DestArn       string
	RatePerSecond int64
	Moved         int64
	ToMove        int64
	Failure       string
	Started       time.Time
}

func errTaskResource(format string, args ...any) error {
	return sqsError("ResourceNotFoundException", format, args...)
}

type taskHandle struct {
	TaskID    string `json:"taskId"`
	SourceArn string `json:"sourceArn"`
}

// StartMoveTask starts moving the messages of a dead-letter queue to destArn, or back to each
// message's source queue when destArn is "". rate 0 means the maximum.
func (s *Service) StartMoveTask(ctx context.Context, account, sourceArn, destArn string, rate int64) (string, error) {
	if sourceArn == "" {
		return "", errMissing("SourceArn")
	}
	if rate != 0 && (rate < 1 || rate > MaxMoveRate) {
		return "", errParamRange("MaxNumberOfMessagesPerSecond", rate, fmt.Sprintf("Must be between 1 and %d.", MaxMoveRate))
	}
	_, srcAccount, _, ok := ParseArn(sourceArn)
	if !ok || srcAccount != account {
		return "", errTaskResource("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	src, err := s.queueByArn(ctx, sourceArn)
	if err != nil {
		return "", err
	}
	if src == nil {
		return "", errTaskResource("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	sources, err := s.sourcesOf(ctx, src)
	if err != nil {
		return "", err
	}
	if len(sources) == 0 {
		return "", errInvalidParam("Source queue must be configured as a Dead Letter Queue.")
	}
	var destID int64
	if destArn != "" {
		_, dAccount, _, ok := ParseArn(destArn)
		dest, err := s.queueByArn(ctx, destArn)
		if err != nil {
			return "", err
		}
		if !ok || dAccount != account || dest == nil {
			return "", errTaskResource("The resource that you specified for the DestinationArn parameter doesn't exist.")
		}
		if dest.ID == src.ID {
			return "", errInvalidParam("Source queue arn and destination queue arn cannot be the same.")
		}
		if dest.FIFO != src.FIFO {
			return "", errInvalidParam("The destination queue must be the same type of queue as the source queue.")
		}
		destID = dest.ID
	}
	now := s.clock.Now()
	counts, err := s.store.QueueCounts(ctx, &store.QueueCountsParams{ID: src.ID, Now: store.Millis(now), RetainedAfter: store.Millis(src.retainedAfter(now))})
	if err != nil {
		return "", fmt.Errorf("count messages of %q: %w", src.Name, err)
	}
	b, _ := json.Marshal(taskHandle{TaskID: uuid.NewString(), SourceArn: sourceArn})
	h := base64.StdEncoding.EncodeToString(b)
	err = s.store.MoveTaskCreate(ctx, &store.MoveTask{Handle: h, SourceQueueID: src.ID, SourceArn: sourceArn, DestArn: destArn, DestQueueID: destID,
		RatePerSecond: rate, Status: store.MoveRunning, ToMove: counts.Visible, Started: store.Millis(now)})
	if errors.Is(err, store.ErrConflict) {
		return "", sqsError("UnsupportedOperation", "There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
	}
	if err != nil {
		return "", fmt.Errorf("start move task: %w", err)
	}
	return h, nil
}

// CancelMoveTask cancels a running task and returns how many messages it moved.
func (s *Service) CancelMoveTask(ctx context.Context, account, handle string) (int64, error) {
	if handle == "" {
		return 0, errMissing("TaskHandle")
	}
	t, err := s.store.MoveTaskGet(ctx, handle)
	if errors.Is(err, store.ErrNotFound) {
		return 0, errTaskResource("Task does not exist.")
	}
	if err != nil {
		return 0, fmt.Errorf("get move task: %w", err)
	}
	if _, a, _, _ := ParseArn(t.SourceArn); a != account {
		return 0, errTaskResource("Task does not exist.")
	}
	err = s.store.MoveTaskUpdate(ctx, &store.MoveTaskUpdateParams{Handle: handle, IfStatus: store.MoveRunning, Status: store.MoveCancelled})
	if errors.Is(err, store.ErrConflict) {
		return 0, errTaskResource("Task does not exist.")
	}
	if err != nil {
		return 0, fmt.Errorf("cancel move task: %w", err)
	}
	return t.Moved, nil
}

// ListMoveTasks returns the most recent tasks of a source queue, newest first (max 0: 1).
func (s *Service) ListMoveTasks(ctx context.Context, account, sourceArn string, max int) ([]*MoveTask, error) {
	if sourceArn == "" {
		return nil, errMissing("SourceArn")
	}
	if max == 0 {
		max = 1
	}
	if max < 1 || max > MaxMoveTaskResults {
		return nil, errParamRange("MaxResults", int64(max), fmt.Sprintf("Must be between 1 and %d.", MaxMoveTaskResults))
	}
	_, a, _, ok := ParseArn(sourceArn)
	src, err := s.queueByArn(ctx, sourceArn)
	if err != nil {
		return nil, err
	}
	if !ok || a != account || src == nil {
		return nil, errTaskResource("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	rows, err := s.store.MoveTaskList(ctx, &store.MoveTaskListParams{SourceQueueID: src.ID, Limit: max})
	if err != nil {
		return nil, fmt.Errorf("list move tasks: %w", err)
	}
	out := make([]*MoveTask, 0, len(rows))
	for _, r := range rows {
		t := &MoveTask{Status: r.Status, SourceArn: r.SourceArn, DestArn: r.DestArn, RatePerSecond: r.RatePerSecond, Moved: r.Moved,
			ToMove: r.ToMove, Failure: r.Failure, Started: store.FromMillis(r.Started)}
		if r.Status == store.MoveRunning {
			t.Handle = r.Handle
		}
		out = append(out, t)
	}
	return out, nil
}

// RunMoveTasks moves the next messages of every running task: at most its rate times the move
// interval. A task whose source is empty completes; one whose destination is gone fails.
func (s *Service) RunMoveTasks(ctx context.Context) error {
	tasks, err := s.store.MoveTaskList(ctx, &store.MoveTaskListParams{Status: store.MoveRunning})
	if err != nil {
		return fmt.Errorf("list running move tasks: %w", err)
	}
	var errs []error
	for _, t := range tasks {
		if err := s.runMoveTask(ctx, t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Service) runMoveTask(ctx context.Context, t *store.MoveTask) error {
	update := func(status string, moved int64, reason string) error {
		err := s.store.MoveTaskUpdate(ctx, &store.MoveTaskUpdateParams{Handle: t.Handle, IfStatus: store.MoveRunning, Status: status, AddMoved: moved, Failure: reason})
		if errors.Is(err, store.ErrConflict) {
			return nil // cancelled meanwhile
		}
		return err
	}
	if _, err := s.store.QueueGetByID(ctx, t.SourceQueueID); errors.Is(err, store.ErrNotFound) {
		return update(store.MoveFailed, 0, "AWS.SimpleQueueService.NonExistentQueue")
	}
	if t.DestQueueID != 0 {
		if _, err := s.store.QueueGetByID(ctx, t.DestQueueID); errors.Is(err, store.ErrNotFound) {
			return update(store.MoveFailed, 0, "AWS.SimpleQueueService.NonExistentQueue")
		}
	}
	rate := t.RatePerSecond
	if rate == 0 {
		rate = MaxMoveRate
	}
	max := int(float64(rate) * s.cfg.MoveInterval.Seconds())
	if max < 1 {
		max = 1
	}
	moved, err := s.store.MessagesMove(ctx, &store.MessagesMoveParams{QueueID: t.SourceQueueID, DestinationID: t.DestQueueID, Max: max, Now: store.Millis(s.clock.Now())})
	if err != nil {
		return fmt.Errorf("move messages of task %s: %w", t.Handle, err)
	}
	if moved > 0 {
		if t.DestQueueID != 0 {
			s.notify.notify(t.DestQueueID)
		} else {
			s.notifyAll()
		}
	}
	if moved < int64(max) {
		return update(store.MoveCompleted, moved, "")
	}
	return update(store.MoveRunning, moved, "")
}

// notifyAll wakes every long poll.
func (s *Service) notifyAll() {
	s.notify.mu.Lock()
	defer s.notify.mu.Unlock()
	for id, ch := range s.notify.chans {
		close(ch)
		delete(s.notify.chans, id)
	}
}
