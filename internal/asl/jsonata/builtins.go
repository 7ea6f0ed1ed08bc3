package jsonata

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"unicode/utf8"

	jsonatago "github.com/xiatechs/jsonata-go"
	"github.com/xiatechs/jsonata-go/jlib"
	"github.com/xiatechs/jsonata-go/jtypes"
)

// The library keeps its built-in functions in one process-wide environment, and evaluating a call
// writes the caller's name and context into the shared function value without synchronisation: two
// concurrent evaluations race, and a function that takes its first argument from the context (such
// as items.$uppercase()) can read the other evaluation's context. So every function an expression
// names is bound to a private instance, made from the definitions below (the same functions and
// argument handlers as the library's), and each evaluation takes a set of instances of its own.

// builtinExtension returns the definition of a JSONata built-in function.
func builtinExtension(name string) (jsonatago.Extension, bool) {
	undefinedArg := jtypes.ArgUndefined(0)
	noArgs := jtypes.ArgCountEquals(0)
	oneArg := jtypes.ArgCountEquals(1)
	ext := func(fn any, undefined, context jtypes.ArgHandler) (jsonatago.Extension, bool) {
		return jsonatago.Extension{Func: fn, UndefinedHandler: undefined, EvalContextHandler: context}, true
	}
	switch name {
	// String functions.
	case "string":
		return ext(jlib.String, undefinedArg, noArgs)
	case "length":
		return ext(utf8.RuneCountInString, undefinedArg, noArgs)
	case "substring":
		return ext(jlib.Substring, undefinedArg, numbersThenRest(1, 2))
	case "substringBefore":
		return ext(jlib.SubstringBefore, undefinedArg, oneString)
	case "substringAfter":
		return ext(jlib.SubstringAfter, undefinedArg, oneString)
	case "uppercase":
		return ext(strings.ToUpper, undefinedArg, noArgs)
	case "lowercase":
		return ext(strings.ToLower, undefinedArg, noArgs)
	case "pad":
		return ext(jlib.Pad, undefinedArg, padContext)
	case "trim":
		return ext(jlib.Trim, undefinedArg, noArgs)
	case "contains":
		return ext(jlib.Contains, undefinedArg, oneArg)
	case "split":
		return ext(jlib.Split, undefinedArg, splitContext)
	case "join":
		return ext(jlib.Join, undefinedArg, nil)
	case "match":
		return ext(jlib.Match, undefinedArg, matchContext)
	case "replace":
		return ext(jlib.Replace, undefinedArg, replaceContext)
	case "formatNumber":
		return ext(formatNumber, undefinedArg, formatNumberContext)
	case "formatBase":
		return ext(jlib.FormatBase, undefinedArg, noArgs)
	case "base64encode":
		return ext(jlib.Base64Encode, undefinedArg, noArgs)
	case "base64decode":
		return ext(jlib.Base64Decode, undefinedArg, noArgs)
	case "decodeUrl", "decodeUrlComponent":
		return ext(jlib.DecodeURL, undefinedArg, noArgs)
	case "encodeUrl":
		return ext(jlib.EncodeURL, undefinedArg, noArgs)
	case "encodeUrlComponent":
		return ext(jlib.EncodeURLComponent, undefinedArg, noArgs)
	// Number functions.
	case "number":
		return ext(jlib.Number, undefinedArg, noArgs)
	case "abs":
		return ext(math.Abs, undefinedArg, noArgs)
	case "floor":
		return ext(math.Floor, undefinedArg, noArgs)
	case "ceil":
		return ext(math.Ceil, undefinedArg, noArgs)
	case "round":
		return ext(jlib.Round, undefinedArg, noArgs)
	case "power":
		return ext(jlib.Power, undefinedArg, oneArg)
	case "sqrt":
		return ext(jlib.Sqrt, undefinedArg, noArgs)
	case "sum":
		return ext(jlib.Sum, undefinedArg, nil)
	case "max":
		return ext(jlib.Max, undefinedArg, nil)
	case "min":
		return ext(jlib.Min, undefinedArg, nil)
	case "average":
		return ext(jlib.Average, undefinedArg, nil)
	// Boolean functions.
	case "boolean":
		return ext(jlib.Boolean, undefinedArg, noArgs)
	case "not":
		return ext(jlib.Not, nil, noArgs)
	case "exists":
		return ext(jlib.Exists, nil, nil)
	// Array functions.
	case "distinct":
		return ext(jlib.Distinct, nil, nil)
	case "count":
		return ext(jlib.Count, nil, nil)
	case "reverse":
		return ext(jlib.Reverse, undefinedArg, nil)
	case "sort":
		return ext(jlib.Sort, undefinedArg, nil)
	case "shuffle":
		return ext(jlib.Shuffle, undefinedArg, nil)
	case "zip":
		return ext(jlib.Zip, nil, nil)
	case "append":
		return ext(jlib.Append, appendUndefined, nil)
	case "map":
		return ext(jlib.Map, undefinedArg, nil)
	case "filter":
		return ext(jlib.Filter, undefinedArg, nil)
	case "reduce":
		return ext(jlib.Reduce, undefinedArg, nil)
	case "single":
		return ext(single, undefinedArg, nil)
	// Object functions.
	case "each":
		return ext(eachSorted, undefinedArg, noArgs)
	case "sift":
		return ext(jlib.Sift, undefinedArg, oneArg)
	case "keys":
		return ext(keysSorted, undefinedArg, noArgs)
	case "lookup":
		return ext(lookupKey, undefinedArg, noArgs)
	case "spread":
		return ext(spreadSorted, undefinedArg, noArgs)
	case "merge":
		return ext(jlib.Merge, undefinedArg, nil)
	// Date functions ($now and $millis are bound by the library for each evaluation).
	case "fromMillis":
		return ext(jlib.FromMillis, undefinedArg, noArgs)
	case "toMillis":
		return ext(jlib.ToMillis, undefinedArg, noArgs)
	// Other functions.
	case "type":
		return ext(jlib.TypeOf, undefinedArg, noArgs)
	case "error":
		return ext(throw, nil, nil)
	}
	return jsonatago.Extension{}, false
}

