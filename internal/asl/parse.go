package asl

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/asl/jsonpath"
)

// Limits of the Amazon States Language as Step Functions enforces them.
const (
	// maxStateNameLength is the Step Functions limit on a state name: 80 characters.
	maxStateNameLength = 80
	// maxTimeoutSeconds is the largest TimeoutSeconds/HeartbeatSeconds Step Functions accepts.
	maxTimeoutSeconds = 99999999
	// maxNestingDepth bounds how deeply Parallel and Map states may nest (TOO_DEEPLY_NESTED).
	maxNestingDepth = 40
)

// compiler holds the state of one compilation.
type compiler struct {
	d      *diags
	states map[string]*state
}

// obj is a JSON object of the definition with its location.
type obj struct {
	m   map[string]any
	loc string
}

// at returns the JSON pointer (RFC 6901) of a member of o.
func (o obj) at(key string) string {
	if strings.ContainsAny(key, "~/") {
		key = strings.NewReplacer("~", "~0", "/", "~1").Replace(key)
	}
	return o.loc + "/" + key
}

func (o obj) has(key string) bool {
	_, ok := o.m[key]
	return ok
}

func compile(definition string) (*Program, *diags) {
	d := &diags{}
	if strings.TrimSpace(definition) == "" {
		d.errorf(CodeSchema, "", "Definition must be a valid JSON object")
		return nil, d
	}
	dec := json.NewDecoder(strings.NewReader(definition))
	var raw any
	if err := dec.Decode(&raw); err != nil {
		msg, loc := jsonErrorMessage(definition, err)
		d.errorf(CodeInvalidJSON, loc, "%s", msg)
		return nil, d
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		loc := sourceLocation(definition, dec.InputOffset())
		d.errorf(CodeInvalidJSON, loc, "Unexpected content after the end of the JSON document\n at %s", loc)
		return nil, d
	}
	top, ok := raw.(map[string]any)
	if !ok {
		d.errorf(CodeSchema, "", "Definition must be a valid JSON object")
		return nil, d
	}
	c := &compiler{d: d, states: map[string]*state{}}
	o := obj{m: top, loc: ""}
	c.checkFields(o, "", fieldSet("Comment", "StartAt", "States", "TimeoutSeconds", "Version", "QueryLanguage"), nil)
	p := &Program{states: c.states, queryLanguage: langJSONPath}
	if v, ok := top["QueryLanguage"]; ok {
		s, _ := v.(string)
		if s != langJSONPath && s != langJSONata {
			d.errorf(CodeSchema, "/QueryLanguage", "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]")
		} else {
			p.queryLanguage = s
		}
	}
	if v, ok := top["TimeoutSeconds"]; ok {
		p.timeoutSeconds = c.positiveInt(v, "/TimeoutSeconds", "TimeoutSeconds")
	}
	if v, ok := top["Version"]; ok {
		if _, ok := v.(string); !ok {
			d.errorf(CodeSchema, "/Version", "The field 'Version' should be a string")
		}
	}
	p.root = c.machine(o, p.queryLanguage, 0)
	return p, d
}

// jsonErrorMessage turns a decoding error into the message and location of
// INVALID_JSON_DESCRIPTION; the location names the line and column as Step Functions does:
// [Source: (String)"..."; line: 1, column: 4].
func jsonErrorMessage(definition string, err error) (string, string) {
	offset := int64(len(definition))
	var se *json.SyntaxError
	if errors.As(err, &se) {
		offset = se.Offset
	}
	loc := sourceLocation(definition, offset)
	return err.Error() + "\n at " + loc, loc
}

// sourceLocation renders a byte offset of the definition as Step Functions' parser does.
func sourceLocation(definition string, offset int64) string {
	if offset > int64(len(definition)) {
		offset = int64(len(definition))
	}
	line, col := 1, 1
	for _, c := range definition[:offset] {
		if c == '\n' {
			line, col = line+1, 1
			continue
		}
		col++
	}
	src := definition
	if len(src) > 500 {
		src = src[:500] + "[truncated]"
	}
	return fmt.Sprintf("[Source: (String)%q; line: %d, column: %d]", src, line, col)
}

// pointer returns loc, or "/" for the definition itself.
func pointer(loc string) string {
	if loc == "" {
		return "/"
	}
	return loc
}

// fieldSet builds a set of field names.
func fieldSet(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// checkFields reports fields of o that are not allowed. other lists the fields that exist
// only in the other query language, for a clearer message.
func (c *compiler) checkFields(o obj, lang string, allowed, other map[string]bool) {
	keys := make([]string, 0, len(o.m))
	for k := range o.m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case allowed[k]:
		case other[k]:
			c.d.errorf(CodeSchema, o.at(k), "The field '%s' is not supported when QueryLanguage is %s", k, lang)
		default:
			c.d.errorf(CodeSchema, o.at(k), "The field \"%s\" is not supported by Step Functions", k)
		}
	}
}

func (c *compiler) requireFields(o obj, names ...string) bool {
	var missing []string
	for _, n := range names {
		if !o.has(n) {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		c.d.errorf(CodeSchema, pointer(o.loc), "These fields are required: [%s]", strings.Join(missing, ", "))
		return false
	}
	return true
}

func (c *compiler) str(o obj, key string) (string, bool) {
	v, ok := o.m[key]
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		c.d.errorf(CodeSchema, o.at(key), "The field '%s' should be a string", key)
		return "", false
	}
	return s, true
}

func (c *compiler) object(o obj, key string) (obj, bool) {
	v, ok := o.m[key]
	if !ok {
		return obj{}, false
	}
	m, ok := v.(map[string]any)
	if !ok {
		c.d.errorf(CodeSchema, o.at(key), "The field '%s' should be an object", key)
		return obj{}, false
	}
	return obj{m: m, loc: o.at(key)}, true
}

