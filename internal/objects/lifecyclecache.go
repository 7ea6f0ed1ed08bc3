package objects

import "sync"

// Bounds of the decoded lifecycle configurations kept in memory, one per distinct document.
const (
	lifecycleCacheEntries = 256
	lifecycleCacheBytes   = 4 << 20
)

// lifecycleCache keeps decoded lifecycle configurations keyed by the stored document itself, so
// that answering x-amz-expiration on every write and read does not decode JSON each time. Being
// keyed by content, it is never stale: a configuration changed through any node is a different
// document in the bucket row, decoded anew as soon as that row is read. When full it starts
// over. The decoded values are shared and must never be modified.
type lifecycleCache struct {
	mu    sync.RWMutex
	rules map[string]*Lifecycle
	bytes int
}

// get returns the configuration stored as doc (nil for none or a document that does not decode).
func (c *lifecycleCache) get(doc []byte) *Lifecycle {
	if len(doc) == 0 {
		return nil
	}
	c.mu.RLock()
	l, ok := c.rules[string(doc)]
	c.mu.RUnlock()
	if ok {
		return l
	}
	l = decodeLifecycle(doc)
	if len(doc) > lifecycleCacheBytes {
		return l
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.rules) >= lifecycleCacheEntries || c.bytes+len(doc) > lifecycleCacheBytes {
		clear(c.rules)
		c.bytes = 0
	}
	if c.rules == nil {
		c.rules = make(map[string]*Lifecycle)
	}
	if _, ok := c.rules[string(doc)]; !ok {
		c.rules[string(doc)] = l
		c.bytes += len(doc)
	}
	return l
}
