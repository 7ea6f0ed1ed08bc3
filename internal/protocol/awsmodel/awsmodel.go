// Package awsmodel loads the AWS service models that ceap serves: the shapes, operations and
// protocol traits of botocore's service-2.json files, trimmed of documentation and embedded in the
// binary. The protocol codecs that cannot be written from Go struct tags alone (query, rest-xml,
// error codes of awsQueryCompatible services) read their wire names from here, so the shapes are
// exactly the ones the aws CLI and the SDKs were generated from.
//
// Regenerate the data with `go generate ./internal/protocol/awsmodel` (needs botocore installed).
package awsmodel

import (
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"sync"
)

//go:generate go run ./gen -out data

//go:embed data/*.json.gz
var data embed.FS

// Model is one service's model.
type Model struct {
	Metadata   Metadata              `json:"metadata"`
	Operations map[string]*Operation `json:"operations"`
	Shapes     map[string]*Shape     `json:"shapes"`
}

// Metadata is the model's metadata block.
type Metadata struct {
	APIVersion         string         `json:"apiVersion"`
	EndpointPrefix     string         `json:"endpointPrefix"`
	JSONVersion        string         `json:"jsonVersion"`
	Protocol           string         `json:"protocol"`
	Protocols          []string       `json:"protocols"`
	ServiceID          string         `json:"serviceId"`
	SigningName        string         `json:"signingName"`
	TargetPrefix       string         `json:"targetPrefix"`
	XMLNamespace       string         `json:"xmlNamespace"`
	AWSQueryCompatible map[string]any `json:"awsQueryCompatible"`
}

// Operation is one API operation.
type Operation struct {
	Name   string     `json:"name"`
	HTTP   HTTP       `json:"http"`
	Input  *ShapeRef  `json:"input"`
	Output *ShapeRef  `json:"output"`
	Errors []ShapeRef `json:"errors"`
}

// HTTP is an operation's HTTP binding.
type HTTP struct {
	Method       string `json:"method"`
	RequestURI   string `json:"requestUri"`
	ResponseCode int    `json:"responseCode"`
}

// ShapeRef is a reference to a shape with the traits of the reference.
type ShapeRef struct {
	Shape           string `json:"shape"`
	LocationName    string `json:"locationName"`
	Location        string `json:"location"`
	Flattened       bool   `json:"flattened"`
	ResultWrapper   string `json:"resultWrapper"`
	XMLAttribute    bool   `json:"xmlAttribute"`
	XMLNamespace    any    `json:"xmlNamespace"`
	TimestampFormat string `json:"timestampFormat"`
	Payload         bool   `json:"-"`
}

// ErrorTrait is a shape's "error" trait.
type ErrorTrait struct {
	Code           string `json:"code"`
	HTTPStatusCode int    `json:"httpStatusCode"`
	SenderFault    bool   `json:"senderFault"`
}

// Shape is a type in the model.
type Shape struct {
	Type            string               `json:"type"`
	Members         map[string]*ShapeRef `json:"members"`
	Member          *ShapeRef            `json:"member"`
	Key             *ShapeRef            `json:"key"`
	Value           *ShapeRef            `json:"value"`
	Required        []string             `json:"required"`
	Flattened       bool                 `json:"flattened"`
	LocationName    string               `json:"locationName"`
	TimestampFormat string               `json:"timestampFormat"`
	Error           *ErrorTrait          `json:"error"`
	Exception       bool                 `json:"exception"`
	Payload         string               `json:"payload"`
	Enum            []string             `json:"enum"`
	Min             *float64             `json:"min"`
	Max             *float64             `json:"max"`
}

var (
	mu     sync.Mutex
	loaded = map[string]*Model{}
)