// positiveInt validates an integer field between 1 and maxTimeoutSeconds.
func (c *compiler) positiveInt(v any, loc, name string) int {
	f, ok := v.(float64)
	if !ok || f != math.Trunc(f) || f < 1 || f > maxTimeoutSeconds {
		c.d.errorf(CodeSchema, loc, "The value for the field '%s' must be a positive integer no greater than %d", name, maxTimeoutSeconds)
		return 0
	}
	return int(f)
}

// machine compiles a StartAt/States block.
func (c *compiler) machine(o obj, lang string, depth int) *machine {
	if depth > maxNestingDepth {
		c.d.errorf(CodeTooDeeplyNested, o.loc, "The states are nested more than %d levels deep", maxNestingDepth)
		return nil
	}
	if !c.requireFields(o, "States", "StartAt") {
		return nil
	}
	m := &machine{}
	m.startAt, _ = c.str(o, "StartAt")
	so, ok := c.object(o, "States")
	if !ok {
		return nil
	}
	if len(so.m) == 0 {
		c.d.errorf(CodeSchema, so.loc, "The field 'States' should be non-empty")
		return nil
	}
	m.names = make([]string, 0, len(so.m))
	for name := range so.m {
		m.names = append(m.names, name)
	}
	sort.Strings(m.names)
	var compiled []*state
	for _, name := range m.names {
		loc := so.at(name)
		switch {
		case name == "" || len([]rune(name)) > maxStateNameLength:
			c.d.errorf(CodeInvalidStateName, loc, "State name must be between 1 and %d characters: %s", maxStateNameLength, name)
		case c.states[name] != nil:
			c.d.errorf(CodeDuplicateStateName, loc, "Duplicate State name: %s", name)
			continue
		}
		sm, ok := so.m[name].(map[string]any)
		if !ok {
			c.d.errorf(CodeSchema, loc, "The state must be an object")
			continue
		}
		c.states[name] = &state{name: name} // claims the name before nested states are compiled
		st := c.state(name, obj{m: sm, loc: loc}, lang, depth)
		if st == nil {
			continue
		}
		c.states[name] = st
		compiled = append(compiled, st)
	}
	c.checkGraph(m, o, so, compiled)
	return m
}

// checkGraph validates transition targets, reachability and terminal states of one block.
func (c *compiler) checkGraph(m *machine, o, so obj, states []*state) {
	local := make(map[string]*state, len(states))
	for _, st := range states {
		local[st.name] = st
	}
	if _, ok := so.m[m.startAt]; !ok {
		c.d.errorf(CodeMissingTransition, o.at("StartAt"), "Missing 'Next' target: %s", m.startAt)
	}
	terminal, missing := false, false
	for _, st := range states {
		for _, t := range st.targets() {
			if _, ok := so.m[t.name]; !ok {
				c.d.errorf(CodeMissingTransition, st.loc+t.loc, "Missing 'Next' target: %s", t.name)
				missing = true
			}
		}
		if st.end || st.typ == typeSucceed || st.typ == typeFail {
			terminal = true
		}
	}
	if len(states) > 0 && !terminal && !missing {
		c.d.errorf(CodeMissingEndState, pointer(o.loc), "Workflow has no terminal state")
	}
	seen := map[string]bool{}
	queue := []string{m.startAt}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		st := local[n]
		if seen[n] || st == nil {
			continue
		}
		seen[n] = true
		for _, t := range st.targets() {
			queue = append(queue, t.name)
		}
	}
	for _, st := range states {
		if !seen[st.name] && local[m.startAt] != nil {
			c.d.errorf(CodeUnreachableState, st.loc, "State \"%s\" is not reachable.", st.name)
		}
	}
}

type target struct {
	name string
	loc  string // relative to the state
}

// targets lists the states a state may transition to.
func (st *state) targets() []target {
	var out []target
	if st.next != "" {
		out = append(out, target{st.next, "/Next"})
	}
	for i, r := range st.choices {
		if r.next != "" {
			out = append(out, target{r.next, fmt.Sprintf("/Choices/%d/Next", i)})
		}
	}
	if st.dflt != "" {
		out = append(out, target{st.dflt, "/Default"})
	}
	for i, k := range st.catch {
		if k.next != "" {
			out = append(out, target{k.next, fmt.Sprintf("/Catch/%d/Next", i)})
		}
	}
	return out
}

// Fields each state type accepts, common to both query languages, then per language.
func stateFields(typ string) (common, jsonPath, jsonata []string) {
	common = []string{"Type", "Comment", "QueryLanguage"}
	io := []string{"InputPath", "OutputPath"}
	switch typ {
	case typePass:
		common = append(common, "Next", "End", "Assign")
		jsonPath = append(io, "Parameters", "ResultPath", "Result")
		jsonata = []string{"Output"}
	case typeTask:
		common = append(common, "Next", "End", "Assign", "Resource", "Retry", "Catch", "TimeoutSeconds", "HeartbeatSeconds", "Credentials")
		jsonPath = append(io, "Parameters", "ResultPath", "ResultSelector", "TimeoutSecondsPath", "HeartbeatSecondsPath")
		jsonata = []string{"Arguments", "Output"}
	case typeChoice:
		common = append(common, "Choices", "Default", "Assign")
		jsonPath = io
		jsonata = []string{"Output"}
	case typeWait:
		common = append(common, "Next", "End", "Assign", "Seconds", "Timestamp")
		jsonPath = append(io, "SecondsPath", "TimestampPath")
		jsonata = []string{"Output"}
	case typeSucceed:
		jsonPath = io
		jsonata = []string{"Output"}
	case typeFail:
		common = append(common, "Error", "Cause")
		jsonPath = []string{"ErrorPath", "CausePath"}
	case typeParallel:
		common = append(common, "Next", "End", "Assign", "Branches", "Retry", "Catch")
		jsonPath = append(io, "Parameters", "ResultPath", "ResultSelector")
		jsonata = []string{"Arguments", "Output"}
	case typeMap:
		common = append(common, "Next", "End", "Assign", "ItemProcessor", "Iterator", "ItemSelector", "MaxConcurrency",
			"ToleratedFailureCount", "ToleratedFailurePercentage", "ItemReader", "ItemBatcher", "ResultWriter", "Label", "Retry", "Catch")
		jsonPath = append(io, "Parameters", "ResultPath", "ResultSelector", "ItemsPath", "MaxConcurrencyPath",
			"ToleratedFailureCountPath", "ToleratedFailurePercentagePath")
		jsonata = []string{"Items", "Output"}
	}
	return common, jsonPath, jsonata
}

