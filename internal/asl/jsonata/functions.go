package jsonata

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/google/uuid"
	jsonatago "github.com/xiatechs/jsonata-go"
	"github.com/xiatechs/jsonata-go/jtypes"

	"github.com/ceap/ceap/internal/asl/intrinsic"
)

// MaxRangeItems bounds the array $range builds, as States.ArrayRange does (AWS: up to 1000
// elements).
const MaxRangeItems = intrinsic.MaxArrayRangeItems

// isProvidedFunction reports whether $name is a function Step Functions adds to JSONata, or a
// JSONata 2.0 function the library lacks and this package provides.
func isProvidedFunction(name string) bool {
	switch name {
	case "partition", "range", "hash", "random", "uuid", "parse", "assert", "formatInteger", "parseInteger":
		return true
	}
	return false
}

// isLibraryBuiltin reports whether $name is a JSONata function the library defines in its shared
// environment (every one but $now and $millis, which it binds for each evaluation).
func isLibraryBuiltin(name string) bool {
	_, ok := builtinExtension(name)
	return ok
}

// isHiddenLibraryFunction reports whether $name is one of the library's own extensions, which
// JSONata and Step Functions do not have; such names evaluate as undefined.
func isHiddenLibraryFunction(name string) bool {
	switch name {
	case "objmerge", "sjoin", "unescape", "hashmd5", "hash256", "dateTimeDim", "dateTimeDimLite",
		"timeSince", "objectsToDocument", "oneToManyJoin", "accumulatingSlice", "renameKeys":
		return true
	}
	return false
}

// buildCallables turns the named functions into values the library can bind as variables. The
// library only creates callables through RegisterExts, so each is created on a scratch
// expression and read back by evaluating "$name".
func buildCallables(names []string, rnd func() float64) (map[string]any, error) {
	if len(names) == 0 {
		return nil, nil
	}
	exts := make(map[string]jsonatago.Extension, len(names))
	for _, name := range names {
		if isProvidedFunction(name) {
			exts[name] = jsonatago.Extension{Func: extension(name, rnd)}
		} else if ext, ok := builtinExtension(name); ok {
			exts[name] = ext
		}
	}
	out := make(map[string]any, len(names))
	for _, name := range names {
		scratch, err := jsonatago.Compile("$" + name)
		if err != nil {
			return nil, fmt.Errorf("build $%s: %w", name, err)
		}
		if err := scratch.RegisterExts(map[string]jsonatago.Extension{name: exts[name]}); err != nil {
			return nil, fmt.Errorf("build $%s: %w", name, err)
		}
		c, err := scratch.Eval(nil)
		if err != nil {
			return nil, fmt.Errorf("build $%s: %w", name, err)
		}
		out[name] = c
	}
	return out, nil
}

func extension(name string, rnd func() float64) func(args ...any) (any, error) {
	fn := map[string]func(rnd func() float64, args []any) (any, error){
		"partition":     partition,
		"range":         rangeOf,
		"hash":          hashOf,
		"random":        random,
		"uuid":          newUUID,
		"parse":         parse,
		"assert":        assert,
		"formatInteger": formatInteger,
		"parseInteger":  parseInteger,
	}[name]
	return func(args ...any) (any, error) {
		norm := make([]any, len(args))
		for i, a := range args {
			v, err := normalize(a)
			if err != nil {
				return nil, fmt.Errorf("$%s: %w", name, err)
			}
			norm[i] = v
		}
		v, err := fn(rnd, norm)
		if err != nil && name != "assert" && !errors.Is(err, jtypes.ErrUndefined) {
			return nil, fmt.Errorf("$%s: %w", name, err)
		}
		return v, err
	}
}

var errArgs = errors.New("invalid arguments")

func arity(args []any, min, max int) error {
	if len(args) < min || len(args) > max {
		if min == max {
			return fmt.Errorf("takes %d argument(s), got %d: %w", min, len(args), errArgs)
		}
		return fmt.Errorf("takes %d to %d arguments, got %d: %w", min, max, len(args), errArgs)
	}
	return nil
}