// Load returns the embedded model of a service by its botocore name (e.g. "sqs", "sns",
// "cloudwatch"). Models are parsed once and shared read-only.
func Load(name string) (*Model, error) {
	mu.Lock()
	defer mu.Unlock()
	if m, ok := loaded[name]; ok {
		return m, nil
	}
	f, err := data.Open("data/" + name + ".json.gz")
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", name, err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("model %q: %w", name, err)
	}
	var m Model
	if err := json.NewDecoder(zr).Decode(&m); err != nil {
		return nil, fmt.Errorf("model %q: %w", name, err)
	}
	if names, ok := queryNames[name]; ok {
		for shape, n := range names {
			s := m.Shapes[shape]
			if s == nil {
				return nil, fmt.Errorf("model %q: query name for unknown shape %q", name, shape)
			}
			s.LocationName = n.Name
			if n.Member != "" {
				s.Member.LocationName = n.Member
			}
			if n.Key != "" {
				s.Key.LocationName, s.Value.LocationName = n.Key, n.Value
			}
		}
	}
	loaded[name] = &m
	return &m, nil
}

// queryName is the wire naming that a collection shape had in the query protocol.
type queryName struct{ Name, Member, Key, Value string }

// queryNames restores the query-protocol wire names that botocore dropped when a service moved
// to JSON but kept query compatibility (SQS: awsQueryCompatible). They are the locationName traits
// of the last query version of the model.
var queryNames = map[string]map[string]queryName{
	"sqs": {
		"AttributeNameList":                            {Member: "AttributeName"},
		"MessageAttributeNameList":                     {Member: "MessageAttributeName"},
		"MessageSystemAttributeList":                   {Member: "MessageSystemAttributeName"},
		"QueueAttributeMap":                            {Name: "Attribute", Key: "Name", Value: "Value"},
		"MessageSystemAttributeMap":                    {Name: "Attribute", Key: "Name", Value: "Value"},
		"MessageBodyAttributeMap":                      {Name: "MessageAttribute", Key: "Name", Value: "Value"},
		"MessageBodySystemAttributeMap":                {Name: "MessageSystemAttribute", Key: "Name", Value: "Value"},
		"MessageList":                                  {Member: "Message"},
		"QueueUrlList":                                 {Member: "QueueUrl"},
		"TagMap":                                       {Name: "Tag", Key: "Key", Value: "Value"},
		"TagKeyList":                                   {Member: "TagKey"},
		"StringList":                                   {Member: "StringListValue"},
		"BinaryList":                                   {Member: "BinaryListValue"},
		"SendMessageBatchRequestEntryList":             {Member: "SendMessageBatchRequestEntry"},
		"DeleteMessageBatchRequestEntryList":           {Member: "DeleteMessageBatchRequestEntry"},
		"ChangeMessageVisibilityBatchRequestEntryList": {Member: "ChangeMessageVisibilityBatchRequestEntry"},
		"SendMessageBatchResultEntryList":              {Member: "SendMessageBatchResultEntry"},
		"DeleteMessageBatchResultEntryList":            {Member: "DeleteMessageBatchResultEntry"},
		"ChangeMessageVisibilityBatchResultEntryList":  {Member: "ChangeMessageVisibilityBatchResultEntry"},
		"BatchResultErrorEntryList":                    {Member: "BatchResultErrorEntry"},
		"ListMessageMoveTasksResultEntryList":          {Member: "ListMessageMoveTasksResultEntry"},
	},
}

// MustLoad is Load for models that are known to be embedded.
func MustLoad(name string) *Model {
	m, err := Load(name)
	if err != nil {
		panic(err)
	}
	return m
}

// QueryErrorCode returns the code that query-protocol clients expect for the error shape named
// shape (the "error" trait's code), or shape itself when the model gives none.
func (m *Model) QueryErrorCode(shape string) (code string, senderFault bool, status int) {
	s, ok := m.Shapes[shape]
	if !ok || s.Error == nil {
		return shape, true, 0
	}
	code = s.Error.Code
	if code == "" {
		code = shape
	}
	return code, s.Error.SenderFault, s.Error.HTTPStatusCode
}