// state compiles one state.
func (c *compiler) state(name string, o obj, inherited string, depth int) *state {
	st := &state{name: name, loc: o.loc, lang: inherited}
	typ, ok := c.str(o, "Type")
	if !ok {
		if !o.has("Type") {
			c.d.errorf(CodeSchema, o.loc, "These fields are required: [Type]")
		}
		return nil
	}
	switch typ {
	case typePass, typeTask, typeChoice, typeWait, typeSucceed, typeFail, typeParallel, typeMap:
	default:
		c.d.errorf(CodeSchema, o.at("Type"), "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map]")
		return nil
	}
	st.typ = typ
	if ql, ok := c.str(o, "QueryLanguage"); ok {
		switch {
		case ql != langJSONPath && ql != langJSONata:
			c.d.errorf(CodeSchema, o.at("QueryLanguage"), "The field 'QueryLanguage' should have one of these values: [JSONPath, JSONata]")
		case ql == langJSONPath && inherited == langJSONata:
			c.d.errorf(CodeSchema, o.loc, "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine")
		default:
			st.lang = ql
		}
	}
	common, jp, ja := stateFields(typ)
	allowed := fieldSet(common...)
	var other []string
	if st.lang == langJSONata {
		other = jp
		for _, f := range ja {
			allowed[f] = true
		}
	} else {
		other = ja
		for _, f := range jp {
			allowed[f] = true
		}
	}
	c.checkFields(o, st.lang, allowed, fieldSet(other...))

	if slices.Contains(common, "Next") {
		c.transition(st, o)
	}
	c.dataFields(st, o)
	switch typ {
	case typePass:
		if v, ok := o.m["Result"]; ok {
			st.result, st.hasResult = v, true
			if hasDynamicKey(v) {
				c.d.warnf(CodePassResultStatic, o.at("Result"), "The Result field of a Pass state is static: keys ending in '.$' are not evaluated. Use Parameters instead.")
			}
		}
	case typeTask:
		c.task(st, o)
	case typeChoice:
		c.choice(st, o)
	case typeWait:
		c.wait(st, o)
	case typeFail:
		st.errorField = c.stringField(st, o, "Error", "ErrorPath")
		st.causeField = c.stringField(st, o, "Cause", "CausePath")
	case typeParallel:
		c.parallel(st, o, depth)
	case typeMap:
		c.mapState(st, o, depth)
	}
	if slices.Contains(common, "Retry") {
		c.retry(st, o)
		c.catch(st, o)
	}
	return st
}

// transition reads Next and End: exactly one must be present.
func (c *compiler) transition(st *state, o obj) {
	next, hasNext := c.str(o, "Next")
	endV, hasEnd := o.m["End"]
	end, _ := endV.(bool)
	if hasEnd && !end {
		if _, isBool := endV.(bool); !isBool {
			c.d.errorf(CodeSchema, o.at("End"), "The field 'End' should be a boolean")
			return
		}
	}
	switch {
	case hasNext && end:
		c.d.errorf(CodeSchema, o.loc, "Only one of these fields may be present: [Next, End]")
	case !hasNext && !end && !o.has("Next"):
		c.d.errorf(CodeSchema, o.loc, "Exactly one of these fields is required: [Next, End]")
	}
	st.next, st.end = next, end
}

// dataFields compiles the input/output processing fields shared by most states.
func (c *compiler) dataFields(st *state, o obj) {
	if st.lang == langJSONata {
		st.arguments = c.jsonataField(o, "Arguments")
		st.output = c.jsonataField(o, "Output")
		st.assign = c.assignField(st, o)
		return
	}
	st.inputPath = c.optPath(o, "InputPath", false)
	st.outputPath = c.optPath(o, "OutputPath", false)
	st.resultPath = c.optPath(o, "ResultPath", true)
	st.parameters = c.jsonPathTemplate(o, "Parameters")
	st.resultSelector = c.jsonPathTemplate(o, "ResultSelector")
	st.assign = c.assignField(st, o)
}

func (c *compiler) assignField(st *state, o obj) *expr { return c.assignFieldAt(st, o, "") }

// assignFieldAt compiles Assign; prefix names the enclosing rule or catcher in the causes of
// JSONata failures ("Catch[0]/").
func (c *compiler) assignFieldAt(st *state, o obj, prefix string) *expr {
	v, ok := o.m["Assign"]
	if !ok {
		return nil
	}
	if _, isObj := v.(map[string]any); !isObj {
		c.d.errorf(CodeSchema, o.at("Assign"), "The field 'Assign' should be an object")
		return nil
	}
	if st.lang == langJSONata {
		return c.jsonataFieldAt(o, "Assign", prefix)
	}
	return c.jsonPathTemplate(o, "Assign")
}

