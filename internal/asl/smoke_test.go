package asl

import (
	"testing"
)

func TestSmokePassChain(t *testing.T) {
	t.Parallel()
	r := execute(t, `{"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"ResultPath":"$.a","Next":"B"},"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","Parameters":{"v.$":"$.a.x"},"End":true}}}`, `{"in":true}`, script{"B": {{Output: map[string]any{"ok": true}}}})
	if r.out.Status != StatusSucceeded {
		t.Fatalf("status %s %s %s", r.out.Status, r.out.Error, r.out.Cause)
	}
	t.Logf("%v", eventTypes(r.events))
	t.Logf("%#v", r.out.Output)
}
