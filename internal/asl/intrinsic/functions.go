package intrinsic

import (
	"bytes"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/asl/jsonpath"
)

// Limits of the intrinsic functions, as documented by AWS.
const (
	// MaxArrayRangeItems: States.ArrayRange "can generate an array of up to 1000 elements".
	MaxArrayRangeItems = 1000
	// MaxBase64Input: States.Base64Encode and States.Base64Decode accept "up to 10,000 characters".
	MaxBase64Input = 10000
	// MaxHashInput: States.Hash "data must be less than 10,000 characters".
	MaxHashInput = 10000
)

// mathIntMin and mathIntMax bound the arguments and result of States.MathAdd and
// States.MathRandom (AWS: values between -2147483648 and 2147483647, Java integers).
const (
	mathIntMin = math.MinInt32
	mathIntMax = math.MaxInt32
)

type function struct {
	name             string
	minArgs, maxArgs int // maxArgs < 0: no limit
	eval             func(c *Call, args []any, env Env) (any, error)
}

func (f *function) checkArity(n int) error {
	switch {
	case f.minArgs == f.maxArgs && n != f.minArgs:
		return fmt.Errorf("%s takes %d argument(s), got %d", f.name, f.minArgs, n)
	case n < f.minArgs:
		return fmt.Errorf("%s takes at least %d argument(s), got %d", f.name, f.minArgs, n)
	case f.maxArgs >= 0 && n > f.maxArgs:
		return fmt.Errorf("%s takes at most %d argument(s), got %d", f.name, f.maxArgs, n)
	}
	return nil
}

func lookup(name string) *function {
	def := func(min, max int, eval func(*Call, []any, Env) (any, error)) *function {
		return &function{name: name, minArgs: min, maxArgs: max, eval: eval}
	}
	switch name {
	case "States.Format":
		return def(1, -1, format)
	case "States.StringToJson":
		return def(1, 1, stringToJSON)
	case "States.JsonToString":
		return def(1, 1, jsonToString)
	case "States.Array":
		return def(0, -1, array)
	case "States.ArrayPartition":
		return def(2, 2, arrayPartition)
	case "States.ArrayContains":
		return def(2, 2, arrayContains)
	case "States.ArrayRange":
		return def(3, 3, arrayRange)
	case "States.ArrayGetItem":
		return def(2, 2, arrayGetItem)
	case "States.ArrayLength":
		return def(1, 1, arrayLength)
	case "States.ArrayUnique":
		return def(1, 1, arrayUnique)
	case "States.Base64Encode":
		return def(1, 1, base64Encode)
	case "States.Base64Decode":
		return def(1, 1, base64Decode)
	case "States.Hash":
		return def(2, 2, hashData)
	case "States.JsonMerge":
		return def(3, 3, jsonMerge)
	case "States.MathRandom":
		return def(2, 3, mathRandom)
	case "States.MathAdd":
		return def(2, 2, mathAdd)
	case "States.StringSplit":
		return def(2, 2, stringSplit)
	case "States.UUID":
		return def(0, 0, newUUID)
	}
	return nil
}

var errType = errors.New("wrong argument type")

func wantString(args []any, i int) (string, error) {
	s, ok := args[i].(string)
	if !ok {
		return "", fmt.Errorf("argument %d must be a string, got %s: %w", i+1, typeName(args[i]), errType)
	}
	return s, nil
}

func wantArray(args []any, i int) ([]any, error) {
	a, ok := args[i].([]any)
	if !ok {
		return nil, fmt.Errorf("argument %d must be an array, got %s: %w", i+1, typeName(args[i]), errType)
	}
	return a, nil
}

// wantInteger requires a number with no fractional part.
func wantInteger(args []any, i int) (int, error) {
	f, ok := args[i].(float64)
	if !ok || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, fmt.Errorf("argument %d must be an integer, got %s: %w", i+1, render(args[i]), errType)
	}
	return int(f), nil
}

// wantRounded takes a number and rounds it half up, as Step Functions does for MathAdd,
// MathRandom and ArrayRange.
func wantRounded(args []any, i int) (int, error) {
	f, ok := args[i].(float64)
	if !ok || math.IsNaN(f) {
		return 0, fmt.Errorf("argument %d must be a number, got %s: %w", i+1, typeName(args[i]), errType)
	}
	r := math.Floor(f + 0.5)
	if r < mathIntMin || r > mathIntMax {
		return 0, fmt.Errorf("argument %d (%s) is outside [%d, %d]", i+1, render(f), mathIntMin, mathIntMax)
	}
	return int(r), nil
}