func integer(v any, what string) (int, error) {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, fmt.Errorf("the %s must be an integer: %w", what, errArgs)
	}
	return int(f), nil
}

func partition(_ func() float64, args []any) (any, error) {
	if err := arity(args, 2, 2); err != nil {
		return nil, err
	}
	a, ok := args[0].([]any)
	if !ok {
		return nil, fmt.Errorf("the first argument must be an array: %w", errArgs)
	}
	size, err := integer(args[1], "partition size")
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("the partition size must be greater than 0: %w", errArgs)
	}
	out := make([]any, 0, (len(a)+size-1)/size)
	for chunk := range slices.Chunk(a, size) {
		out = append(out, slices.Clone(chunk))
	}
	return out, nil
}

func rangeOf(_ func() float64, args []any) (any, error) {
	if err := arity(args, 3, 3); err != nil {
		return nil, err
	}
	var n [3]int
	for i, what := range []string{"start", "end", "step"} {
		v, err := integer(args[i], what)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, end, step := n[0], n[1], n[2]
	if step == 0 {
		return nil, fmt.Errorf("the step must not be 0: %w", errArgs)
	}
	count := 0
	if (step > 0 && end >= start) || (step < 0 && end <= start) {
		count = (end-start)/step + 1
	}
	if count > MaxRangeItems {
		return nil, fmt.Errorf("the range has %d elements, more than the %d allowed: %w", count, MaxRangeItems, errArgs)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = float64(start + i*step)
	}
	return out, nil
}

func hashOf(_ func() float64, args []any) (any, error) {
	if err := arity(args, 2, 2); err != nil {
		return nil, err
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("the value to hash must be a string: %w", errArgs)
	}
	alg, ok := args[1].(string)
	if !ok {
		return nil, fmt.Errorf("the algorithm must be a string: %w", errArgs)
	}
	h, err := intrinsic.Hasher(alg)
	if err != nil {
		return nil, err
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

func random(rnd func() float64, args []any) (any, error) {
	if err := arity(args, 0, 1); err != nil {
		return nil, err
	}
	if len(args) == 1 {
		seed, err := integer(args[0], "seed")
		if err != nil {
			return nil, err
		}
		return rand.New(rand.NewPCG(uint64(seed), uint64(seed))).Float64(), nil
	}
	if rnd == nil {
		return rand.Float64(), nil
	}
	return rnd(), nil
}

func newUUID(rnd func() float64, args []any) (any, error) {
	if err := arity(args, 0, 0); err != nil {
		return nil, err
	}
	if rnd == nil {
		return uuid.NewString(), nil
	}
	var b [16]byte
	for i := 0; i < 16; i += 4 {
		n := uint32(rnd() * (1 << 32))
		b[i], b[i+1], b[i+2], b[i+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return uuid.UUID(b).String(), nil
}

func parse(_ func() float64, args []any) (any, error) {
	if err := arity(args, 1, 1); err != nil {
		return nil, err
	}
	s, ok := args[0].(string)
	if !ok {
		return nil, fmt.Errorf("the argument must be a string: %w", errArgs)
	}
	var v any
	if err := json.Unmarshal([]byte(strings.TrimSpace(s)), &v); err != nil {
		return nil, fmt.Errorf("the string is not valid JSON: %w", err)
	}
	return v, nil
}

func assert(_ func() float64, args []any) (any, error) {
	if err := arity(args, 1, 2); err != nil {
		return nil, err
	}
	ok, isBool := args[0].(bool)
	if !isBool {
		return nil, fmt.Errorf("the first argument must be a boolean: %w", errArgs)
	}
	if ok {
		return nil, nil
	}
	msg := "$assert() statement failed"
	if len(args) == 2 {
		if s, isStr := args[1].(string); isStr {
			msg = s
		}
	}
	return nil, errors.New(msg)
}
