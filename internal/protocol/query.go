package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ceap/ceap/internal/awserr"
	"github.com/ceap/ceap/internal/protocol/awsmodel"
)

// decodeQuery turns the form parameters of a query-protocol request into v, using the
// operation's input shape for the wire names (flattened lists and maps, locationName).
func (r *Request) decodeQuery(v any) error {
	m, err := queryModel(r)
	if err != nil {
		return err
	}
	op, ok := m.Operations[r.Operation]
	if !ok || op.Input == nil {
		return json.Unmarshal([]byte("{}"), v)
	}
	val, err := formStruct(m, m.Shapes[op.Input.Shape], r.Form, "")
	if err != nil {
		return err
	}
	b, err := json.Marshal(val)
	if err != nil {
		return fmt.Errorf("query input: %w", err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return serializationError(err)
	}
	return nil
}

// queryModels maps service keys to embedded model names, for the services that speak query.
var queryModels = map[string]string{SQS: "sqs", SNS: "sns", CloudWatch: "cloudwatch"}

func queryModel(r *Request) (*awsmodel.Model, error) {
	name, ok := queryModels[r.Service]
	if !ok {
		return nil, awserr.New("InvalidAction", "The query protocol is not supported for %s.", r.Service)
	}
	return awsmodel.Load(name)
}

func formStruct(m *awsmodel.Model, shape *awsmodel.Shape, form map[string][]string, prefix string) (map[string]any, error) {
	out := map[string]any{}
	for name, ref := range shape.Members {
		val, present, err := formValue(m, ref, form, prefix+wireName(m, name, ref))
		if err != nil {
			return nil, err
		}
		if present {
			out[name] = val
		}
	}
	return out, nil
}

// wireName is a member's name on the wire: its locationName, else its collection shape's
// query name, else the member name.
func wireName(m *awsmodel.Model, member string, ref *awsmodel.ShapeRef) string {
	if ref.LocationName != "" {
		return ref.LocationName
	}
	if s := m.Shapes[ref.Shape]; s != nil && s.LocationName != "" && s.Type == "map" {
		return s.LocationName
	}
	return member
}

func hasPrefix(form map[string][]string, prefix string) bool {
	for k := range form {
		if strings.HasPrefix(k, prefix) {
			return true
		}
	}
	return false
}

func formValue(m *awsmodel.Model, ref *awsmodel.ShapeRef, form map[string][]string, key string) (any, bool, error) {
	shape := m.Shapes[ref.Shape]
	if shape == nil {
		return nil, false, nil
	}
	switch shape.Type {
	case "structure":
		if !hasPrefix(form, key+".") {
			return nil, false, nil
		}
		v, err := formStruct(m, shape, form, key+".")
		return v, true, err
	case "list":
		base := key
		if !(ref.Flattened || shape.Flattened) {
			member := "member"
			if shape.Member.LocationName != "" {
				member = shape.Member.LocationName
			}
			base = key + "." + member
		} else if shape.Member.LocationName != "" && !hasPrefix(form, key+".") {
			// A flattened list is sent under its member's locationName in place of the last
			// component of its own name (botocore's QuerySerializer).
			if i := strings.LastIndexByte(key, '.'); i >= 0 {
				base = key[:i+1] + shape.Member.LocationName
			} else {
				base = shape.Member.LocationName
			}
		}
		var items []any
		for i := 1; ; i++ {
			v, ok, err := formValue(m, shape.Member, form, base+"."+strconv.Itoa(i))
			if err != nil {
				return nil, false, err
			}
			if !ok {
				break
			}
			items = append(items, v)
		}
		if items == nil {
			if vs, ok := form[key]; ok && len(vs) == 1 && vs[0] == "" {
				return []any{}, true, nil
			}
			return nil, false, nil
		}
		return items, true, nil
	case "map":
		base := key
		if !(ref.Flattened || shape.Flattened) {
			base = key + ".entry"
		}
		kname, vname := "key", "value"
		if shape.Key.LocationName != "" {
			kname = shape.Key.LocationName
		}
		if shape.Value.LocationName != "" {
			vname = shape.Value.LocationName
		}
		out := map[string]any{}
		for i := 1; ; i++ {
			p := base + "." + strconv.Itoa(i) + "."
			k, ok := form[p+kname]
			if !ok || len(k) == 0 {
				break
			}
			v, _, err := formValue(m, shape.Value, form, p+vname)
			if err != nil {
				return nil, false, err
			}
			out[k[0]] = v
		}
		if len(out) == 0 {
			return nil, false, nil
		}
		return out, true, nil
	default:
		vs, ok := form[key]
		if !ok || len(vs) == 0 {
			return nil, false, nil
		}
		v, err := scalarFromString(shape.Type, vs[0], key)
		return v, err == nil, err
	}
}

func scalarFromString(typ, s, key string) (any, error) {
	switch typ {
	case "integer", "long":
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, awserr.New("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Must be an integer.", s, key)
		}
		return n, nil
	case "float", "double":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, awserr.New("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Must be a number.", s, key)
		}
		return f, nil
	case "boolean":
		switch strings.ToLower(s) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, awserr.New("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Must be a boolean.", s, key)
	case "timestamp":
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return f, nil
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, awserr.New("InvalidParameterValue", "Value (%s) for parameter %s is invalid. Must be a timestamp.", s, key)
		}
		return float64(t.UnixMilli()) / 1000, nil
	default: // string, blob (base64 both ways)
		return s, nil
	}
}

