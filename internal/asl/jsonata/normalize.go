package jsonata

import (
	"errors"
	"fmt"
	"math"
	"reflect"
)

// errNotJSON is wrapped when an expression produces something JSON cannot hold, such as a
// function.
var errNotJSON = errors.New("the result is not a JSON value")

// normalize converts a value produced by the library to the encoding/json model: float64 numbers,
// []any arrays and map[string]any objects. Values already in that model are returned as they are,
// without copying.
func normalize(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return v, nil
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return nil, fmt.Errorf("%v: %w", x, errNotJSON)
		}
		return v, nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case []any:
		for i, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			if !same(e, n) {
				out := make([]any, len(x))
				copy(out, x[:i])
				out[i] = n
				for j := i + 1; j < len(x); j++ {
					if out[j], err = normalize(x[j]); err != nil {
						return nil, err
					}
				}
				return out, nil
			}
		}
		return v, nil
	case map[string]any:
		for _, e := range x {
			n, err := normalize(e)
			if err != nil {
				return nil, err
			}
			if !same(e, n) {
				out := make(map[string]any, len(x))
				for k2, e2 := range x {
					if out[k2], err = normalize(e2); err != nil {
						return nil, err
					}
				}
				return out, nil
			}
		}
		return v, nil
	}
	return normalizeReflect(reflect.ValueOf(v))
}

// same reports whether normalize left a value unchanged, comparing containers by identity.
func same(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	case float64, bool, string, nil:
		return a == b
	}
	return false
}

func normalizeReflect(v reflect.Value) (any, error) {
	switch v.Kind() {
	case reflect.Invalid:
		return nil, nil
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return normalizeReflect(v.Elem())
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.String:
		return v.String(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(v.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(v.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return normalize(v.Float())
	case reflect.Slice, reflect.Array:
		out := make([]any, v.Len())
		for i := range out {
			e, err := normalizeReflect(v.Index(i))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, fmt.Errorf("a map keyed by %s: %w", v.Type().Key(), errNotJSON)
		}
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			e, err := normalizeReflect(iter.Value())
			if err != nil {
				return nil, err
			}
			out[iter.Key().String()] = e
		}
		return out, nil
	}
	return nil, fmt.Errorf("a %s: %w", v.Type(), errNotJSON)
}
