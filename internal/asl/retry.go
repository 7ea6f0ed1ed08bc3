package asl

import (
	"math"
	"time"

	"github.com/ceap/ceap/internal/asl/fault"
)

// Retrier defaults and limits of the Amazon States Language.
const (
	defaultIntervalSeconds = 1
	defaultMaxAttempts     = 3
	defaultBackoffRate     = 2.0
	// maxRetryValue is the AWS upper bound on IntervalSeconds and MaxAttempts (99999999).
	maxRetryValue = 99999999
	// maxDelaySecondsLimit is the AWS bound on MaxDelaySeconds: below 31622401 (one year).
	maxDelaySecondsLimit = 31622401
)

// retrier is one element of a state's Retry array.
type retrier struct {
	errorEquals []string
	interval    float64
	maxAttempts int
	backoff     float64
	maxDelay    float64 // 0 means no cap
	jitterFull  bool
}

// catcher is one element of a state's Catch array.
type catcher struct {
	errorEquals []string
	next        string
	resultPath  optPath
	output      *expr
	assign      *expr
}

// errorMatches reports whether an ErrorEquals list matches the error name. States.ALL matches
// every error but the terminal States.Runtime and States.DataLimitExceeded; States.TaskFailed
// matches every error but States.Timeout and those terminal ones.
func errorMatches(equals []string, name string) bool {
	terminal := name == fault.Runtime || name == fault.DataLimitExceeded
	for _, e := range equals {
		switch {
		case e == name:
			return true
		case e == fault.All && !terminal:
			return true
		case e == fault.TaskFailed && !terminal && name != fault.Timeout:
			return true
		}
	}
	return false
}

// delay returns the wait before retry number attempt (0 for the first retry). u is a uniform
// random number in [0,1) used by the FULL jitter strategy.
func (r *retrier) delay(attempt int, u float64) time.Duration {
	secs := r.interval * math.Pow(r.backoff, float64(attempt))
	if r.maxDelay > 0 && secs > r.maxDelay {
		secs = r.maxDelay
	}
	if r.jitterFull {
		secs *= u
	}
	return time.Duration(secs * float64(time.Second))
}