// optPath compiles an optional path field. Reference paths are required for ResultPath.
func (c *compiler) optPath(o obj, key string, reference bool) optPath {
	v, ok := o.m[key]
	if !ok {
		return optPath{}
	}
	if v == nil {
		return optPath{set: true, null: true}
	}
	s, ok := v.(string)
	if !ok {
		c.d.errorf(CodeSchema, o.at(key), "The field '%s' should be a string or null", key)
		return optPath{}
	}
	p := c.path(s, o.at(key), key)
	if p != nil && reference && !p.IsReference() {
		c.d.errorf(CodeSchema, o.at(key), "The value for the field '%s' must be a valid Reference Path", key)
	}
	return optPath{set: true, path: p}
}

func (c *compiler) path(s, loc, key string) *jsonpath.Path {
	p, err := jsonpath.Compile(s)
	if err != nil {
		c.d.errorf(CodeSchema, loc, "The value for the field '%s' must be a valid JSONPath", key)
		return nil
	}
	return p
}

func (c *compiler) jsonPathTemplate(o obj, key string) *expr {
	v, ok := o.m[key]
	if !ok {
		return nil
	}
	c.warnNoDollar(v, o.at(key))
	e, err := compileJSONPathTemplate(v, key)
	if err != nil {
		c.d.errorf(CodeSchema, o.at(key), "The value for the field '%s' is invalid: %v", key, err)
		return nil
	}
	return e
}

func (c *compiler) jsonataField(o obj, key string) *expr { return c.jsonataFieldAt(o, key, "") }

// jsonataFieldAt compiles a JSONata field whose failures name it prefix+key.
func (c *compiler) jsonataFieldAt(o obj, key, prefix string) *expr {
	v, ok := o.m[key]
	if !ok {
		return nil
	}
	e := c.jsonataValue(v, o.at(key), key)
	if e != nil {
		e.field = prefix + key
	}
	return e
}

func (c *compiler) jsonataValue(v any, loc, key string) *expr {
	e, err := compileJSONataTemplate(v, key)
	if err != nil {
		c.d.errorf(CodeSchema, loc, "The value for the field '%s' must be a valid JSONata expression: %v", key, err)
		return nil
	}
	return e
}

// numberField compiles an integer field with its ...Path variant (JSONPath) or expression
// (JSONata).
func (c *compiler) numberField(st *state, o obj, key string, min, max float64) numberField {
	var f numberField
	if pv, ok := c.str(o, key+"Path"); ok {
		if o.has(key) {
			c.d.errorf(CodeSchema, o.loc, "Only one of these fields may be present: [%s, %sPath]", key, key)
		}
		f.set = true
		f.path = c.path(pv, o.at(key+"Path"), key+"Path")
		return f
	}
	v, ok := o.m[key]
	if !ok {
		return f
	}
	f.set = true
	if s, isStr := v.(string); isStr && st.lang == langJSONata && isJSONataExpr(s) {
		f.expr = c.jsonataValue(s, o.at(key), key)
		return f
	}
	n, isNum := v.(float64)
	if !isNum || n != math.Trunc(n) || n < min || n > max {
		c.d.errorf(CodeSchema, o.at(key), "The value for the field '%s' must be an integer between %s and %s", key, fmtNum(min), fmtNum(max))
		return numberField{}
	}
	f.literal = n
	return f
}

func fmtNum(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// stringField compiles Fail's Error/ErrorPath or Cause/CausePath.
func (c *compiler) stringField(st *state, o obj, key, pathKey string) stringField {
	var f stringField
	if pv, ok := c.str(o, pathKey); ok {
		if o.has(key) {
			c.d.errorf(CodeSchema, o.loc, "Only one of these fields may be present: [%s, %s]", key, pathKey)
		}
		f.set = true
		f.path = c.path(pv, o.at(pathKey), pathKey)
		return f
	}
	s, ok := c.str(o, key)
	if !ok {
		return f
	}
	f.set = true
	if st.lang == langJSONata && isJSONataExpr(s) {
		f.expr = c.jsonataValue(s, o.at(key), key)
		return f
	}
	f.literal = s
	return f
}

// task compiles a Task state's own fields.
func (c *compiler) task(st *state, o obj) {
	if !o.has("Resource") {
		c.d.errorf(CodeSchema, o.loc, "These fields are required: [Resource]")
	}
	if r, ok := c.str(o, "Resource"); ok {
		st.resource = r
		if err := classifyResource(st, r); err != nil {
			c.d.errorf(CodeInvalidResource, o.at("Resource"), "%v", err)
		}
	}
	st.timeout = c.numberField(st, o, "TimeoutSeconds", 1, maxTimeoutSeconds)
	st.heartbt = c.numberField(st, o, "HeartbeatSeconds", 1, maxTimeoutSeconds)
	if st.timeout.literal > 0 && st.heartbt.literal > 0 && st.heartbt.literal >= st.timeout.literal {
		c.d.errorf(CodeSchema, o.at("HeartbeatSeconds"), "The value of HeartbeatSeconds must be less than the value of TimeoutSeconds")
	}
	if v, ok := o.m["Credentials"]; ok {
		if _, isObj := v.(map[string]any); !isObj {
			c.d.errorf(CodeSchema, o.at("Credentials"), "The field 'Credentials' should be an object")
		} else if st.lang == langJSONata {
			st.credentials = c.jsonataField(o, "Credentials")
		} else {
			st.credentials = c.jsonPathTemplate(o, "Credentials")
		}
	}
}

// classifyResource sets the event family and the resourceType/resource names of a Task.
func classifyResource(st *state, r string) error {
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return fmt.Errorf("Resource is not a valid ARN: %s", r)
	}
	service, region, rest := parts[2], parts[3], parts[5]
	st.region = region
	switch {
	case service == "lambda" && strings.HasPrefix(rest, "function:"):
		st.resourceKind = resourceLambda
	case service == "states" && strings.HasPrefix(rest, "activity:"):
		st.resourceKind = resourceActivity
	case service == "states" && region == "" && parts[4] == "":
		st.resourceKind = resourceIntegration
		i := strings.LastIndex(rest, ":")
		action := rest
		if i >= 0 {
			st.integrationType, action = rest[:i], rest[i+1:]
		}
		// ".sync:2" splits at the last colon; join it back to the action.
		if action == "2" && strings.HasSuffix(st.integrationType, ".sync") {
			j := strings.LastIndex(st.integrationType, ":")
			action = st.integrationType[j+1:] + ":2"
			st.integrationType = st.integrationType[:j]
		}
		if st.integrationType == "" || action == "" {
			return fmt.Errorf("Resource is not a valid service integration: %s", r)
		}
		st.integrationAction = action
		st.waitForTaskToken = strings.HasSuffix(action, ".waitForTaskToken")
	default:
		return fmt.Errorf("Resource is not a supported ARN: %s", r)
	}
	return nil
}

