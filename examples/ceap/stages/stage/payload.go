package stage

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Payload is what a stage's Task sends to its function. It carries no stage data.
type Payload struct {
	// ExecutionID is the data id of the run: the execution's name, or the resumed execution's.
	ExecutionID string `json:"executionId"`
	// CurrentStage is the Task state's name, which is also its output folder.
	CurrentStage string `json:"currentStage"`
	// PreviousStage is the preceding state's name, or empty (JSON null) for the first stage.
	PreviousStage string `json:"previousStage"`
	// WorkflowBucket is the bucket holding the run's data.
	WorkflowBucket string `json:"workflowBucket"`
	// InitialData is the execution input, for the first stage only (JSON null after).
	InitialData json.RawMessage `json:"initialData"`
}

// Result is the small answer a stage returns; the Task's ResultPath null discards it.
type Result struct {
	Status           string `json:"status"`
	Stage            string `json:"stage"`
	RecordsProcessed int    `json:"recordsProcessed"`
}

// StatusSuccess is the status of a stage that wrote its output.
const StatusSuccess = "SUCCESS"

// OutputKey is where a stage of an execution writes its output document.
func OutputKey(executionID, stage string) string {
	return "executions/" + executionID + "/" + stage + "/output.json"
}

func (p Payload) validate() error {
	switch {
	case p.ExecutionID == "":
		return &InvalidPayload{Field: "executionId"}
	case p.CurrentStage == "":
		return &InvalidPayload{Field: "currentStage"}
	case p.WorkflowBucket == "":
		return &InvalidPayload{Field: "workflowBucket"}
	}
	return nil
}

// sqsRecord is the part of an SQS record, as a pipe delivers it, that a stage reads.
type sqsRecord struct {
	MessageID string  `json:"messageId"`
	Body      *string `json:"body"`
}

// Message turns the execution input into the message the first stage works on. A direct
// StartExecution gives the message object itself; a pipe gives an array of SQS records, whose
// first record's body holds the message as JSON text. A missing input is the empty message.
func Message(initialData json.RawMessage) (json.RawMessage, error) {
	data := bytes.TrimSpace(initialData)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return json.RawMessage("{}"), nil
	}
	if data[0] != '[' {
		if !json.Valid(data) {
			return nil, &InvalidJSON{What: "initialData", Err: errNotJSON}
		}
		return json.RawMessage(data), nil
	}
	var records []sqsRecord
	if err := json.Unmarshal(data, &records); err != nil {
		return nil, &InvalidJSON{What: "initialData records", Err: err}
	}
	if len(records) == 0 {
		return json.RawMessage("{}"), nil
	}
	if records[0].Body == nil {
		return nil, &InvalidJSON{What: "initialData records", Err: errNoBody}
	}
	body := bytes.TrimSpace([]byte(*records[0].Body))
	if len(body) == 0 {
		return json.RawMessage("{}"), nil
	}
	if !json.Valid(body) {
		return nil, &InvalidJSON{What: fmt.Sprintf("body of message %s", records[0].MessageID), Err: errNotJSON}
	}
	return json.RawMessage(body), nil
}

// control holds the fields of a message that steer every stage, carried forward in outputs.
type control struct {
	Test   bool   `json:"test"`
	FailAt string `json:"failAt"`
}

// readControl reads the control fields of a document. Only JSON objects carry them; a document
// of another kind (an array, a string) steers nothing.
func readControl(doc json.RawMessage) (control, error) {
	var c control
	trimmed := bytes.TrimSpace(doc)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		if !json.Valid(trimmed) {
			return c, errNotJSON
		}
		return c, nil
	}
	var raw struct {
		Test   json.RawMessage `json:"test"`
		FailAt json.RawMessage `json:"failAt"`
	}
	if err := json.Unmarshal(trimmed, &raw); err != nil {
		return c, err
	}
	// A test flag or failAt of another type is ignored rather than failing the run.
	_ = json.Unmarshal(raw.Test, &c.Test)
	_ = json.Unmarshal(raw.FailAt, &c.FailAt)
	return c, nil
}
