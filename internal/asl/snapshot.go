package asl

import "time"

// Execution statuses.
const (
	StatusRunning   = "RUNNING"
	StatusSucceeded = "SUCCEEDED"
	StatusFailed    = "FAILED"
	StatusTimedOut  = "TIMED_OUT"
	StatusAborted   = "ABORTED"
)

// Timer reasons carried by StartTimer.
const (
	TimerWait             = "wait"
	TimerRetry            = "retry"
	TimerTaskTimeout      = "task-timeout"
	TimerHeartbeatTimeout = "heartbeat-timeout"
	TimerExecutionTimeout = "execution-timeout"
)

// Context is what the driver knows of an execution; the $$ context object is built from it.
type Context struct {
	ExecutionID      string    `json:"executionId"`
	ExecutionName    string    `json:"executionName"`
	StateMachineID   string    `json:"stateMachineId"`
	StateMachineName string    `json:"stateMachineName"`
	RoleArn          string    `json:"roleArn,omitempty"`
	StartTime        time.Time `json:"startTime"`
	RedriveCount     int       `json:"redriveCount,omitempty"`
	// Seed makes the execution's randomness (retry jitter, task tokens, States.UUID) unique
	// and unguessable; drivers should draw it from crypto/rand. Zero derives a seed from the
	// execution id, which is deterministic but guessable.
	Seed uint64 `json:"seed,omitempty"`
}

// Snapshot is the whole state of an execution. It is plain JSON-serializable data, so a
// durable driver can store it after every Resume and continue on another node.
type Snapshot struct {
	Context     Context            `json:"context"`
	Input       any                `json:"input"`
	Seed        uint64             `json:"seed"`
	RandCount   uint64             `json:"randCount"`
	Status      string             `json:"status"`
	Output      any                `json:"output,omitempty"`
	Error       string             `json:"error,omitempty"`
	Cause       string             `json:"cause,omitempty"`
	LastEventID int64              `json:"lastEventId"`
	NextCommand int64              `json:"nextCommand"`
	NextThread  int                `json:"nextThread"`
	Threads     map[int]*Thread    `json:"threads"`
	Pending     map[string]Pending `json:"pending"`
}

// Pending records an outstanding command: the thread waiting for it and what it is.
type Pending struct {
	Thread int    `json:"thread"`
	Kind   string `json:"kind"` // "task", "read-items" or a timer reason
}

// Thread phases.
const (
	phaseEnter    = "ENTER"    // runnable: enter the current state
	phaseTask     = "TASK"     // waiting for a task result
	phaseItems    = "ITEMS"    // waiting for ReadItems
	phaseWrite    = "WRITE"    // waiting for WriteResults
	phaseRetry    = "RETRY"    // waiting for a retry timer
	phaseWait     = "WAIT"     // waiting for a Wait state's timer
	phaseChildren = "CHILDREN" // waiting for branches or iterations
	phaseDone     = "DONE"
)

// Thread is one line of execution: the top level, a Parallel branch or a Map iteration.
type Thread struct {
	ID      int       `json:"id"`
	Parent  int       `json:"parent,omitempty"` // 0 for the top level
	Index   int       `json:"index"`            // branch or iteration index
	State   string    `json:"state"`
	Phase   string    `json:"phase"`
	Status  string    `json:"status"`
	Input   any       `json:"input"`
	Entered time.Time `json:"entered"`
	// EnteredEvent is the id of the current state's StateEntered event.
	EnteredEvent int64          `json:"enteredEvent"`
	Attempts     []int          `json:"attempts,omitempty"` // retries used, per retrier
	Retries      int            `json:"retries,omitempty"`  // $$.State.RetryCount
	Command      string         `json:"command,omitempty"`  // outstanding task or read-items command
	Timers       []string       `json:"timers,omitempty"`   // outstanding timers
	Token        string         `json:"token,omitempty"`
	Started      bool           `json:"started,omitempty"`   // the task reported TaskStarted
	Heartbeat    int            `json:"heartbeat,omitempty"` // HeartbeatSeconds of the running task
	Effective    any            `json:"effective,omitempty"` // a Wait state's effective input
	Vars         map[string]any `json:"vars,omitempty"`
	Isolated     bool           `json:"isolated,omitempty"` // a distributed Map iteration: outer variables are not visible
	LastEvent    int64          `json:"lastEvent"`
	Output       any            `json:"output,omitempty"`
	Error        string         `json:"error,omitempty"`
	Cause        string         `json:"cause,omitempty"`
	Container    *Container     `json:"container,omitempty"`

	// inputJSON caches the JSON of Input when the previous state's exit already rendered it.
	inputJSON string
}

