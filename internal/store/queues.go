package store

import "context"

// QueueStore keeps SQS queues, their messages, FIFO deduplication records and message move tasks.
// Receiving is a claim: a message handed to one receiver is invisible to every other until its
// visibility timeout ends, on every driver and across nodes.
type QueueStore interface {
	// QueueCreate inserts a queue. It returns ErrAlreadyExists when a live queue has the name, and
	// ErrConflict when a queue of that name was deleted after p.DeletedBefore (AWS's 60-second
	// QueueDeletedRecently window). An older deleted queue of the name is replaced.
	QueueCreate(ctx context.Context, p *QueueCreateParams) (*Queue, error)
	// QueueGet returns a live queue by account and name (ErrNotFound otherwise).
	QueueGet(ctx context.Context, account, name string) (*Queue, error)
	// QueueGetByID returns a live queue by id (ErrNotFound otherwise).
	QueueGetByID(ctx context.Context, id int64) (*Queue, error)
	// QueueList returns live queues of an account (of every account when Account is "") whose
	// names start with Prefix and sort after After, by account and name, at most Limit.
	QueueList(ctx context.Context, p *QueueListParams) ([]*Queue, error)
	// QueueUpdate replaces a live queue's attributes and tags (ErrNotFound otherwise).
	QueueUpdate(ctx context.Context, p *QueueUpdateParams) error
	// QueuePurge records the purge time of a queue (the domain then deletes the messages sent
	// up to it with MessagesExpire, in slices). It returns ErrConflict when the previous purge
	// was after p.PurgedAfter.
	QueuePurge(ctx context.Context, p *QueuePurgeParams) error
	// QueueDelete marks a queue deleted at p.Now and deletes its dedup records and move tasks.
	// Its messages, unreachable from then on, are deleted by the domain with MessagesExpire in
	// slices.
	QueueDelete(ctx context.Context, p *QueueDeleteParams) error
	// QueueCounts counts a queue's messages by state at p.Now, ignoring those sent before
	// p.RetainedAfter.
	QueueCounts(ctx context.Context, p *QueueCountsParams) (*QueueCounts, error)

	// MessagesSend inserts messages, all in one transaction. For a FIFO queue each message with a
	// DedupID that was accepted within the deduplication window is not inserted; its entry in the
	// result carries the earlier message's id and sequence number and Duplicate set.
	MessagesSend(ctx context.Context, p *MessagesSendParams) ([]*SentMessage, error)
	// MessagesReceive claims up to p.Max visible messages in one statement, incrementing their
	// receive count and hiding them until p.VisibleAt. When p.MaxReceiveCount is set, claimed
	// messages whose count would pass it move to p.DeadLetterQueueID in the same transaction
	// instead of being returned. FIFO claims skip groups that have a message in flight and return
	// messages in sequence order.
	MessagesReceive(ctx context.Context, p *MessagesReceiveParams) (*ReceiveResult, error)
	// MessagesDelete deletes messages of a queue by id; ids that are already gone are ignored.
	MessagesDelete(ctx context.Context, p *MessagesDeleteParams) error
	// MessagesChangeVisibility sets the visibility of in-flight messages; each entry gets a
	// status.
	MessagesChangeVisibility(ctx context.Context, p *MessagesChangeVisibilityParams) ([]VisibilityStatus, error)
	// MessagesExpire deletes a queue's messages sent before p.SentBefore (at most p.Max of them
	// when it is set) and the dedup records that ended before p.Now. It returns how many
	// messages it deleted.
	MessagesExpire(ctx context.Context, p *MessagesExpireParams) (int64, error)
	// MessagesMove moves up to p.Max visible messages of a queue to p.DestinationID, or when it
	// is zero back to each message's original source queue, as new visible messages. It returns
	// how many moved.
	MessagesMove(ctx context.Context, p *MessagesMoveParams) (int64, error)

	// MoveTaskCreate inserts a move task; ErrConflict when its source has a RUNNING task.
	MoveTaskCreate(ctx context.Context, t *MoveTask) error
	// MoveTaskGet returns a task by handle.
	MoveTaskGet(ctx context.Context, handle string) (*MoveTask, error)
	// MoveTaskList returns the tasks of a source queue (all sources when SourceQueueID is 0) with
	// an optional status, newest first, at most Limit (0 = no limit).
	MoveTaskList(ctx context.Context, p *MoveTaskListParams) ([]*MoveTask, error)
	// MoveTaskUpdate writes a task's status and failure reason and adds to its moved counter
	// (so that nodes moving for one task never lose each other's counts). With p.IfStatus set it
	// updates only a task in that status (ErrConflict otherwise).
	MoveTaskUpdate(ctx context.Context, p *MoveTaskUpdateParams) error
}

// Queue is one queue's row. Attributes holds the settable SQS attributes by name as strings
// (absent means the default); the domain package interprets them.
type Queue struct {
	ID         int64
	Account    string
	Name       string
	FIFO       bool
	Attributes map[string]string
	Tags       map[string]string
	Created    int64
	Modified   int64
	PurgedAt   int64
}

// QueueCreateParams are the arguments of QueueCreate.
type QueueCreateParams struct {
	Account       string
	Name          string
	FIFO          bool
	Attributes    map[string]string
	Tags          map[string]string
	Now           int64
	DeletedBefore int64 // a queue deleted after this instant blocks the name
}

// QueueListParams are the arguments of QueueList.
type QueueListParams struct {
	Account string
	Prefix  string
	After   string
	Limit   int
}