// numbersThenRest takes the context as first argument when the call has only the trailing
// numeric arguments (as $substring(2) or $substring(2, 3) do).
func numbersThenRest(counts ...int) jtypes.ArgHandler {
	return func(argv []reflect.Value) bool {
		for _, n := range counts {
			if len(argv) == n {
				for _, a := range argv {
					if !jtypes.IsNumber(a) {
						return false
					}
				}
				return true
			}
		}
		return false
	}
}

func oneString(argv []reflect.Value) bool {
	return len(argv) == 1 && jtypes.IsString(argv[0])
}

func padContext(argv []reflect.Value) bool {
	switch len(argv) {
	case 1:
		return jtypes.IsNumber(argv[0])
	case 2:
		return jtypes.IsNumber(argv[0]) && jtypes.IsString(argv[1])
	}
	return false
}

func isStringOrCallable(v reflect.Value) bool {
	return jtypes.IsString(v) || jtypes.IsCallable(v)
}

func splitContext(argv []reflect.Value) bool {
	switch len(argv) {
	case 1:
		return isStringOrCallable(argv[0])
	case 2:
		return isStringOrCallable(argv[0]) && jtypes.IsNumber(argv[1])
	}
	return false
}

func matchContext(argv []reflect.Value) bool {
	switch len(argv) {
	case 1:
		return jtypes.IsCallable(argv[0])
	case 2:
		return jtypes.IsCallable(argv[0]) && jtypes.IsNumber(argv[1])
	}
	return false
}

func replaceContext(argv []reflect.Value) bool {
	switch len(argv) {
	case 2:
		return isStringOrCallable(argv[0]) && isStringOrCallable(argv[1])
	case 3:
		return isStringOrCallable(argv[0]) && isStringOrCallable(argv[1]) && jtypes.IsNumber(argv[2])
	}
	return false
}

func formatNumberContext(argv []reflect.Value) bool {
	return (len(argv) == 1 || len(argv) == 2) && jtypes.IsString(argv[0])
}

func appendUndefined(argv []reflect.Value) bool {
	return len(argv) == 2 && !argv[0].IsValid() && !argv[1].IsValid()
}