// wait compiles a Wait state: exactly one of Seconds, Timestamp, SecondsPath, TimestampPath.
func (c *compiler) wait(st *state, o obj) {
	n := 0
	for _, k := range []string{"Seconds", "Timestamp", "SecondsPath", "TimestampPath"} {
		if o.has(k) {
			n++
		}
	}
	if n != 1 {
		c.d.errorf(CodeSchema, o.loc, "Exactly one of these fields is required: [Seconds, Timestamp, SecondsPath, TimestampPath]")
		return
	}
	if o.has("Seconds") || o.has("SecondsPath") {
		st.waitSeconds = c.numberField(st, o, "Seconds", 0, maxTimeoutSeconds)
		return
	}
	ts := &timestampField{}
	if s, ok := c.str(o, "TimestampPath"); ok {
		ts.path = c.path(s, o.at("TimestampPath"), "TimestampPath")
	} else if s, ok := c.str(o, "Timestamp"); ok {
		if st.lang == langJSONata && isJSONataExpr(s) {
			ts.expr = c.jsonataValue(s, o.at("Timestamp"), "Timestamp")
		} else if _, ok := parseTimestamp(s); !ok {
			c.d.errorf(CodeSchema, o.at("Timestamp"), "The value for the field 'Timestamp' must be a valid RFC3339 timestamp")
		} else {
			ts.literal = s
		}
	}
	st.waitTimestamp = ts
}

// parallel compiles a Parallel state's branches.
func (c *compiler) parallel(st *state, o obj, depth int) {
	v, ok := o.m["Branches"]
	if !ok {
		c.d.errorf(CodeSchema, o.loc, "These fields are required: [Branches]")
		return
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		c.d.errorf(CodeSchema, o.at("Branches"), "The field 'Branches' should be a non-empty array")
		return
	}
	for i, b := range arr {
		loc := fmt.Sprintf("%s/%d", o.at("Branches"), i)
		bm, ok := b.(map[string]any)
		if !ok {
			c.d.errorf(CodeSchema, loc, "A branch must be an object")
			continue
		}
		bo := obj{m: bm, loc: loc}
		c.checkFields(bo, st.lang, fieldSet("StartAt", "States", "Comment", "QueryLanguage"), nil)
		st.branches = append(st.branches, c.machine(bo, st.lang, depth+1))
	}
}