// encodeQueryResponse renders out (a struct with json tags named as the model's members) as the
// query protocol's <OpResponse><OpResult>...</OpResult><ResponseMetadata/></OpResponse>.
func encodeQueryResponse(m *awsmodel.Model, opName, requestID string, out any) ([]byte, error) {
	if m == nil {
		return nil, fmt.Errorf("no model for query response")
	}
	op := m.Operations[opName]
	var buf bytes.Buffer
	ns := m.Metadata.XMLNamespace
	if ns == "" {
		ns = "http://queue.amazonaws.com/doc/" + m.Metadata.APIVersion + "/"
	}
	fmt.Fprintf(&buf, `<?xml version="1.0"?><%sResponse xmlns="%s">`, opName, ns)
	if op != nil && op.Output != nil && out != nil {
		var generic any
		b, err := json.Marshal(out)
		if err != nil {
			return nil, err
		}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.UseNumber()
		if err := dec.Decode(&generic); err != nil {
			return nil, err
		}
		wrapper := op.Output.ResultWrapper
		if wrapper == "" {
			wrapper = opName + "Result"
		}
		buf.WriteString("<" + wrapper + ">")
		if obj, ok := generic.(map[string]any); ok {
			writeXMLMembers(&buf, m, m.Shapes[op.Output.Shape], obj)
		}
		buf.WriteString("</" + wrapper + ">")
	}
	fmt.Fprintf(&buf, "<ResponseMetadata><RequestId>%s</RequestId></ResponseMetadata></%sResponse>", requestID, opName)
	return buf.Bytes(), nil
}

func writeXMLMembers(buf *bytes.Buffer, m *awsmodel.Model, shape *awsmodel.Shape, obj map[string]any) {
	names := make([]string, 0, len(shape.Members))
	for n := range shape.Members {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		v, ok := obj[name]
		if !ok || v == nil {
			continue
		}
		ref := shape.Members[name]
		writeXMLValue(buf, m, ref, wireName(m, name, ref), v)
	}
}

func writeXMLValue(buf *bytes.Buffer, m *awsmodel.Model, ref *awsmodel.ShapeRef, name string, v any) {
	shape := m.Shapes[ref.Shape]
	if shape == nil {
		return
	}
	switch shape.Type {
	case "structure":
		obj, _ := v.(map[string]any)
		buf.WriteString("<" + name + ">")
		writeXMLMembers(buf, m, shape, obj)
		buf.WriteString("</" + name + ">")
	case "list":
		items, _ := v.([]any)
		flat := ref.Flattened || shape.Flattened
		member := "member"
		if shape.Member.LocationName != "" {
			member = shape.Member.LocationName
		}
		if flat {
			if shape.Member.LocationName != "" {
				name = shape.Member.LocationName
			}
			for _, it := range items {
				writeXMLValue(buf, m, shape.Member, name, it)
			}
			return
		}
		buf.WriteString("<" + name + ">")
		for _, it := range items {
			writeXMLValue(buf, m, shape.Member, member, it)
		}
		buf.WriteString("</" + name + ">")
	case "map":
		obj, _ := v.(map[string]any)
		kname, vname := "key", "value"
		if shape.Key.LocationName != "" {
			kname = shape.Key.LocationName
		}
		if shape.Value.LocationName != "" {
			vname = shape.Value.LocationName
		}
		keys := make([]string, 0, len(obj))
		for k := range obj {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		flat := ref.Flattened || shape.Flattened
		if !flat {
			buf.WriteString("<" + name + ">")
		}
		for _, k := range keys {
			if flat {
				buf.WriteString("<" + name + ">")
			} else {
				buf.WriteString("<entry>")
			}
			buf.WriteString("<" + kname + ">")
			xml.EscapeText(buf, []byte(k))
			buf.WriteString("</" + kname + ">")
			writeXMLValue(buf, m, shape.Value, vname, obj[k])
			if flat {
				buf.WriteString("</" + name + ">")
			} else {
				buf.WriteString("</entry>")
			}
		}
		if !flat {
			buf.WriteString("</" + name + ">")
		}
	default:
		buf.WriteString("<" + name + ">")
		xml.EscapeText(buf, []byte(scalarToString(shape.Type, v)))
		buf.WriteString("</" + name + ">")
	}
}

func scalarToString(typ string, v any) string {
	switch t := v.(type) {
	case string:
		return t
	case bool:
		return strconv.FormatBool(t)
	case json.Number:
		if typ == "timestamp" {
			f, _ := t.Float64()
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(frac*1e9)).UTC().Format("2006-01-02T15:04:05.000Z")
		}
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case []byte:
		return base64.StdEncoding.EncodeToString(t)
	}
	return fmt.Sprint(v)
}

func encodeQueryError(ns, code, message, fault, requestID string) []byte {
	var buf bytes.Buffer
	buf.WriteString(`<?xml version="1.0"?><ErrorResponse`)
	if ns != "" {
		buf.WriteString(` xmlns="` + ns + `"`)
	}
	buf.WriteString("><Error><Type>" + fault + "</Type><Code>")
	xml.EscapeText(&buf, []byte(code))
	buf.WriteString("</Code><Message>")
	xml.EscapeText(&buf, []byte(message))
	buf.WriteString("</Message><Detail/></Error><RequestId>" + requestID + "</RequestId></ErrorResponse>")
	return buf.Bytes()
}
