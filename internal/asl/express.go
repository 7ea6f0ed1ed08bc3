package asl

import (
	"sort"
	"strings"
)

// State machine types.
const (
	TypeStandard = "STANDARD"
	TypeExpress  = "EXPRESS"
)

// ValidateType returns the ERROR diagnostics of features the given state machine type does not
// support: Express workflows cannot wait for a job (.sync) or a callback (.waitForTaskToken),
// run activities, or run a distributed Map. CreateStateMachine and UpdateStateMachine report
// them as InvalidDefinition, like the diagnostics of Compile.
func (p *Program) ValidateType(machineType string) []Diagnostic {
	if machineType != TypeExpress {
		return nil
	}
	names := make([]string, 0, len(p.states))
	for n := range p.states {
		names = append(names, n)
	}
	sort.Strings(names)
	d := &diags{}
	for _, n := range names {
		st := p.states[n]
		switch {
		case st.typ == typeTask && st.resourceKind == resourceActivity:
			d.errorf(CodeSchema, st.loc+"/Resource", "Express state machine does not support Activity ARN")
		case st.typ == typeTask && strings.Contains(st.integrationAction, ".sync"):
			d.errorf(CodeSchema, st.loc+"/Resource", "Express state machine does not support '.sync' service integration ")
		case st.typ == typeTask && st.waitForTaskToken:
			d.errorf(CodeSchema, st.loc+"/Resource", "Express state machine does not support '.waitForTaskToken' service integration ")
		case st.typ == typeMap && st.distributed:
			d.errorf(CodeSchema, st.loc+"/ItemProcessor/ProcessorConfig/Mode", "The field 'Mode' with value 'DISTRIBUTED' is not supported inside 'EXPRESS' state machines")
		}
	}
	return d.list
}
