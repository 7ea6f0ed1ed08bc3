package jsonpath

import (
	"errors"
	"fmt"
	"math"
)

// ErrFunction is wrapped when a path function cannot be applied to what the path selected.
var ErrFunction = errors.New("path function cannot be applied")

// function is a Jayway path function that ends a path, such as $.items.length().
type function uint8

const (
	fnNone function = iota
	fnLength
	fnMin
	fnMax
	fnAvg
	fnSum
	fnStddev
	fnFirst
	fnLast
	fnKeys
)

func functionByName(name string) (function, bool) {
	switch name {
	case "length", "size":
		return fnLength, true
	case "min":
		return fnMin, true
	case "max":
		return fnMax, true
	case "avg":
		return fnAvg, true
	case "sum":
		return fnSum, true
	case "stddev":
		return fnStddev, true
	case "first":
		return fnFirst, true
	case "last":
		return fnLast, true
	case "keys":
		return fnKeys, true
	}
	return fnNone, false
}

func (f function) String() string {
	return [...]string{"", "length", "min", "max", "avg", "sum", "stddev", "first", "last", "keys"}[f]
}

func (f function) apply(v any) (any, error) {
	switch f {
	case fnLength:
		switch x := v.(type) {
		case []any:
			return float64(len(x)), nil
		case map[string]any:
			return float64(len(x)), nil
		case string:
			return float64(len([]rune(x))), nil
		}
	case fnFirst, fnLast:
		if a, ok := v.([]any); ok && len(a) > 0 {
			if f == fnFirst {
				return a[0], nil
			}
			return a[len(a)-1], nil
		}
	case fnKeys:
		if m, ok := v.(map[string]any); ok {
			keys := sortedKeys(m)
			out := make([]any, len(keys))
			for i, k := range keys {
				out[i] = k
			}
			return out, nil
		}
	case fnMin, fnMax, fnAvg, fnSum, fnStddev:
		return numeric(f, v)
	}
	return nil, fmt.Errorf("%s(): %w to %s", f, ErrFunction, typeName(v))
}

// numeric applies an aggregate function to the numbers of an array (Jayway ignores the rest;
// an array without numbers is an error).
func numeric(f function, v any) (any, error) {
	a, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s(): %w to %s", f, ErrFunction, typeName(v))
	}
	var nums []float64
	for _, e := range a {
		if n, ok := e.(float64); ok {
			nums = append(nums, n)
		}
	}
	if len(nums) == 0 {
		return nil, fmt.Errorf("%s(): %w to an array without numbers", f, ErrFunction)
	}
	sum := 0.0
	lo, hi := nums[0], nums[0]
	for _, n := range nums {
		sum += n
		lo, hi = min(lo, n), max(hi, n)
	}
	mean := sum / float64(len(nums))
	switch f {
	case fnMin:
		return lo, nil
	case fnMax:
		return hi, nil
	case fnSum:
		return sum, nil
	case fnAvg:
		return mean, nil
	}
	variance := 0.0
	for _, n := range nums {
		variance += (n - mean) * (n - mean)
	}
	return math.Sqrt(variance / float64(len(nums))), nil
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case float64:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}
