package asl

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// historyEventMembers returns the members of the HistoryEvent shape in botocore's
// stepfunctions/2016-11-23 service model.
func historyEventMembers() []string {
	return []string{
		"timestamp", "type", "id", "previousEventId", "activityFailedEventDetails",
		"activityScheduleFailedEventDetails", "activityScheduledEventDetails",
		"activityStartedEventDetails", "activitySucceededEventDetails", "activityTimedOutEventDetails",
		"taskFailedEventDetails", "taskScheduledEventDetails", "taskStartFailedEventDetails",
		"taskStartedEventDetails", "taskSubmitFailedEventDetails", "taskSubmittedEventDetails",
		"taskSucceededEventDetails", "taskTimedOutEventDetails", "executionFailedEventDetails",
		"executionStartedEventDetails", "executionSucceededEventDetails", "executionAbortedEventDetails",
		"executionTimedOutEventDetails", "executionRedrivenEventDetails", "mapStateStartedEventDetails",
		"mapIterationStartedEventDetails", "mapIterationSucceededEventDetails",
		"mapIterationFailedEventDetails", "mapIterationAbortedEventDetails",
		"lambdaFunctionFailedEventDetails", "lambdaFunctionScheduleFailedEventDetails",
		"lambdaFunctionScheduledEventDetails", "lambdaFunctionStartFailedEventDetails",
		"lambdaFunctionSucceededEventDetails", "lambdaFunctionTimedOutEventDetails",
		"stateEnteredEventDetails", "stateExitedEventDetails", "mapRunStartedEventDetails",
		"mapRunFailedEventDetails", "mapRunRedrivenEventDetails", "evaluationFailedEventDetails",
	}
}

func TestHistoryEventHasTheWireShape(t *testing.T) {
	t.Parallel()
	var got []string
	typ := reflect.TypeFor[HistoryEvent]()
	for i := range typ.NumField() {
		name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
		got = append(got, name)
	}
	slices.Sort(got)
	want := historyEventMembers()
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("HistoryEvent members\n got %v\nwant %v", got, want)
	}
}