// lookupKey is $lookup(object, key): the value of key in an object, or the values of key in each
// object of an array.
func lookupKey(v reflect.Value, key string) (any, error) {
	n, err := normalize(valueInterface(v))
	if err != nil {
		return nil, err
	}
	switch x := n.(type) {
	case map[string]any:
		if val, ok := x[key]; ok {
			return val, nil
		}
	case []any:
		var out []any
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				if val, ok := m[key]; ok {
					out = append(out, val)
				}
			}
		}
		switch len(out) {
		case 0:
		case 1:
			return out[0], nil
		default:
			return out, nil
		}
	}
	return nil, jtypes.ErrUndefined
}

func valueInterface(v reflect.Value) any {
	if !v.IsValid() || !v.CanInterface() {
		return nil
	}
	return v.Interface()
}

// Decoded objects keep no member order, so the functions that list members ($keys, $each,
// $spread) list them in key order, where the library would use Go's random map order.

func keysSorted(v reflect.Value) (any, error) {
	n, err := normalize(valueInterface(v))
	if err != nil {
		return nil, err
	}
	var out []any
	seen := make(map[string]bool)
	add := func(m map[string]any) {
		for _, k := range slices.Sorted(maps.Keys(m)) {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	switch x := n.(type) {
	case map[string]any:
		add(x)
	case []any:
		for _, e := range x {
			if m, ok := e.(map[string]any); ok {
				add(m)
			}
		}
	}
	return sequence(out)
}

func eachSorted(v reflect.Value, fn jtypes.Callable) (any, error) {
	n, err := normalize(valueInterface(v))
	if err != nil {
		return nil, err
	}
	m, ok := n.(map[string]any)
	if !ok {
		return nil, errors.New("argument must be an object")
	}
	argc := fn.ParamCount()
	if argc < 1 || argc > 3 {
		return nil, errors.New("function must take 1, 2 or 3 arguments")
	}
	var out []any
	for _, k := range slices.Sorted(maps.Keys(m)) {
		argv := []reflect.Value{reflect.ValueOf(m[k]), reflect.ValueOf(k), reflect.ValueOf(m)}[:argc]
		res, err := fn.Call(argv)
		if err != nil {
			return nil, err
		}
		if res.IsValid() && res.CanInterface() {
			out = append(out, res.Interface())
		}
	}
	return sequence(out)
}

func spreadSorted(v reflect.Value) (any, error) {
	n, err := normalize(valueInterface(v))
	if err != nil {
		return nil, err
	}
	var out []any
	var spread func(any)
	spread = func(x any) {
		switch y := x.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(y)) {
				out = append(out, map[string]any{k: y[k]})
			}
		case []any:
			for _, e := range y {
				spread(e)
			}
		default:
			out = append(out, y)
		}
	}
	spread(n)
	return sequence(out)
}

// sequence returns a function result as JSONata does: nothing, the single value, or the array.
func sequence(out []any) (any, error) {
	switch len(out) {
	case 0:
		return nil, jtypes.ErrUndefined
	case 1:
		return out[0], nil
	}
	return out, nil
}

// single is $single(array[, function]): the one value of the array, or the one value that
// satisfies the function (the library requires the function).
func single(v reflect.Value, fn jtypes.OptionalCallable) (any, error) {
	if fn.IsSet() {
		return jlib.Single(v, fn.Callable)
	}
	n, err := normalize(valueInterface(v))
	if err != nil {
		return nil, err
	}
	a, isArray := n.([]any)
	if !isArray {
		return n, nil
	}
	if len(a) != 1 {
		return nil, fmt.Errorf("the array has %d values, $single expects exactly one", len(a))
	}
	return a[0], nil
}

// formatNumber refuses a picture without any digit sign, as JSONata does (the library would
// print the picture around the number).
func formatNumber(value float64, picture string, options jtypes.OptionalValue) (string, error) {
	main, _, _ := strings.Cut(picture, ";")
	if !strings.ContainsAny(main, "0123456789#") {
		return "", errors.New("the picture string must contain at least one digit sign")
	}
	return jlib.FormatNumber(value, picture, options)
}

func throw(msg string) (any, error) {
	return nil, errors.New(msg)
}