func format(c *Call, args []any, _ Env) (any, error) {
	var holes []string
	if c.args[0].kind == argLiteral {
		if _, ok := c.args[0].value.(string); ok {
			holes = c.args[0].holes
		}
	}
	if holes == nil {
		tmpl, err := wantString(args, 0)
		if err != nil {
			return nil, err
		}
		holes = strings.Split(tmpl, "{}")
	}
	if len(holes)-1 != len(args)-1 {
		return nil, fmt.Errorf("the template has %d placeholder(s) but %d value(s) were given", len(holes)-1, len(args)-1)
	}
	var b strings.Builder
	for i, h := range holes {
		b.WriteString(h)
		if i+1 < len(args) {
			b.WriteString(formatValue(args[i+1]))
		}
	}
	return b.String(), nil
}

// formatValue renders a value inserted by States.Format: strings as they are, other scalars as
// JSON, arrays and objects in the Java notation Step Functions prints ([a, b], {k=v}).
func formatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = formatValue(e)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			parts[i] = k + "=" + formatValue(x[k])
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return render(v)
}

func stringToJSON(_ *Call, args []any, _ Env) (any, error) {
	s, err := wantString(args, 0)
	if err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal([]byte(strings.TrimSpace(s)), &v); err != nil {
		return nil, fmt.Errorf("the string is not valid JSON: %w", err)
	}
	return v, nil
}

func jsonToString(_ *Call, args []any, _ Env) (any, error) {
	return Marshal(args[0])
}

// Marshal renders a JSON value compactly without HTML escaping, as Step Functions prints JSON.
func Marshal(v any) (string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "", fmt.Errorf("render JSON: %w", err)
	}
	return strings.TrimSuffix(buf.String(), "\n"), nil
}

func render(v any) string {
	s, err := Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return s
}

func array(_ *Call, args []any, _ Env) (any, error) {
	return slices.Clone(args), nil
}

func arrayPartition(_ *Call, args []any, _ Env) (any, error) {
	a, err := wantArray(args, 0)
	if err != nil {
		return nil, err
	}
	size, err := wantInteger(args, 1)
	if err != nil {
		return nil, err
	}
	if size <= 0 {
		return nil, fmt.Errorf("the chunk size must be greater than 0, got %d", size)
	}
	out := make([]any, 0, (len(a)+size-1)/size)
	for chunk := range slices.Chunk(a, size) {
		out = append(out, slices.Clone(chunk))
	}
	return out, nil
}

func arrayContains(_ *Call, args []any, _ Env) (any, error) {
	a, err := wantArray(args, 0)
	if err != nil {
		return nil, err
	}
	return slices.ContainsFunc(a, func(e any) bool { return jsonpath.Equal(e, args[1]) }), nil
}

func arrayRange(_ *Call, args []any, _ Env) (any, error) {
	var n [3]int
	for i := range n {
		v, err := wantRounded(args, i)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	start, end, step := n[0], n[1], n[2]
	if step <= 0 {
		return nil, fmt.Errorf("the step must be greater than 0, got %d", step)
	}
	count := 0
	if end >= start {
		count = (end-start)/step + 1
	}
	if count > MaxArrayRangeItems {
		return nil, fmt.Errorf("the range has %d elements, more than the %d allowed", count, MaxArrayRangeItems)
	}
	out := make([]any, count)
	for i := range out {
		out[i] = float64(start + i*step)
	}
	return out, nil
}

func arrayGetItem(_ *Call, args []any, _ Env) (any, error) {
	a, err := wantArray(args, 0)
	if err != nil {
		return nil, err
	}
	i, err := wantInteger(args, 1)
	if err != nil {
		return nil, err
	}
	if i < 0 || i >= len(a) {
		return nil, fmt.Errorf("the index %d is out of bounds for an array of %d element(s)", i, len(a))
	}
	return a[i], nil
}

func arrayLength(_ *Call, args []any, _ Env) (any, error) {
	a, err := wantArray(args, 0)
	if err != nil {
		return nil, err
	}
	return float64(len(a)), nil
}

func arrayUnique(_ *Call, args []any, _ Env) (any, error) {
	a, err := wantArray(args, 0)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(a))
	for _, e := range a {
		if !slices.ContainsFunc(out, func(o any) bool { return jsonpath.Equal(o, e) }) {
			out = append(out, e)
		}
	}
	return out, nil
}

func base64Encode(_ *Call, args []any, _ Env) (any, error) {
	s, err := wantString(args, 0)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(s); n > MaxBase64Input {
		return nil, fmt.Errorf("the input has %d characters, more than the %d allowed", n, MaxBase64Input)
	}
	return base64.StdEncoding.EncodeToString([]byte(s)), nil
}

func base64Decode(_ *Call, args []any, _ Env) (any, error) {
	s, err := wantString(args, 0)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(s); n > MaxBase64Input {
		return nil, fmt.Errorf("the input has %d characters, more than the %d allowed", n, MaxBase64Input)
	}
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("the input is not valid base64: %w", err)
	}
	if !utf8.Valid(b) {
		return nil, errors.New("the decoded data is not UTF-8 text")
	}
	return string(b), nil
}