// Container is the bookkeeping of a running Parallel or Map state.
type Container struct {
	Input    any    `json:"input"` // effective input the items and ItemSelector read
	Items    []any  `json:"items,omitempty"`
	Slots    []Slot `json:"slots"`
	Launched int    `json:"launched"`
	Running  int    `json:"running"`
	Done     int    `json:"done"`
	Failures int    `json:"failures"`
	// LastIteration is the id of the latest MapIterationSucceeded event.
	LastIteration int64   `json:"lastIteration,omitempty"`
	MaxConc       int     `json:"maxConcurrency,omitempty"`
	Batched       bool    `json:"batched,omitempty"` // Items are ItemBatcher batches, already selected
	TolCount      int     `json:"toleratedCount"`    // -1 when not configured
	TolPercent    float64 `json:"toleratedPercent"`  // -1 when not configured
}

// Slot is one branch or iteration of a container.
type Slot struct {
	Thread int    `json:"thread,omitempty"`
	Status string `json:"status,omitempty"` // "", RUNNING, SUCCEEDED, FAILED, ABORTED
	Output any    `json:"output,omitempty"`
}

// Outcome is what Start, Resume and Redrive return.
type Outcome struct {
	Snapshot *Snapshot
	Events   []HistoryEvent
	Commands []Command
	Status   string
	Output   any
	Error    string
	Cause    string
}

// Command is an effect the driver must perform.
type Command interface {
	CommandID() string
}

// InvokeTask asks the driver to run a Task state's resource.
type InvokeTask struct {
	ID               string
	StateName        string
	Resource         string
	Parameters       any
	TimeoutSeconds   int
	HeartbeatSeconds int
	TaskToken        string // set for .waitForTaskToken resources
	Credentials      any
}

// StartTimer asks the driver to send TimerFired{ID} at FireAt.
type StartTimer struct {
	ID     string
	FireAt time.Time
	Reason string
}

// CancelTimer withdraws a timer.
type CancelTimer struct{ ID string }

// CancelTask abandons a running task; its result will be ignored.
type CancelTask struct{ ID string }

// ReadItems asks the driver to read a Map state's items with its ItemReader; the driver
// answers with TaskSucceeded{Output: []any} or TaskFailed.
type ReadItems struct {
	ID           string
	StateName    string
	Resource     string
	Parameters   any
	ReaderConfig any
}

// WriteResults asks the driver to write a Map state's results with its ResultWriter; the
// driver answers with TaskSucceeded{Output: the Map's result} or TaskFailed.
type WriteResults struct {
	ID           string
	StateName    string
	Resource     string
	Parameters   any
	WriterConfig any
	Results      []any
}

func (c WriteResults) CommandID() string { return c.ID }
func (c InvokeTask) CommandID() string   { return c.ID }
func (c StartTimer) CommandID() string   { return c.ID }
func (c CancelTimer) CommandID() string  { return c.ID }
func (c CancelTask) CommandID() string   { return c.ID }
func (c ReadItems) CommandID() string    { return c.ID }

// Event is what the driver feeds back to Resume.
type Event interface {
	isEvent()
}

// TaskStarted reports that the driver started the task of an InvokeTask command. WorkerName
// is recorded for activities.
type TaskStarted struct {
	ID         string
	WorkerName string
}

// TaskSubmitted reports the response of the start call of a .sync integration (for example
// glue:startJobRun.sync) while the driver waits for the job to finish.
type TaskSubmitted struct {
	ID     string
	Output any
}

// TaskSucceeded reports a task's (or ReadItems') result.
type TaskSucceeded struct {
	ID     string
	Output any
}

// TaskFailed reports a task's failure.
type TaskFailed struct {
	ID    string
	Error string
	Cause string
}

// TaskHeartbeat reports a heartbeat: the heartbeat timer is replaced by a new one.
type TaskHeartbeat struct{ ID string }

// TimerFired reports that a timer is due.
type TimerFired struct{ ID string }

// Stop is StopExecution: the execution ends ABORTED.
type Stop struct {
	Error string
	Cause string
}

func (TaskStarted) isEvent()   {}
func (TaskSucceeded) isEvent() {}
func (TaskSubmitted) isEvent() {}
func (TaskFailed) isEvent()    {}
func (TaskHeartbeat) isEvent() {}
func (TimerFired) isEvent()    {}
func (Stop) isEvent()          {}
