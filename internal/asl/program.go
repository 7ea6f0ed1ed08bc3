package asl

import "github.com/ceap/ceap/internal/asl/jsonpath"

// State types of the Amazon States Language.
const (
	typePass     = "Pass"
	typeTask     = "Task"
	typeChoice   = "Choice"
	typeWait     = "Wait"
	typeSucceed  = "Succeed"
	typeFail     = "Fail"
	typeParallel = "Parallel"
	typeMap      = "Map"
)

// Query languages.
const (
	langJSONPath = "JSONPath"
	langJSONata  = "JSONata"
)

// Program is a compiled, validated state machine. It is immutable and safe for concurrent use
// by any number of executions.
type Program struct {
	root           *machine
	states         map[string]*state // every state of the definition: names are unique machine-wide
	timeoutSeconds int
	queryLanguage  string
}

// QueryLanguage returns the top-level query language, JSONPath or JSONata.
func (p *Program) QueryLanguage() string { return p.queryLanguage }

// TimeoutSeconds returns the top-level TimeoutSeconds, 0 when absent.
func (p *Program) TimeoutSeconds() int { return p.timeoutSeconds }

// machine is a StartAt/States block: the top level, a Parallel branch or a Map item processor.
type machine struct {
	startAt string
	names   []string // in definition order
}

// optPath is an optional JSONPath field: absent (use the default), null, or a path.
type optPath struct {
	set  bool // the field appears in the definition
	null bool // the field is JSON null
	path *jsonpath.Path
}

// state is one compiled state. Fields unused by a state's type stay zero.
type state struct {
	name string
	typ  string
	lang string
	loc  string // JSON pointer of the state in the definition
	next string
	end  bool

	// JSONPath pipeline.
	inputPath, outputPath, resultPath optPath
	parameters, resultSelector        *expr
	result                            any
	hasResult                         bool

	// JSONata pipeline.
	arguments, output *expr

	assign *expr

	// Task.
	resource          string
	resourceKind      resourceKind
	timeout, heartbt  numberField
	credentials       *expr
	retry             []retrier
	catch             []catcher
	waitForTaskToken  bool
	integrationType   string // resourceType in TaskScheduled, e.g. "lambda"
	integrationAction string // resource in TaskScheduled, e.g. "invoke.waitForTaskToken"
	region            string

	// Choice.
	choices []*choiceRule
	dflt    string

	// Wait.
	waitSeconds   numberField
	waitTimestamp *timestampField

	// Fail.
	errorField, causeField stringField

	// Parallel.
	branches []*machine

	// Map.
	processor        *machine
	itemsPath        optPath
	items            *expr
	itemSelector     *expr
	maxConcurrency   numberField
	toleratedCount   numberField
	toleratedPercent numberField
	itemReader       *itemReader
	itemBatcher      *itemBatcher
	resultWriter     *resultWriter
	distributed      bool
	label            string
}

// numberField is an integer field given as a literal, a JSONPath (the ...Path variant) or a
// JSONata expression.
type numberField struct {
	set     bool
	literal float64
	path    *jsonpath.Path
	expr    *expr
}

// stringField is Fail's Error or Cause: a literal, a JSONPath (ErrorPath) or a JSONata expression.
type stringField struct {
	set     bool
	literal string
	path    *jsonpath.Path
	expr    *expr
}

// timestampField is Wait's Timestamp or TimestampPath.
type timestampField struct {
	literal string
	path    *jsonpath.Path
	expr    *expr
}

// itemReader is a Map state's ItemReader.
type itemReader struct {
	resource     string
	parameters   *expr
	readerConfig any
}

// itemBatcher is a Map state's ItemBatcher.
type itemBatcher struct {
	maxItems   numberField
	maxBytes   numberField
	batchInput *expr
}

// resultWriter is a Map state's ResultWriter.
type resultWriter struct {
	resource     string
	parameters   *expr
	writerConfig any
}

// resourceKind selects the family of history events a Task emits.
type resourceKind uint8

const (
	resourceIntegration resourceKind = iota // arn:aws:states:::service:action -> Task* events
	resourceLambda                          // a function ARN -> LambdaFunction* events
	resourceActivity                        // an activity ARN -> Activity* events
)