// QueueUpdateParams are the arguments of QueueUpdate.
type QueueUpdateParams struct {
	ID         int64
	Attributes map[string]string
	Tags       map[string]string
	Now        int64
}

// QueuePurgeParams are the arguments of QueuePurge.
type QueuePurgeParams struct {
	ID          int64
	Now         int64
	PurgedAfter int64 // a purge recorded after this instant is still in progress
}

// QueueDeleteParams are the arguments of QueueDelete.
type QueueDeleteParams struct {
	ID  int64
	Now int64
}

// QueueCountsParams are the arguments of QueueCounts.
type QueueCountsParams struct {
	ID            int64
	Now           int64
	RetainedAfter int64
}

// QueueCounts are a queue's message counts: visible, in flight (received and hidden), delayed
// (never received and hidden), and the sent time of the oldest visible or in-flight message.
type QueueCounts struct {
	Visible    int64
	NotVisible int64
	Delayed    int64
	OldestSent int64
}

// Message is one message's row.
type Message struct {
	ID            int64 // row id; on FIFO queues also the sequence number
	QueueID       int64
	MessageID     string
	Body          string
	Attributes    []byte // encoded message attributes, opaque to the store
	SystemAttrs   []byte // encoded message system attributes, opaque to the store
	MD5Body       string
	MD5Attributes string
	SenderID      string
	SentAt        int64
	VisibleAt     int64
	ReceiveCount  int64
	FirstReceive  int64
	GroupID       string
	DedupID       string
	SourceQueueID int64 // the queue a dead-lettered message came from
}

// MessagesSendParams are the arguments of MessagesSend.
type MessagesSendParams struct {
	QueueID  int64
	Messages []*Message
	// DedupUntil is when the dedup records of these messages end (FIFO only).
	DedupUntil int64
	// DedupByGroup scopes deduplication to the message group (DeduplicationScope messageGroup).
	DedupByGroup bool
	Now          int64
}

// SentMessage is the result of one sent message.
type SentMessage struct {
	ID        int64
	MessageID string
	Duplicate bool
}

// MessagesReceiveParams are the arguments of MessagesReceive.
type MessagesReceiveParams struct {
	QueueID           int64
	FIFO              bool
	Max               int
	Now               int64
	VisibleAt         int64
	RetainedAfter     int64 // messages sent before are expired and never received
	MaxReceiveCount   int64 // 0: no redrive policy
	DeadLetterQueueID int64
}

// ReceiveResult is what MessagesReceive claimed.
type ReceiveResult struct {
	Messages []*Message
	// DeadLettered is how many claimed messages moved to the dead-letter queue.
	DeadLettered int
}

// MessagesDeleteParams are the arguments of MessagesDelete.
type MessagesDeleteParams struct {
	QueueID int64
	IDs     []int64
}

// VisibilityChange is one entry of MessagesChangeVisibility.
type VisibilityChange struct {
	ID        int64
	VisibleAt int64
}

// MessagesChangeVisibilityParams are the arguments of MessagesChangeVisibility.
type MessagesChangeVisibilityParams struct {
	QueueID int64
	Changes []VisibilityChange
	Now     int64
	// MaxAfterFirstReceive caps VisibleAt at FirstReceive plus this (ms; SQS's 12 hours).
	MaxAfterFirstReceive int64
}

// VisibilityStatus is the outcome of one visibility change.
type VisibilityStatus int

// Visibility change outcomes.
const (
	VisibilityChanged VisibilityStatus = iota
	VisibilityNotInflight
	VisibilityTooLong
	VisibilityGone
)

// MessagesExpireParams are the arguments of MessagesExpire.
type MessagesExpireParams struct {
	QueueID    int64
	SentBefore int64
	Now        int64
	Max        int // 0: no limit
}

// MessagesMoveParams are the arguments of MessagesMove.
type MessagesMoveParams struct {
	QueueID       int64
	DestinationID int64 // 0: each message's source queue
	Max           int
	Now           int64
}

// Move task statuses, as SQS names them.
const (
	MoveRunning    = "RUNNING"
	MoveCompleted  = "COMPLETED"
	MoveCancelling = "CANCELLING"
	MoveCancelled  = "CANCELLED"
	MoveFailed     = "FAILED"
)

// MoveTask is one message move task.
type MoveTask struct {
	Handle        string
	SourceQueueID int64
	SourceArn     string
	DestArn       string // "" for back to the original sources
	DestQueueID   int64
	RatePerSecond int64 // 0: as fast as possible
	Status        string
	Moved         int64
	ToMove        int64
	Failure       string
	Started       int64
}

// MoveTaskListParams are the arguments of MoveTaskList.
type MoveTaskListParams struct {
	SourceQueueID int64
	Status        string
	Limit         int
}

// MoveTaskUpdateParams are the arguments of MoveTaskUpdate.
type MoveTaskUpdateParams struct {
	Handle   string
	IfStatus string
	Status   string
	AddMoved int64 // added to the task's moved counter
	Failure  string
}

// VisibilityStatusOf decides the outcome of a visibility change from a message's row (gone when
// there is none), so that every driver decides alike.
func VisibilityStatusOf(gone bool, visibleAt, receiveCount, firstReceive, newVisibleAt, now, maxAfterFirst int64) VisibilityStatus {
	switch {
	case gone:
		return VisibilityGone
	case receiveCount == 0 || visibleAt <= now:
		return VisibilityNotInflight
	case maxAfterFirst > 0 && newVisibleAt > firstReceive+maxAfterFirst:
		return VisibilityTooLong
	}
	return VisibilityChanged
}
