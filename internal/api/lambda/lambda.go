// Package lambda serves the Lambda API (rest-json): it routes each request by method and path as
// botocore's lambda model binds them, decodes the input, calls the funcs service, and encodes the
// output and errors in the shapes AWS clients expect. It holds no domain logic and no state.
package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/funcs"
	"github.com/ceap/ceap/internal/protocol"
)

// Handler serves the Lambda API.
type Handler struct {
	svc *funcs.Service
	log *slog.Logger
}

// New returns the handler of svc.
func New(svc *funcs.Service, log *slog.Logger) *Handler { return &Handler{svc: svc, log: log} }

// result is what an operation returns: a status, a JSON body (or raw bytes) and headers.
type result struct {
	status  int
	body    any
	raw     []byte
	headers map[string]string
}

type op func(ctx context.Context, r *protocol.Request, fn string, sub string) (*result, error)

// ServeAWS routes and serves one request.
func (h *Handler) ServeAWS(w http.ResponseWriter, r *protocol.Request) {
	r.Protocol = protocol.KindRestJSON
	o, fn, sub := h.route(r.HTTP.Method, r.HTTP.URL.EscapedPath())
	if o == nil {
		h.WriteError(w, r, awserr.WithStatus(404, "UnknownOperationException", "Unknown operation %s %s", r.HTTP.Method, r.HTTP.URL.Path))
		return
	}
	res, err := o(protocol.WithRequest(r.HTTP.Context(), r), r, fn, sub)
	if err != nil {
		h.WriteError(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("x-amzn-RequestId", r.RequestID)
	for k, v := range res.headers {
		hd.Set(k, v)
	}
	body := res.raw
	if res.body != nil {
		b, err := json.Marshal(res.body)
		if err != nil {
			h.WriteError(w, r, err)
			return
		}
		body = b
	}
	if body != nil {
		if hd.Get("Content-Type") == "" {
			hd.Set("Content-Type", "application/json")
		}
		hd.Set("Content-Length", strconv.Itoa(len(body)))
	}
	w.WriteHeader(res.status)
	if body != nil {
		w.Write(body)
	}
}

// WriteError writes a Lambda error: the code in X-Amzn-ErrorType and a JSON body with Type and
// message (and the error's extra fields, such as a throttle's Reason).
func (h *Handler) WriteError(w http.ResponseWriter, r *protocol.Request, err error) {
	ae, ok := awserr.As(err)
	if !ok {
		if h.log != nil {
			h.log.Error("request_failed", "request_id", r.RequestID, "service", "lambda", "err", err)
		}
		ae = awserr.WithStatus(500, "ServiceException", "An internal error occurred.")
	}
	body := map[string]string{"Type": "User", "message": ae.Message}
	if ae.HTTPStatus() >= 500 {
		body["Type"] = "Service"
	}
	for k, v := range ae.Fields {
		body[k] = v
	}
	b, _ := json.Marshal(body)
	hd := w.Header()
	hd.Set("x-amzn-RequestId", r.RequestID)
	hd.Set("X-Amzn-Errortype", ae.Code)
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(ae.HTTPStatus())
	w.Write(b)
}

// route finds the operation of a request and the FunctionName and sub-resource in its path.
func (h *Handler) route(method, path string) (op, string, string) {
	seg := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range seg {
		if u, err := url.PathUnescape(s); err == nil {
			seg[i] = u
		}
	}
	if len(seg) == 0 {
		return nil, "", ""
	}
	switch {
	case len(seg) >= 2 && seg[0] == "2016-08-19" && seg[1] == "account-settings" && method == http.MethodGet:
		return h.getAccountSettings, "", ""
	case len(seg) >= 3 && seg[0] == "2017-03-31" && seg[1] == "tags":
		arn := strings.Join(seg[2:], "/")
		switch method {
		case http.MethodPost:
			return h.tagResource, arn, ""
		case http.MethodGet:
			return h.listTags, arn, ""
		case http.MethodDelete:
			return h.untagResource, arn, ""
		}
		return nil, "", ""
	case len(seg) < 2 || seg[1] != "functions":
		return nil, "", ""
	}
	version := seg[0]
	if len(seg) == 2 {
		switch {
		case version == "2015-03-31" && method == http.MethodPost:
			return h.createFunction, "", ""
		case version == "2015-03-31" && method == http.MethodGet:
			return h.listFunctions, "", ""
		}
		return nil, "", ""
	}
	fn := seg[2]
	if len(seg) == 3 {
		switch method {
		case http.MethodGet:
			return h.getFunction, fn, ""
		case http.MethodDelete:
			return h.deleteFunction, fn, ""
		}
		return nil, "", ""
	}
	sub := seg[3]
	rest := ""
	if len(seg) > 4 {
		rest = seg[4]
	}
	switch sub + " " + method {
	case "configuration GET":
		return h.getFunctionConfiguration, fn, ""
	case "configuration PUT":
		return h.updateFunctionConfiguration, fn, ""
	case "code PUT":
		return h.updateFunctionCode, fn, ""
	case "invocations POST":
		return h.invoke, fn, ""
	case "versions POST":
		return h.publishVersion, fn, ""
	case "versions GET":
		return h.listVersions, fn, ""
	case "concurrency PUT":
		return h.putConcurrency, fn, ""
	case "concurrency GET":
		return h.getConcurrency, fn, ""
	case "concurrency DELETE":
		return h.deleteConcurrency, fn, ""
	case "aliases POST":
		return h.createAlias, fn, ""
	case "aliases GET":
		if rest != "" {
			return h.getAlias, fn, rest
		}
		return h.listAliases, fn, ""
	case "aliases PUT":
		return h.updateAlias, fn, rest
	case "aliases DELETE":
		return h.deleteAlias, fn, rest
	}
	return nil, "", ""
}

func decode(r *protocol.Request, v any) error {
	if len(strings.TrimSpace(string(r.Body))) == 0 {
		return nil
	}
	if err := json.Unmarshal(r.Body, v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return awserr.New("InvalidParameterValueException", "Unexpected value type for field %q", te.Field)
		}
		return awserr.New("InvalidRequestContentException", "Could not parse request body into json: %v", err)
	}
	return nil
}

func query(r *protocol.Request, name string) string { return r.HTTP.URL.Query().Get(name) }

// lastModified is Lambda's LastModified format.
func lastModified(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000-0700") }

type environmentOut struct {
	Variables map[string]string `json:"Variables"`
}

type functionConfigOut struct {
	FunctionName     string          `json:"FunctionName"`
	FunctionArn      string          `json:"FunctionArn"`
	Runtime          string          `json:"Runtime"`
	Role             string          `json:"Role"`
	Handler          string          `json:"Handler,omitempty"`
	CodeSize         int64           `json:"CodeSize"`
	Description      string          `json:"Description"`
	Timeout          int             `json:"Timeout"`
	MemorySize       int             `json:"MemorySize"`
	LastModified     string          `json:"LastModified"`
	CodeSha256       string          `json:"CodeSha256"`
	Version          string          `json:"Version"`
	Environment      *environmentOut `json:"Environment,omitempty"`
	RevisionID       string          `json:"RevisionId"`
	State            string          `json:"State"`
	LastUpdateStatus string          `json:"LastUpdateStatus"`
	PackageType      string          `json:"PackageType"`
	Architectures    []string        `json:"Architectures"`
	EphemeralStorage map[string]int  `json:"EphemeralStorage"`
	LoggingConfig    map[string]any  `json:"LoggingConfig"`
	TracingConfig    map[string]any  `json:"TracingConfig"`
}

func configOut(c *funcs.FunctionConfig) functionConfigOut {
	o := functionConfigOut{
		FunctionName: c.Name, FunctionArn: c.ARN, Runtime: c.Runtime, Role: c.Role, Handler: c.Handler, CodeSize: c.CodeSize,
		Description: c.Description, Timeout: c.Timeout, MemorySize: c.MemorySize, LastModified: lastModified(c.LastModified),
		CodeSha256: c.CodeSHA256, Version: c.Version, RevisionID: c.RevisionID, State: c.State, LastUpdateStatus: "Successful",
		PackageType: c.PackageType, Architectures: c.Architectures, EphemeralStorage: map[string]int{"Size": 512},
		LoggingConfig: map[string]any{"LogFormat": "Text", "LogGroup": "/aws/lambda/" + c.Name},
		TracingConfig: map[string]any{"Mode": "PassThrough"},
	}
	if len(c.Environment) > 0 {
		o.Environment = &environmentOut{Variables: c.Environment}
	}
	return o
}

type codeIn struct {
	ZipFile         []byte `json:"ZipFile"`
	S3Bucket        string `json:"S3Bucket"`
	S3Key           string `json:"S3Key"`
	S3ObjectVersion string `json:"S3ObjectVersion"`
	ImageURI        string `json:"ImageUri"`
}

func (c codeIn) toDomain() funcs.CodeInput {
	return funcs.CodeInput{ZipFile: c.ZipFile, S3Bucket: c.S3Bucket, S3Key: c.S3Key, S3ObjectVersion: c.S3ObjectVersion, ImageURI: c.ImageURI}
}

type createFunctionIn struct {
	FunctionName  string            `json:"FunctionName"`
	Runtime       string            `json:"Runtime"`
	Role          string            `json:"Role"`
	Handler       string            `json:"Handler"`
	Code          *codeIn           `json:"Code"`
	Description   string            `json:"Description"`
	Timeout       int               `json:"Timeout"`
	MemorySize    int               `json:"MemorySize"`
	Publish       bool              `json:"Publish"`
	PackageType   string            `json:"PackageType"`
	Environment   *environmentOut   `json:"Environment"`
	Tags          map[string]string `json:"Tags"`
	Architectures []string          `json:"Architectures"`
}

func (h *Handler) createFunction(ctx context.Context, r *protocol.Request, _, _ string) (*result, error) {
	var in createFunctionIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.FunctionName == "" {
		return nil, awserr.MissingMember("ValidationException", "functionName")
	}
	if in.Code == nil {
		return nil, awserr.MissingMember("ValidationException", "code")
	}
	var env map[string]string
	if in.Environment != nil {
		env = in.Environment.Variables
	}
	cfg, err := h.svc.CreateFunction(ctx, r.Caller.Account, funcs.CreateInput{
		Name: in.FunctionName, Runtime: in.Runtime, Handler: in.Handler, Role: in.Role, Description: in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize, Environment: env, Tags: in.Tags, Architectures: in.Architectures,
		PackageType: in.PackageType, Code: in.Code.toDomain(), Publish: in.Publish,
	})
	if err != nil {
		return nil, err
	}
	return &result{status: 201, body: configOut(cfg)}, nil
}

type listFunctionsOut struct {
	Functions  []functionConfigOut `json:"Functions"`
	NextMarker string              `json:"NextMarker,omitempty"`
}

func (h *Handler) listFunctions(ctx context.Context, r *protocol.Request, _, _ string) (*result, error) {
	max, _ := strconv.Atoi(query(r, "MaxItems"))
	list, next, err := h.svc.ListFunctions(ctx, r.Caller.Account, query(r, "Marker"), max)
	if err != nil {
		return nil, err
	}
	out := listFunctionsOut{Functions: make([]functionConfigOut, len(list)), NextMarker: next}
	for i, c := range list {
		out.Functions[i] = configOut(c)
	}
	return &result{status: 200, body: out}, nil
}

type getFunctionOut struct {
	Configuration functionConfigOut `json:"Configuration"`
	Code          map[string]string `json:"Code"`
	Tags          map[string]string `json:"Tags,omitempty"`
	Concurrency   map[string]int    `json:"Concurrency,omitempty"`
}

func (h *Handler) getFunction(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	info, err := h.svc.GetFunction(ctx, r.Caller.Account, fn, query(r, "Qualifier"))
	if err != nil {
		return nil, err
	}
	out := getFunctionOut{Configuration: configOut(info.Config), Code: map[string]string{"RepositoryType": "S3", "Location": "file://" + info.CodePath}, Tags: info.Tags}
	if info.Reserved != nil {
		out.Concurrency = map[string]int{"ReservedConcurrentExecutions": *info.Reserved}
	}
	return &result{status: 200, body: out}, nil
}

func (h *Handler) deleteFunction(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	if err := h.svc.DeleteFunction(ctx, r.Caller.Account, fn, query(r, "Qualifier")); err != nil {
		return nil, err
	}
	return &result{status: 204}, nil
}

func (h *Handler) getFunctionConfiguration(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	cfg, err := h.svc.GetFunctionConfiguration(ctx, r.Caller.Account, fn, query(r, "Qualifier"))
	if err != nil {
		return nil, err
	}
	return &result{status: 200, body: configOut(cfg)}, nil
}

type updateConfigIn struct {
	Runtime     *string         `json:"Runtime"`
	Role        *string         `json:"Role"`
	Handler     *string         `json:"Handler"`
	Description *string         `json:"Description"`
	Timeout     *int            `json:"Timeout"`
	MemorySize  *int            `json:"MemorySize"`
	Environment *environmentOut `json:"Environment"`
	RevisionID  string          `json:"RevisionId"`
}

func (h *Handler) updateFunctionConfiguration(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	var in updateConfigIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	up := funcs.UpdateConfigInput{Runtime: in.Runtime, Role: in.Role, Handler: in.Handler, Description: in.Description,
		Timeout: in.Timeout, MemorySize: in.MemorySize, RevisionID: in.RevisionID}
	if in.Environment != nil {
		env := in.Environment.Variables
		if env == nil {
			env = map[string]string{}
		}
		up.Environment = &env
	}
	cfg, err := h.svc.UpdateFunctionConfiguration(ctx, r.Caller.Account, fn, up)
	if err != nil {
		return nil, err
	}
	return &result{status: 200, body: configOut(cfg)}, nil
}

type updateCodeIn struct {
	codeIn
	Publish    bool   `json:"Publish"`
	RevisionID string `json:"RevisionId"`
}

func (h *Handler) updateFunctionCode(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	var in updateCodeIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	cfg, err := h.svc.UpdateFunctionCode(ctx, r.Caller.Account, fn, funcs.UpdateCodeInput{Code: in.codeIn.toDomain(), Publish: in.Publish, RevisionID: in.RevisionID})
	if err != nil {
		return nil, err
	}
	return &result{status: 200, body: configOut(cfg)}, nil
}

func (h *Handler) invoke(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	hd := r.HTTP.Header
	logType := hd.Get("X-Amz-Log-Type")
	if logType != "" && logType != "None" && logType != "Tail" {
		return nil, awserr.New("InvalidParameterValueException", "1 validation error detected: Value '%s' at 'logType' failed to satisfy constraint: Member must satisfy enum value set: [None, Tail]", logType)
	}
	var clientContext string
	if cc := hd.Get("X-Amz-Client-Context"); cc != "" {
		b, err := base64.StdEncoding.DecodeString(cc)
		if err != nil || !json.Valid(b) {
			return nil, awserr.New("InvalidParameterValueException", "Client context must be a valid Base64-encoded JSON object.")
		}
		clientContext = string(b)
	}
	res, err := h.svc.Invoke(ctx, r.Caller.Account, fn, r.Body, funcs.InvokeOptions{
		InvocationType: hd.Get("X-Amz-Invocation-Type"), Tail: logType == "Tail", Qualifier: query(r, "Qualifier"),
		ClientContext: clientContext,
	})
	if err != nil {
		return nil, err
	}
	out := &result{status: res.StatusCode, headers: map[string]string{}}
	if res.ExecutedVersion != "" && res.StatusCode == 200 {
		out.headers["X-Amz-Executed-Version"] = res.ExecutedVersion
	}
	if res.FunctionError != "" {
		out.headers["X-Amz-Function-Error"] = res.FunctionError
	}
	if res.LogResult != "" {
		out.headers["X-Amz-Log-Result"] = res.LogResult
	}
	if res.StatusCode == 200 {
		out.raw = res.Payload
		if out.raw == nil {
			out.raw = []byte{}
		}
	}
	return out, nil
}

type publishIn struct {
	Description string `json:"Description"`
	CodeSha256  string `json:"CodeSha256"`
	RevisionID  string `json:"RevisionId"`
}

func (h *Handler) publishVersion(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	var in publishIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	cfg, err := h.svc.PublishVersion(ctx, r.Caller.Account, fn, in.Description, in.CodeSha256, in.RevisionID)
	if err != nil {
		return nil, err
	}
	return &result{status: 201, body: configOut(cfg)}, nil
}

type listVersionsOut struct {
	Versions []functionConfigOut `json:"Versions"`
}

func (h *Handler) listVersions(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	list, err := h.svc.ListVersions(ctx, r.Caller.Account, fn)
	if err != nil {
		return nil, err
	}
	out := listVersionsOut{Versions: make([]functionConfigOut, len(list))}
	for i, c := range list {
		out.Versions[i] = configOut(c)
	}
	return &result{status: 200, body: out}, nil
}

type concurrencyIO struct {
	ReservedConcurrentExecutions *int `json:"ReservedConcurrentExecutions,omitempty"`
}

func (h *Handler) putConcurrency(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	var in concurrencyIO
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.ReservedConcurrentExecutions == nil {
		return nil, awserr.MissingMember("ValidationException", "reservedConcurrentExecutions")
	}
	n, err := h.svc.PutFunctionConcurrency(ctx, r.Caller.Account, fn, *in.ReservedConcurrentExecutions)
	if err != nil {
		return nil, err
	}
	return &result{status: 200, body: concurrencyIO{ReservedConcurrentExecutions: &n}}, nil
}

func (h *Handler) getConcurrency(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	n, err := h.svc.GetFunctionConcurrency(ctx, r.Caller.Account, fn)
	if err != nil {
		return nil, err
	}
	return &result{status: 200, body: concurrencyIO{ReservedConcurrentExecutions: n}}, nil
}

func (h *Handler) deleteConcurrency(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	if err := h.svc.DeleteFunctionConcurrency(ctx, r.Caller.Account, fn); err != nil {
		return nil, err
	}
	return &result{status: 204}, nil
}

type accountSettingsOut struct {
	AccountLimit map[string]int64 `json:"AccountLimit"`
	AccountUsage map[string]int64 `json:"AccountUsage"`
}

func (h *Handler) getAccountSettings(ctx context.Context, r *protocol.Request, _, _ string) (*result, error) {
	s, err := h.svc.GetAccountSettings(ctx, r.Caller.Account)
	if err != nil {
		return nil, err
	}
	return &result{status: 200, body: accountSettingsOut{
		AccountLimit: map[string]int64{
			"TotalCodeSize": 80530636800, "CodeSizeUnzipped": funcs.MaxUnzippedCodeSize, "CodeSizeZipped": funcs.MaxZipFileSize,
			"ConcurrentExecutions": int64(s.ConcurrentExecutions), "UnreservedConcurrentExecutions": int64(s.UnreservedConcurrentExecutions),
		},
		AccountUsage: map[string]int64{"TotalCodeSize": s.TotalCodeSize, "FunctionCount": int64(s.FunctionCount)},
	}}, nil
}

type aliasIn struct {
	Name            string  `json:"Name"`
	FunctionVersion *string `json:"FunctionVersion"`
	Description     *string `json:"Description"`
}

type aliasOut struct {
	AliasArn        string `json:"AliasArn"`
	Name            string `json:"Name"`
	FunctionVersion string `json:"FunctionVersion"`
	Description     string `json:"Description"`
	RevisionID      string `json:"RevisionId"`
}

func (h *Handler) aliasOut(r *protocol.Request, fn string, a *funcs.Alias) aliasOut {
	_, name, _, _ := funcs.ParseName(fn)
	return aliasOut{AliasArn: h.svc.AliasARN(r.Caller.Account, name, a.Name), Name: a.Name, FunctionVersion: a.FunctionVersion, Description: a.Description, RevisionID: a.RevisionID}
}

func (h *Handler) createAlias(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	var in aliasIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if in.Name == "" || in.FunctionVersion == nil {
		return nil, awserr.MissingMember("ValidationException", "name")
	}
	desc := ""
	if in.Description != nil {
		desc = *in.Description
	}
	a, err := h.svc.CreateAlias(ctx, r.Caller.Account, fn, in.Name, *in.FunctionVersion, desc)
	if err != nil {
		return nil, err
	}
	return &result{status: 201, body: h.aliasOut(r, fn, a)}, nil
}

func (h *Handler) getAlias(ctx context.Context, r *protocol.Request, fn, alias string) (*result, error) {
	a, err := h.svc.GetAlias(ctx, r.Caller.Account, fn, alias)
	if err != nil {
		return nil, err
	}
	return &result{status: 200, body: h.aliasOut(r, fn, a)}, nil
}

func (h *Handler) updateAlias(ctx context.Context, r *protocol.Request, fn, alias string) (*result, error) {
	var in aliasIn
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	a, err := h.svc.UpdateAlias(ctx, r.Caller.Account, fn, alias, in.FunctionVersion, in.Description)
	if err != nil {
		return nil, err
	}
	return &result{status: 200, body: h.aliasOut(r, fn, a)}, nil
}

func (h *Handler) deleteAlias(ctx context.Context, r *protocol.Request, fn, alias string) (*result, error) {
	if err := h.svc.DeleteAlias(ctx, r.Caller.Account, fn, alias); err != nil {
		return nil, err
	}
	return &result{status: 204}, nil
}

type listAliasesOut struct {
	Aliases []aliasOut `json:"Aliases"`
}

func (h *Handler) listAliases(ctx context.Context, r *protocol.Request, fn, _ string) (*result, error) {
	list, err := h.svc.ListAliases(ctx, r.Caller.Account, fn)
	if err != nil {
		return nil, err
	}
	out := listAliasesOut{Aliases: make([]aliasOut, len(list))}
	for i := range list {
		out.Aliases[i] = h.aliasOut(r, fn, &list[i])
	}
	return &result{status: 200, body: out}, nil
}

type tagsIO struct {
	Tags map[string]string `json:"Tags"`
}

func (h *Handler) tagResource(ctx context.Context, r *protocol.Request, arn, _ string) (*result, error) {
	var in tagsIO
	if err := decode(r, &in); err != nil {
		return nil, err
	}
	if err := h.svc.Tag(ctx, r.Caller.Account, arn, in.Tags, nil); err != nil {
		return nil, err
	}
	return &result{status: 204}, nil
}

func (h *Handler) untagResource(ctx context.Context, r *protocol.Request, arn, _ string) (*result, error) {
	if err := h.svc.Tag(ctx, r.Caller.Account, arn, nil, r.HTTP.URL.Query()["tagKeys"]); err != nil {
		return nil, err
	}
	return &result{status: 204}, nil
}

func (h *Handler) listTags(ctx context.Context, r *protocol.Request, arn, _ string) (*result, error) {
	tags, err := h.svc.Tags(ctx, r.Caller.Account, arn)
	if err != nil {
		return nil, err
	}
	return &result{status: 200, body: tagsIO{Tags: tags}}, nil
}