// mapState compiles a Map state's own fields.
func (c *compiler) mapState(st *state, o obj, depth int) {
	key := "ItemProcessor"
	switch {
	case o.has("ItemProcessor") && o.has("Iterator"):
		c.d.errorf(CodeSchema, o.loc, "Only one of these fields may be present: [ItemProcessor, Iterator]")
	case o.has("Iterator"):
		key = "Iterator"
	case !o.has("ItemProcessor"):
		c.d.errorf(CodeSchema, o.loc, "These fields are required: [ItemProcessor]")
		return
	}
	po, ok := c.object(o, key)
	if !ok {
		return
	}
	allowed := fieldSet("StartAt", "States", "Comment", "QueryLanguage")
	if key == "ItemProcessor" {
		allowed["ProcessorConfig"] = true
	}
	c.checkFields(po, st.lang, allowed, nil)
	if pc, ok := c.object(po, "ProcessorConfig"); ok {
		c.checkFields(pc, st.lang, fieldSet("Mode", "ExecutionType"), nil)
		mode, _ := c.str(pc, "Mode")
		switch mode {
		case "", "INLINE":
		case "DISTRIBUTED":
			st.distributed = true
			et, _ := c.str(pc, "ExecutionType")
			if !pc.has("ExecutionType") {
				c.d.errorf(CodeSchema, pc.loc, "These fields are required: [ExecutionType]")
			} else if et != "STANDARD" && et != "EXPRESS" {
				c.d.errorf(CodeSchema, pc.at("ExecutionType"), "The field 'ExecutionType' should have one of these values: [STANDARD, EXPRESS]")
			}
		default:
			c.d.errorf(CodeSchema, pc.at("Mode"), "The field 'Mode' should have one of these values: [INLINE, DISTRIBUTED]")
		}
	}
	st.processor = c.machine(po, st.lang, depth+1)

	if st.lang == langJSONata {
		st.items = c.jsonataField(o, "Items")
		st.itemSelector = c.jsonataField(o, "ItemSelector")
	} else {
		st.itemsPath = c.optPath(o, "ItemsPath", true)
		if o.has("ItemSelector") && o.has("Parameters") {
			c.d.errorf(CodeSchema, o.loc, "Only one of these fields may be present: [ItemSelector, Parameters]")
		}
		st.itemSelector = c.jsonPathTemplate(o, "ItemSelector")
		if st.itemSelector == nil {
			st.itemSelector, st.parameters = st.parameters, nil
		}
	}
	st.maxConcurrency = c.numberField(st, o, "MaxConcurrency", 0, math.MaxInt32)
	st.toleratedCount = c.numberField(st, o, "ToleratedFailureCount", 0, math.MaxInt32)
	st.toleratedPercent = c.numberField(st, o, "ToleratedFailurePercentage", 0, 100)
	for _, k := range []string{"ItemReader", "ItemBatcher", "ResultWriter", "ToleratedFailureCount", "ToleratedFailurePercentage",
		"ToleratedFailureCountPath", "ToleratedFailurePercentagePath", "Label"} {
		if o.has(k) && !st.distributed {
			c.d.errorf(CodeSchema, o.at(k), "The field '%s' is only supported when ProcessorConfig Mode is DISTRIBUTED", k)
		}
	}
	st.label, _ = c.str(o, "Label")
	if ro, ok := c.object(o, "ItemReader"); ok {
		c.checkFields(ro, st.lang, fieldSet("Resource", "Parameters", "Arguments", "ReaderConfig"), nil)
		r := &itemReader{}
		if s, ok := c.str(ro, "Resource"); ok {
			r.resource = s
		} else {
			c.d.errorf(CodeSchema, ro.loc, "These fields are required: [Resource]")
		}
		if st.lang == langJSONata {
			r.parameters = c.jsonataField(ro, "Arguments")
		} else {
			r.parameters = c.jsonPathTemplate(ro, "Parameters")
		}
		r.readerConfig = ro.m["ReaderConfig"]
		st.itemReader = r
	}
	if bo, ok := c.object(o, "ItemBatcher"); ok {
		if st.lang == langJSONata {
			c.checkFields(bo, st.lang, fieldSet("MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput"), fieldSet("MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"))
		} else {
			c.checkFields(bo, st.lang, fieldSet("MaxItemsPerBatch", "MaxInputBytesPerBatch", "BatchInput", "MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"), nil)
		}
		b := &itemBatcher{
			maxItems: c.numberField(st, bo, "MaxItemsPerBatch", 1, math.MaxInt32),
			maxBytes: c.numberField(st, bo, "MaxInputBytesPerBatch", 1, maxPayloadBytes),
		}
		if !b.maxItems.set && !b.maxBytes.set {
			c.d.errorf(CodeSchema, bo.loc, "At least one of these fields is required: [MaxItemsPerBatch, MaxInputBytesPerBatch]")
		}
		if st.lang == langJSONata {
			b.batchInput = c.jsonataField(bo, "BatchInput")
		} else {
			b.batchInput = c.jsonPathTemplate(bo, "BatchInput")
		}
		st.itemBatcher = b
	}
	if wo, ok := c.object(o, "ResultWriter"); ok {
		c.checkFields(wo, st.lang, fieldSet("Resource", "Parameters", "Arguments", "WriterConfig"), nil)
		w := &resultWriter{writerConfig: wo.m["WriterConfig"]}
		if s, ok := c.str(wo, "Resource"); ok {
			w.resource = s
		} else if !wo.has("WriterConfig") {
			c.d.errorf(CodeSchema, wo.loc, "These fields are required: [Resource]")
		}
		if st.lang == langJSONata {
			w.parameters = c.jsonataField(wo, "Arguments")
		} else {
			w.parameters = c.jsonPathTemplate(wo, "Parameters")
		}
		st.resultWriter = w
	}
}

// errorEquals validates an ErrorEquals list: non-empty strings, States.ALL alone.
func (c *compiler) errorEquals(o obj) []string {
	v, ok := o.m["ErrorEquals"]
	if !ok {
		c.d.errorf(CodeSchema, o.loc, "These fields are required: [ErrorEquals]")
		return nil
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		c.d.errorf(CodeSchema, o.at("ErrorEquals"), "The field 'ErrorEquals' should be a non-empty array")
		return nil
	}
	out := make([]string, 0, len(arr))
	for _, e := range arr {
		s, ok := e.(string)
		if !ok {
			c.d.errorf(CodeSchema, o.at("ErrorEquals"), "The field 'ErrorEquals' should contain only strings")
			return nil
		}
		out = append(out, s)
	}
	if slices.Contains(out, fault.All) && len(out) > 1 {
		c.d.errorf(CodeSchema, o.at("ErrorEquals"), "Error name 'States.ALL' must appear alone in the ErrorEquals array")
	}
	return out
}

func (c *compiler) array(o obj, key string) ([]any, bool) {
	v, ok := o.m[key]
	if !ok {
		return nil, false
	}
	arr, ok := v.([]any)
	if !ok {
		c.d.errorf(CodeSchema, o.at(key), "The field '%s' should be an array", key)
		return nil, false
	}
	return arr, true
}