func hashData(_ *Call, args []any, _ Env) (any, error) {
	s, err := wantString(args, 0)
	if err != nil {
		return nil, err
	}
	alg, err := wantString(args, 1)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCountInString(s); n > MaxHashInput {
		return nil, fmt.Errorf("the input has %d characters, more than the %d allowed", n, MaxHashInput)
	}
	h, err := Hasher(alg)
	if err != nil {
		return nil, err
	}
	h.Write([]byte(s))
	return hex.EncodeToString(h.Sum(nil)), nil
}

// ErrUnknownAlgorithm is wrapped when a hash algorithm is not one Step Functions supports.
var ErrUnknownAlgorithm = errors.New("unknown hash algorithm")

// Hasher returns the hash for one of the algorithms Step Functions supports: MD5, SHA-1,
// SHA-256, SHA-384 and SHA-512.
func Hasher(alg string) (hash.Hash, error) {
	switch alg {
	case "MD5":
		return md5.New(), nil
	case "SHA-1":
		return sha1.New(), nil
	case "SHA-256":
		return sha256.New(), nil
	case "SHA-384":
		return sha512.New384(), nil
	case "SHA-512":
		return sha512.New(), nil
	}
	return nil, fmt.Errorf("%q (use MD5, SHA-1, SHA-256, SHA-384 or SHA-512): %w", alg, ErrUnknownAlgorithm)
}

func jsonMerge(_ *Call, args []any, _ Env) (any, error) {
	a, ok1 := args[0].(map[string]any)
	b, ok2 := args[1].(map[string]any)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("the first two arguments must be objects, got %s and %s: %w", typeName(args[0]), typeName(args[1]), errType)
	}
	deep, ok := args[2].(bool)
	if !ok {
		return nil, fmt.Errorf("argument 3 must be a boolean, got %s: %w", typeName(args[2]), errType)
	}
	if deep {
		return nil, errors.New("deep merge is not supported; set the third argument to false")
	}
	out := make(map[string]any, len(a)+len(b))
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		out[k] = v
	}
	return out, nil
}

func mathRandom(_ *Call, args []any, env Env) (any, error) {
	start, err := wantRounded(args, 0)
	if err != nil {
		return nil, err
	}
	end, err := wantRounded(args, 1)
	if err != nil {
		return nil, err
	}
	if start > end {
		return nil, fmt.Errorf("the start %d is greater than the end %d", start, end)
	}
	r := env.Rand
	if len(args) == 3 {
		seed, err := wantRounded(args, 2)
		if err != nil {
			return nil, err
		}
		r = rand.New(rand.NewPCG(uint64(seed), uint64(seed))).Float64
	}
	if r == nil {
		r = rand.Float64
	}
	span := float64(end-start) + 1
	return float64(start) + min(math.Floor(r()*span), span-1), nil
}

func mathAdd(_ *Call, args []any, _ Env) (any, error) {
	a, err := wantRounded(args, 0)
	if err != nil {
		return nil, err
	}
	b, err := wantRounded(args, 1)
	if err != nil {
		return nil, err
	}
	sum := a + b
	if sum < mathIntMin || sum > mathIntMax {
		return nil, fmt.Errorf("the sum %d is outside [%d, %d]", sum, mathIntMin, mathIntMax)
	}
	return float64(sum), nil
}

func stringSplit(_ *Call, args []any, _ Env) (any, error) {
	s, err := wantString(args, 0)
	if err != nil {
		return nil, err
	}
	delims, err := wantString(args, 1)
	if err != nil {
		return nil, err
	}
	fields := strings.FieldsFunc(s, func(r rune) bool { return strings.ContainsRune(delims, r) })
	out := make([]any, len(fields))
	for i, f := range fields {
		out[i] = f
	}
	return out, nil
}

func newUUID(_ *Call, _ []any, env Env) (any, error) {
	if env.Rand == nil {
		return uuid.NewString(), nil
	}
	var b [16]byte
	for i := 0; i < 16; i += 4 {
		n := uint32(env.Rand() * (1 << 32))
		b[i], b[i+1], b[i+2], b[i+3] = byte(n>>24), byte(n>>16), byte(n>>8), byte(n)
	}
	b[6] = b[6]&0x0f | 0x40 // version 4
	b[8] = b[8]&0x3f | 0x80 // RFC 4122 variant
	return uuid.UUID(b).String(), nil
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

// intrinsicFailure builds the fault every invalid argument raises.
func intrinsicFailure(name string, err error) *fault.Error {
	return &fault.Error{Name: fault.IntrinsicFailure, Cause: fmt.Sprintf("Invalid arguments in %s: %v", name, err)}
}
