package asl

import (
	"fmt"
	"strings"
)

// Diagnostic codes that ValidateStateMachineDefinition and CreateStateMachine report.
const (
	CodeInvalidJSON        = "INVALID_JSON_DESCRIPTION"
	CodeMissingDescription = "MISSING_DESCRIPTION"
	CodeSchema             = "SCHEMA_VALIDATION_FAILED"
	CodeInvalidResource    = "INVALID_RESOURCE"
	CodeMissingEndState    = "MISSING_END_STATE"
	CodeDuplicateStateName = "DUPLICATE_STATE_NAME"
	CodeInvalidStateName   = "INVALID_STATE_NAME"
	CodeMissingTransition  = "MISSING_TRANSITION_TARGET"
	CodeTooDeeplyNested    = "TOO_DEEPLY_NESTED"
	// AWS reports an unreachable state under MISSING_TRANSITION_TARGET with the message
	// `State "X" is not reachable.`; CodeUnreachableState names that case for readers.
	CodeUnreachableState = CodeMissingTransition

	// Warnings.
	CodeNoDollar          = "NO_DOLLAR"
	CodeNoPath            = "NO_PATH"
	CodePassResultStatic  = "PASS_RESULT_IS_STATIC"
	SeverityError         = "ERROR"
	SeverityWarning       = "WARNING"
	invalidDefinitionHead = "Invalid State Machine Definition: "
)

// Diagnostic is one finding of validation, shaped like ValidateStateMachineDefinitionDiagnostic.
type Diagnostic struct {
	Severity string `json:"severity"`
	Code     string `json:"code"`
	Message  string `json:"message"`
	Location string `json:"location,omitempty"`
}

// String renders the diagnostic as AWS does inside an InvalidDefinition message:
// "CODE: message at /location".
func (d Diagnostic) String() string {
	if d.Location == "" {
		return d.Code + ": " + d.Message
	}
	return d.Code + ": " + d.Message + " at " + d.Location
}

// DefinitionError is returned by Compile for an invalid definition. It holds the ERROR
// diagnostics; its message is the one CreateStateMachine returns as InvalidDefinition:
// "Invalid State Machine Definition: 'CODE: message at /location, CODE: ...'".
type DefinitionError struct {
	Diagnostics []Diagnostic
}

func (e *DefinitionError) Error() string {
	parts := make([]string, len(e.Diagnostics))
	for i, d := range e.Diagnostics {
		parts[i] = d.String()
	}
	return invalidDefinitionHead + "'" + strings.Join(parts, ", ") + "'"
}

// diags collects diagnostics during compilation.
type diags struct {
	list []Diagnostic
}

func (d *diags) errorf(code, loc, format string, args ...any) {
	d.list = append(d.list, Diagnostic{Severity: SeverityError, Code: code, Message: fmt.Sprintf(format, args...), Location: loc})
}

func (d *diags) warnf(code, loc, format string, args ...any) {
	d.list = append(d.list, Diagnostic{Severity: SeverityWarning, Code: code, Message: fmt.Sprintf(format, args...), Location: loc})
}

func (d *diags) errors() []Diagnostic {
	var out []Diagnostic
	for _, x := range d.list {
		if x.Severity == SeverityError {
			out = append(out, x)
		}
	}
	return out
}

// Validate checks a definition and returns every diagnostic, errors and warnings, for
// ValidateStateMachineDefinition. An empty result means the definition is valid.
func Validate(definition string) []Diagnostic {
	_, d := compile(definition)
	return d.list
}

// Compile parses and validates a definition into an immutable Program. An invalid definition
// yields a *DefinitionError.
func Compile(definition string) (*Program, error) {
	p, d := compile(definition)
	if errs := d.errors(); len(errs) > 0 {
		return nil, &DefinitionError{Diagnostics: errs}
	}
	return p, nil
}