// retry compiles a state's Retry array.
func (c *compiler) retry(st *state, o obj) {
	arr, _ := c.array(o, "Retry")
	for i, v := range arr {
		ro := obj{loc: fmt.Sprintf("%s/%d", o.at("Retry"), i)}
		ro.m, _ = v.(map[string]any)
		if ro.m == nil {
			c.d.errorf(CodeSchema, ro.loc, "A retrier must be an object")
			continue
		}
		c.checkFields(ro, st.lang, fieldSet("ErrorEquals", "IntervalSeconds", "MaxAttempts", "BackoffRate", "MaxDelaySeconds", "JitterStrategy", "Comment"), nil)
		r := retrier{errorEquals: c.errorEquals(ro), interval: defaultIntervalSeconds, maxAttempts: defaultMaxAttempts, backoff: defaultBackoffRate}
		if slices.Contains(r.errorEquals, fault.All) && i != len(arr)-1 {
			c.d.errorf(CodeSchema, ro.at("ErrorEquals"), "Error name 'States.ALL' must appear only in the last retrier")
		}
		if v, ok := ro.m["IntervalSeconds"]; ok {
			n, isNum := v.(float64)
			if !isNum || n != math.Trunc(n) || n < 1 || n > maxRetryValue {
				c.d.errorf(CodeSchema, ro.at("IntervalSeconds"), "The value for the field 'IntervalSeconds' must be an integer between 1 and %d", maxRetryValue)
			}
			r.interval = n
		}
		if v, ok := ro.m["MaxAttempts"]; ok {
			n, isNum := v.(float64)
			if !isNum || n != math.Trunc(n) || n < 0 || n > maxRetryValue {
				c.d.errorf(CodeSchema, ro.at("MaxAttempts"), "The value for the field 'MaxAttempts' must be an integer between 0 and %d", maxRetryValue)
			}
			r.maxAttempts = int(n)
		}
		if v, ok := ro.m["BackoffRate"]; ok {
			n, isNum := v.(float64)
			if !isNum || n < 1 {
				c.d.errorf(CodeSchema, ro.at("BackoffRate"), "The value for the field 'BackoffRate' must be a number greater than or equal to 1.0")
			}
			r.backoff = n
		}
		if v, ok := ro.m["MaxDelaySeconds"]; ok {
			n, isNum := v.(float64)
			if !isNum || n != math.Trunc(n) || n < 1 || n >= maxDelaySecondsLimit {
				c.d.errorf(CodeSchema, ro.at("MaxDelaySeconds"), "The value for the field 'MaxDelaySeconds' must be an integer between 1 and %d", maxDelaySecondsLimit-1)
			}
			r.maxDelay = n
		}
		if s, ok := c.str(ro, "JitterStrategy"); ok {
			switch s {
			case "FULL":
				r.jitterFull = true
			case "NONE":
			default:
				c.d.errorf(CodeSchema, ro.at("JitterStrategy"), "The field 'JitterStrategy' should have one of these values: [FULL, NONE]")
			}
		}
		st.retry = append(st.retry, r)
	}
}

// catch compiles a state's Catch array.
func (c *compiler) catch(st *state, o obj) {
	arr, _ := c.array(o, "Catch")
	for i, v := range arr {
		co := obj{loc: fmt.Sprintf("%s/%d", o.at("Catch"), i)}
		co.m, _ = v.(map[string]any)
		if co.m == nil {
			c.d.errorf(CodeSchema, co.loc, "A catcher must be an object")
			continue
		}
		if st.lang == langJSONata {
			c.checkFields(co, st.lang, fieldSet("ErrorEquals", "Next", "Output", "Assign", "Comment"), fieldSet("ResultPath"))
		} else {
			c.checkFields(co, st.lang, fieldSet("ErrorEquals", "Next", "ResultPath", "Assign", "Comment"), fieldSet("Output"))
		}
		k := catcher{errorEquals: c.errorEquals(co)}
		if slices.Contains(k.errorEquals, fault.All) && i != len(arr)-1 {
			c.d.errorf(CodeSchema, co.at("ErrorEquals"), "Error name 'States.ALL' must appear only in the last catcher")
		}
		if !co.has("Next") {
			c.d.errorf(CodeSchema, co.loc, "These fields are required: [Next]")
		}
		k.next, _ = c.str(co, "Next")
		if st.lang == langJSONata {
			k.output = c.jsonataFieldAt(co, "Output", fmt.Sprintf("Catch[%d]/", i))
		} else {
			k.resultPath = c.optPath(co, "ResultPath", true)
		}
		k.assign = c.assignFieldAt(st, co, fmt.Sprintf("Catch[%d]/", i))
		st.catch = append(st.catch, k)
	}
}

// choice compiles a Choice state's rules and Default.
func (c *compiler) choice(st *state, o obj) {
	arr, ok := c.array(o, "Choices")
	if !ok {
		if !o.has("Choices") {
			c.d.errorf(CodeSchema, o.loc, "These fields are required: [Choices]")
		}
		return
	}
	if len(arr) == 0 {
		c.d.errorf(CodeSchema, o.at("Choices"), "The field 'Choices' should be a non-empty array")
	}
	st.dflt, _ = c.str(o, "Default")
	for i, v := range arr {
		loc := fmt.Sprintf("%s/%d", o.at("Choices"), i)
		m, _ := v.(map[string]any)
		if m == nil {
			c.d.errorf(CodeSchema, loc, "A choice rule must be an object")
			continue
		}
		r := c.choiceRule(st, obj{m: m, loc: loc}, fmt.Sprintf("Choices[%d]/", i))
		if r != nil {
			st.choices = append(st.choices, r)
		}
	}
}

