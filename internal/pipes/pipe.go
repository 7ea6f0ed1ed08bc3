package pipes

import (
	"encoding/json"
	"time"
)

// Pipe states (the PipeState and RequestedPipeState enums of the Pipes API).
const (
	StateRunning  = "RUNNING"
	StateStopped  = "STOPPED"
	StateCreating = "CREATING"
	StateUpdating = "UPDATING"
	StateDeleting = "DELETING"
	StateStarting = "STARTING"
	StateStopping = "STOPPING"
	// StateDeleted is the desired state that DescribePipe reports for a pipe being deleted.
	StateDeleted = "DELETED"
)

// Invocation types of a Step Functions target.
const (
	RequestResponse = "REQUEST_RESPONSE"
	FireAndForget   = "FIRE_AND_FORGET"
)

// Pipe is one pipe, as DescribePipe shows it.
type Pipe struct {
	Account          string
	Region           string
	Name             string
	ARN              string
	Description      string
	DesiredState     string
	CurrentState     string
	StateReason      string
	Source           string
	SourceParameters SourceParameters
	Enrichment       string
	Target           string
	TargetParameters TargetParameters
	RoleARN          string
	Tags             map[string]string
	Created          time.Time
	Modified         time.Time
}

// SourceParameters are a pipe's source settings.
type SourceParameters struct {
	FilterCriteria     *FilterCriteria `json:",omitempty"`
	SqsQueueParameters *SQSParameters  `json:",omitempty"`
}

// FilterCriteria selects the messages that a pipe delivers; the others are deleted unread.
type FilterCriteria struct {
	Filters []Filter `json:",omitempty"`
}

// Filter is one event pattern.
type Filter struct {
	Pattern *string `json:",omitempty"`
}

// SQSParameters are the settings of an SQS source.
type SQSParameters struct {
	BatchSize                      *int32 `json:",omitempty"`
	MaximumBatchingWindowInSeconds *int32 `json:",omitempty"`
}

// TargetParameters are a pipe's target settings.
type TargetParameters struct {
	InputTemplate                      *string                 `json:",omitempty"`
	StepFunctionStateMachineParameters *StateMachineParameters `json:",omitempty"`
}

// StateMachineParameters are the settings of a Step Functions target.
type StateMachineParameters struct {
	InvocationType string `json:",omitempty"`
}

// spec is what the store keeps as a pipe's definition.
type spec struct {
	Region           string
	Description      string `json:",omitempty"`
	SourceParameters SourceParameters
	Enrichment       string `json:",omitempty"`
	TargetParameters TargetParameters
	RoleARN          string
}

func (p *Pipe) spec() []byte {
	b, _ := json.Marshal(spec{Region: p.Region, Description: p.Description, SourceParameters: p.SourceParameters, Enrichment: p.Enrichment, TargetParameters: p.TargetParameters, RoleARN: p.RoleARN})
	return b
}

func (p *Pipe) batchSize() int {
	if q := p.SourceParameters.SqsQueueParameters; q != nil && q.BatchSize != nil {
		return int(*q.BatchSize)
	}
	return DefaultBatchSize
}

func (p *Pipe) batchingWindow() time.Duration {
	if q := p.SourceParameters.SqsQueueParameters; q != nil && q.MaximumBatchingWindowInSeconds != nil {
		return time.Duration(*q.MaximumBatchingWindowInSeconds) * time.Second
	}
	return 0
}

func (p *Pipe) invocationType() string {
	if t := p.TargetParameters.StepFunctionStateMachineParameters; t != nil && t.InvocationType != "" {
		return t.InvocationType
	}
	return RequestResponse
}
