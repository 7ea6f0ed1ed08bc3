package states

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/ceap/ceap/internal/awserr"
)

const (
	// maxNameLength is the Step Functions limit on state machine, execution, activity and alias
	// names: 80 characters.
	maxNameLength = 80
	// maxTags is the Step Functions limit on tags per resource: 50.
	maxTags = 50
	// maxInputBytes is the Step Functions limit on execution input: 256 KiB of UTF-8.
	maxInputBytes = 256 * 1024
	// maxPageSize is the largest maxResults of the List operations: 1000.
	maxPageSize = 1000
	// defaultPageSize is the page size when maxResults is 0: 100.
	defaultPageSize = 100
)

// Resource kinds in the store.
const (
	kindMachine  = "stateMachine"
	kindRevision = "revision"
	kindVersion  = "version"
	kindAlias    = "alias"
	kindActivity = "activity"
)

// arnParts is a parsed Step Functions ARN.
type arnParts struct {
	Partition, Region, Account string
	Type                       string // stateMachine, execution, express, activity
	Name                       string // state machine or activity name
	Qualifier                  string // version number or alias name (stateMachine); execution name
	Extra                      string // express execution id
}

func parseARN(arn string) (arnParts, bool) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "states" || parts[3] == "" || parts[4] == "" {
		return arnParts{}, false
	}
	a := arnParts{Partition: parts[1], Region: parts[3], Account: parts[4], Type: parts[5], Name: parts[6]}
	switch a.Type {
	case "stateMachine":
		if len(parts) > 8 {
			return arnParts{}, false
		}
		if len(parts) == 8 {
			a.Qualifier = parts[7]
		}
	case "activity":
		if len(parts) != 7 {
			return arnParts{}, false
		}
	case "execution":
		if len(parts) != 8 {
			return arnParts{}, false
		}
		a.Qualifier = parts[7]
	case "express":
		if len(parts) != 9 {
			return arnParts{}, false
		}
		a.Qualifier, a.Extra = parts[7], parts[8]
	default:
		return arnParts{}, false
	}
	if a.Name == "" {
		return arnParts{}, false
	}
	return a, true
}

func machineARN(c Caller, name string) string {
	return "arn:aws:states:" + c.Region + ":" + c.Account + ":stateMachine:" + name
}

func activityARN(c Caller, name string) string {
	return "arn:aws:states:" + c.Region + ":" + c.Account + ":activity:" + name
}

// baseMachine returns the unqualified state machine ARN of a parsed stateMachine ARN.
func (a arnParts) baseMachine() string {
	return "arn:" + a.Partition + ":states:" + a.Region + ":" + a.Account + ":stateMachine:" + a.Name
}

// isVersion reports whether a stateMachine ARN's qualifier is a version number.
func (a arnParts) isVersion() bool {
	if a.Qualifier == "" {
		return false
	}
	_, err := strconv.Atoi(a.Qualifier)
	return err == nil
}

// validName checks a resource name as Step Functions does: 1-80 characters, no whitespace,
// brackets, wildcards, special characters or control characters.
func validName(name string) bool {
	if name == "" || len([]rune(name)) > maxNameLength {
		return false
	}
	for _, r := range name {
		if unicode.IsSpace(r) || r <= 0x1f || (r >= 0x7f && r <= 0x9f) || strings.ContainsRune("<>{}[]?*\"#%\\^|~`$&,;:/", r) {
			return false
		}
	}
	return true
}

func invalidName(name string) *awserr.Error {
	return awserr.New("InvalidName", "Invalid Name: '%s'", name)
}

func invalidARN(arn string) *awserr.Error {
	return awserr.New("InvalidArn", "Invalid Arn: '%s'", arn)
}

func machineNotFound(arn string) *awserr.Error {
	return awserr.New("StateMachineDoesNotExist", "State Machine Does Not Exist: '%s'", arn)
}

func executionNotFound(arn string) *awserr.Error {
	return awserr.New("ExecutionDoesNotExist", "Execution Does Not Exist: '%s'", arn)
}

func activityNotFound(arn string) *awserr.Error {
	return awserr.New("ActivityDoesNotExist", "Activity Does Not Exist: '%s'", arn)
}

func resourceNotFound(arn string) *awserr.Error {
	return awserr.New("ResourceNotFound", "Resource not found: '%s'", arn)
}

// checkMachineARN parses a state machine ARN (qualified or not) of the caller's account.
func checkMachineARN(c Caller, arn string) (arnParts, error) {
	a, ok := parseARN(arn)
	if !ok || a.Type != "stateMachine" {
		return arnParts{}, invalidARN(arn)
	}
	if a.Account != c.Account {
		return arnParts{}, machineNotFound(arn)
	}
	return a, nil
}

// pageLimit checks maxResults.
func pageLimit(n int) (int, error) {
	if n < 0 || n > maxPageSize {
		return 0, awserr.Validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to %d", n, maxPageSize)
	}
	if n == 0 {
		return defaultPageSize, nil
	}
	return n, nil
}
