package server

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	apis3 "github.com/ceap/ceap/internal/api/s3"
	"github.com/ceap/ceap/internal/asl/fault"
	"github.com/ceap/ceap/internal/objects"
	"github.com/ceap/ceap/internal/protocol"
	"github.com/ceap/ceap/internal/states"
)

// maxItemReaderObject caps the object a Map's ItemReader reads: ceap reads it whole.
const maxItemReaderObject = 256 << 20

// s3Tasks serves Step Functions' S3 resources: the Map ItemReader's s3:getObject and
// s3:listObjectsV2, and the aws-sdk:s3:getObject / putObject tasks. The objects service is
// wired after states, so it is looked up when a task runs.
type s3Tasks struct{ s *Server }

func (t s3Tasks) objects() (*objects.Service, error) {
	if h, ok := t.s.handlers[protocol.S3].(*apis3.Handler); ok {
		return h.Objects(), nil
	}
	return nil, &fault.Error{Name: fault.Runtime, Cause: "S3 is not available"}
}

// Invoke runs aws-sdk:s3:getObject (the body as a string) and aws-sdk:s3:putObject.
func (t s3Tasks) Invoke(ctx context.Context, call *states.TaskCall) (any, error) {
	svc, err := t.objects()
	if err != nil {
		return nil, err
	}
	p := params(call)
	bucket, key := text(p["Bucket"]), text(p["Key"])
	switch strings.TrimPrefix(call.Resource, "arn:aws:states:::aws-sdk:s3:") {
	case "getObject":
		body, obj, err := readObject(ctx, svc, call.Account, bucket, key)
		if err != nil {
			return nil, err
		}
		return map[string]any{"Body": string(body), "ContentLength": obj.Size, "ContentType": obj.ContentType, "ETag": obj.ETag, "LastModified": obj.LastModified.UTC().Format("2006-01-02T15:04:05Z")}, nil
	case "putObject":
		body := text(p["Body"])
		obj, err := svc.PutObject(ctx, &objects.PutInput{Account: call.Account, Bucket: bucket, Key: key, Body: strings.NewReader(body), Size: int64(len(body)),
			Headers: objects.Headers{ContentType: text(p["ContentType"])}})
		if err != nil {
			return nil, taskFault("S3", err)
		}
		return map[string]any{"ETag": obj.ETag}, nil
	}
	return nil, &fault.Error{Name: fault.Runtime, Cause: fmt.Sprintf("The resource %s is not supported.", call.Resource)}
}

func readObject(ctx context.Context, svc *objects.Service, account, bucket, key string) ([]byte, *objects.Object, error) {
	out, err := svc.GetObject(ctx, &objects.GetInput{Account: account, Bucket: bucket, Key: key})
	if err != nil {
		return nil, nil, taskFault("S3", err)
	}
	defer out.Body.Close()
	body, err := io.ReadAll(io.LimitReader(out.Body, maxItemReaderObject+1))
	if err != nil {
		return nil, nil, fmt.Errorf("read s3://%s/%s: %w", bucket, key, err)
	}
	if len(body) > maxItemReaderObject {
		return nil, nil, &fault.Error{Name: fault.ItemReaderFailed, Cause: fmt.Sprintf("s3://%s/%s is larger than %d bytes", bucket, key, maxItemReaderObject)}
	}
	return body, out.Object, nil
}

// ReadItems reads a Map state's items: a JSON array, JSON Lines or CSV object (s3:getObject),
// or the objects under a prefix (s3:listObjectsV2).
func (t s3Tasks) ReadItems(ctx context.Context, call *states.TaskCall) ([]any, error) {
	svc, err := t.objects()
	if err != nil {
		return nil, err
	}
	p := params(call)
	cfg, _ := call.ReaderConfig.(map[string]any)
	max := -1
	if m, ok := cfg["MaxItems"].(float64); ok && m > 0 {
		max = int(m)
	}
	var items []any
	switch {
	case strings.HasPrefix(call.Resource, "arn:aws:states:::s3:listObjectsV2"):
		in := &objects.ListInput{Account: call.Account, Bucket: text(p["Bucket"]), Prefix: text(p["Prefix"]), MaxKeys: 1000}
		for {
			out, err := svc.ListObjects(ctx, in)
			if err != nil {
				return nil, taskFault("S3", err)
			}
			for _, o := range out.Objects {
				items = append(items, map[string]any{"Key": o.Key, "Size": o.Size, "Etag": o.ETag, "LastModified": o.LastModified.UTC().Format("2006-01-02T15:04:05Z"), "StorageClass": storageClass(o.StorageClass)})
			}
			if !out.IsTruncated || (max > 0 && len(items) >= max) {
				break
			}
			in.After = out.Next
		}
	case strings.HasPrefix(call.Resource, "arn:aws:states:::s3:getObject"):
		body, _, err := readObject(ctx, svc, call.Account, text(p["Bucket"]), text(p["Key"]))
		if err != nil {
			return nil, err
		}
		if items, err = parseItems(body, cfg); err != nil {
			return nil, &fault.Error{Name: fault.ItemReaderFailed, Cause: err.Error()}
		}
	default:
		return nil, &fault.Error{Name: fault.ItemReaderFailed, Cause: fmt.Sprintf("The item reader resource %s is not supported.", call.Resource)}
	}
	if max > 0 && len(items) > max {
		items = items[:max]
	}
	return items, nil
}

func storageClass(c string) string {
	if c == "" {
		return "STANDARD"
	}
	return c
}

// parseItems decodes an ItemReader object by its ReaderConfig InputType (JSON by default).
func parseItems(body []byte, cfg map[string]any) ([]any, error) {
	switch text(cfg["InputType"]) {
	case "", "JSON":
		var items []any
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, fmt.Errorf("the object is not a JSON array: %w", err)
		}
		return items, nil
	case "JSONL":
		var items []any
		dec := json.NewDecoder(bytes.NewReader(body))
		for {
			var v any
			if err := dec.Decode(&v); errors.Is(err, io.EOF) {
				return items, nil
			} else if err != nil {
				return nil, fmt.Errorf("the object is not JSON Lines: %w", err)
			}
			items = append(items, v)
		}
	case "CSV":
		r := csv.NewReader(bytes.NewReader(body))
		r.FieldsPerRecord = -1
		rows, err := r.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("the object is not CSV: %w", err)
		}
		var headers []string
		if text(cfg["CSVHeaderLocation"]) == "GIVEN" {
			list, _ := cfg["CSVHeaders"].([]any)
			for _, h := range list {
				headers = append(headers, text(h))
			}
		} else if len(rows) > 0 {
			headers, rows = rows[0], rows[1:]
		}
		items := make([]any, 0, len(rows))
		for _, row := range rows {
			item := map[string]any{}
			for i, h := range headers {
				if i < len(row) {
					item[h] = row[i]
				}
			}
			items = append(items, item)
		}
		return items, nil
	}
	return nil, fmt.Errorf("InputType %s is not supported", text(cfg["InputType"]))
}
