package procstat

import (
	"sync"
	"time"
)

// sweepAbove is the number of entries above which a cache drops the
// expired ones as it adds another: the entries are then at most those
// made within one ttl.
const sweepAbove = 64

// cache keeps values made for a key for ttl: a guest's readers within
// that time share one made value.
type cache[V any] struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]cached[V]
}

// cached is one value and when it was made.
type cached[V any] struct {
	v    V
	made time.Time
}

// newCache returns an empty cache of values kept for ttl.
func newCache[V any](ttl time.Duration, now func() time.Time) *cache[V] {
	return &cache[V]{ttl: ttl, now: now, m: make(map[string]cached[V])}
}

// get returns the value of key made within ttl, or makes one with mk. Two
// readers that miss at once both make one.
func (c *cache[V]) get(key string, mk func() (V, error)) (V, error) {
	c.mu.Lock()
	e, ok := c.m[key]
	c.mu.Unlock()
	if ok && c.now().Sub(e.made) < c.ttl {
		return e.v, nil
	}
	v, err := mk()
	if err != nil {
		return v, err
	}
	c.put(key, v)
	return v, nil
}

// put records v as key's value, made now.
func (c *cache[V]) put(key string, v V) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= sweepAbove {
		for k, e := range c.m {
			if now.Sub(e.made) >= c.ttl {
				delete(c.m, k)
			}
		}
	}
	c.m[key] = cached[V]{v: v, made: now}
}

// size is the number of entries kept.
func (c *cache[V]) size() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m)
}