// choiceRule compiles one rule; top says whether it is a top-level rule (with Next).
func (c *compiler) choiceRule(st *state, o obj, prefix string) *choiceRule {
	top := prefix != ""
	r := &choiceRule{}
	extra := []string{"Comment"}
	if top {
		extra = append(extra, "Next", "Assign")
		if !o.has("Next") {
			c.d.errorf(CodeSchema, o.loc, "These fields are required: [Next]")
		}
		r.next, _ = c.str(o, "Next")
		r.assign = c.assignFieldAt(st, o, prefix)
	}
	if st.lang == langJSONata {
		allowed := fieldSet(append(extra, "Condition", "Output")...)
		c.checkFields(o, st.lang, allowed, nil)
		if !o.has("Condition") {
			c.d.errorf(CodeSchema, o.loc, "These fields are required: [Condition]")
			return nil
		}
		r.condition = c.jsonataFieldAt(o, "Condition", prefix)
		r.output = c.jsonataFieldAt(o, "Output", prefix)
		return r
	}
	var ops []string
	for k := range o.m {
		switch k {
		case "Variable", "And", "Or", "Not", "Comment", "Next", "Assign":
		default:
			if _, ok := lookupOperator(k); ok {
				ops = append(ops, k)
			}
		}
	}
	allowed := fieldSet(append(extra, "Variable", "And", "Or", "Not")...)
	for _, k := range ops {
		allowed[k] = true
	}
	c.checkFields(o, st.lang, allowed, nil)
	combinators := 0
	for _, k := range []string{"And", "Or", "Not"} {
		if o.has(k) {
			combinators++
		}
	}
	switch {
	case combinators+len(ops) != 1:
		c.d.errorf(CodeSchema, o.loc, "A choice rule must have exactly one comparison operator or one of [And, Or, Not]")
		return nil
	case o.has("Not"):
		no, ok := c.object(o, "Not")
		if !ok {
			return nil
		}
		r.not = c.choiceRule(st, no, "")
		if r.not == nil {
			return nil
		}
		return r
	case o.has("And") || o.has("Or"):
		key := "And"
		if o.has("Or") {
			key = "Or"
		}
		arr, ok := c.array(o, key)
		if !ok {
			return nil
		}
		if len(arr) == 0 {
			c.d.errorf(CodeSchema, o.at(key), "The field '%s' should be a non-empty array", key)
		}
		subs := make([]*choiceRule, 0, len(arr))
		for i, v := range arr {
			m, _ := v.(map[string]any)
			if m == nil {
				c.d.errorf(CodeSchema, fmt.Sprintf("%s/%d", o.at(key), i), "A choice rule must be an object")
				continue
			}
			if sub := c.choiceRule(st, obj{m: m, loc: fmt.Sprintf("%s/%d", o.at(key), i)}, ""); sub != nil {
				subs = append(subs, sub)
			}
		}
		if key == "And" {
			r.and = subs
		} else {
			r.or = subs
		}
		return r
	}
	name := ops[0]
	op, _ := lookupOperator(name)
	r.opName, r.op = name, op
	vs, ok := c.str(o, "Variable")
	if !ok {
		if !o.has("Variable") {
			c.d.errorf(CodeSchema, o.loc, "These fields are required: [Variable]")
		}
		return nil
	}
	r.variable = c.path(vs, o.at("Variable"), "Variable")
	operand := o.m[name]
	loc := o.at(name)
	switch {
	case op.path:
		s, ok := operand.(string)
		if !ok {
			c.d.errorf(CodeSchema, loc, "The value for the field '%s' must be a valid JSONPath", name)
			return nil
		}
		r.opPath = c.path(s, loc, name)
	case op.kind == kindString || op.kind == kindMatches:
		s, ok := operand.(string)
		if !ok {
			c.d.errorf(CodeSchema, loc, "The field '%s' should be a string", name)
		} else if looksLikePath(s) {
			c.d.warnf(CodeNoPath, loc, "The value of the field '%s' looks like a path, but the field name does not end with 'Path'", name)
		}
	case op.kind == kindTimestamp:
		s, ok := operand.(string)
		if _, valid := parseTimestamp(s); !ok || !valid {
			c.d.errorf(CodeSchema, loc, "The field '%s' should be a valid timestamp", name)
		}
	case op.kind == kindNumeric:
		if _, ok := operand.(float64); !ok {
			c.d.errorf(CodeSchema, loc, "The field '%s' should be a number", name)
		}
	default:
		if _, ok := operand.(bool); !ok {
			c.d.errorf(CodeSchema, loc, "The field '%s' should be a boolean", name)
		}
	}
	r.operand = operand
	if r.variable == nil {
		return nil
	}
	return r
}

// looksLikePath reports whether a literal string looks like a JSONPath.
func looksLikePath(s string) bool {
	return s == "$" || strings.HasPrefix(s, "$.") || strings.HasPrefix(s, "$$.") || strings.HasPrefix(s, "$[")
}

// warnNoDollar warns about template fields whose literal value looks like a path or an
// intrinsic function call while the key does not end in ".$".
func (c *compiler) warnNoDollar(v any, loc string) {
	switch x := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if strings.HasSuffix(k, ".$") {
				continue
			}
			if s, ok := x[k].(string); ok && (looksLikePath(s) || (strings.HasPrefix(s, "States.") && strings.HasSuffix(s, ")"))) {
				c.d.warnf(CodeNoDollar, loc+"/"+k, "The value of the field '%s' looks like a path or an intrinsic function, but the field name does not end with '.$'", k)
				continue
			}
			c.warnNoDollar(x[k], loc+"/"+k)
		}
	case []any:
		for i, item := range x {
			c.warnNoDollar(item, fmt.Sprintf("%s/%d", loc, i))
		}
	}
}

// hasDynamicKey reports whether an object (at any depth) has a key ending in ".$".
func hasDynamicKey(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		for k, fv := range x {
			if strings.HasSuffix(k, ".$") || hasDynamicKey(fv) {
				return true
			}
		}
	case []any:
		for _, item := range x {
			if hasDynamicKey(item) {
				return true
			}
		}
	}
	return false
}
