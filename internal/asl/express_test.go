package asl

import (
	"errors"
	"testing"
)

func TestValidateTypeExpress(t *testing.T) {
	t.Parallel()
	p := mustCompile(t, ceapStandard)
	if d := p.ValidateType(TypeStandard); len(d) != 0 {
		t.Fatalf("standard: %v", d)
	}
	d := p.ValidateType(TypeExpress)
	if len(d) != 1 || d[0].Code != CodeSchema || d[0].Location != "/States/HeavyETLTask/Resource" {
		t.Fatalf("express with a Glue .sync stage: %v", d)
	}
	err := error(&DefinitionError{Diagnostics: d})
	var de *DefinitionError
	if !errors.As(err, &de) || de.Error() != "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Express state machine does not support '.sync' service integration  at /States/HeavyETLTask/Resource'" {
		t.Fatalf("message %v", err)
	}
	ok := mustCompile(t, `{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}}`)
	if d := ok.ValidateType(TypeExpress); len(d) != 0 {
		t.Fatalf("express lambda:invoke: %v", d)
	}
}
