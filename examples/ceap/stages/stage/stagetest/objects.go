// Package stagetest holds an in-memory Objects for tests of the stage contract and the stages.
// It must never be used by a function that is deployed.
package stagetest

import (
	"context"
	"fmt"
	"sync"

	"github.com/ceap/ceap/examples/ceap/stages/stage"
)

// Object is a stored object.
type Object struct {
	Body        []byte
	ContentType string
}

// Objects is an in-memory stage.Objects. Set Fail to make every call fail with that error.
type Objects struct {
	mu      sync.Mutex
	objects map[string]Object
	Fail    error
}

// NewObjects returns an empty store.
func NewObjects() *Objects {
	return &Objects{objects: map[string]Object{}}
}

func path(bucket, key string) string { return bucket + "/" + key }

// Get returns an object's body.
func (o *Objects) Get(_ context.Context, bucket, key string) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Fail != nil {
		return nil, o.Fail
	}
	obj, ok := o.objects[path(bucket, key)]
	if !ok {
		return nil, fmt.Errorf("get s3://%s/%s: %w", bucket, key, stage.ErrNotFound)
	}
	return append([]byte(nil), obj.Body...), nil
}

// Put stores an object.
func (o *Objects) Put(_ context.Context, bucket, key string, body []byte, contentType string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.Fail != nil {
		return o.Fail
	}
	o.objects[path(bucket, key)] = Object{Body: append([]byte(nil), body...), ContentType: contentType}
	return nil
}

// Object returns a stored object and whether it exists.
func (o *Objects) Object(bucket, key string) (Object, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	obj, ok := o.objects[path(bucket, key)]
	return obj, ok
}

// Len returns the number of stored objects.
func (o *Objects) Len() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.objects)
}
