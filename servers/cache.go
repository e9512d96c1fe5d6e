package servers

import (
	"container/list"
	"context"
	"sync"
)

// bodyCache keeps encoded response bodies by a small integer key (the number
// of orders), so that a request costs a map lookup and a write rather than
// generation and encoding. It holds at most maxBytes of bodies, dropping the
// least recently used, and builds each body once however many requests ask
// for it at the same time: under open-loop load the first second brings many
// requests for the same N at once.
type bodyCache struct {
	build    func(key int) ([]byte, error)
	maxBytes int64

	mu    sync.Mutex
	size  int64                 // bytes of built bodies in lru
	lru   *list.List            // of *cacheEntry; front is most recently used
	byKey map[int]*list.Element // the elements of lru
}

// cacheEntry is one body. done is closed once body and err are set; they are
// not written after that.
type cacheEntry struct {
	key  int
	done chan struct{}
	body []byte
	err  error

	counted int64 // bytes of this entry in bodyCache.size; guarded by bodyCache.mu
}

func newBodyCache(maxBytes int64, build func(key int) ([]byte, error)) *bodyCache {
	return &bodyCache{
		build:    build,
		maxBytes: maxBytes,
		lru:      list.New(),
		byKey:    make(map[int]*list.Element),
	}
}

// get returns the body for key, building it if no other request already is.
// It returns early with ctx's error if ctx is done while another request
// builds the body.
func (c *bodyCache) get(ctx context.Context, key int) ([]byte, error) {
	c.mu.Lock()
	if el, ok := c.byKey[key]; ok {
		c.lru.MoveToFront(el)
		e := el.Value.(*cacheEntry)
		c.mu.Unlock()
		select {
		case <-e.done:
			return e.body, e.err
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	e := &cacheEntry{key: key, done: make(chan struct{})}
	el := c.lru.PushFront(e)
	c.byKey[key] = el
	c.mu.Unlock()

	body, err := c.build(key)

	c.mu.Lock()
	e.body, e.err = body, err
	if err != nil || int64(len(body)) > c.maxBytes {
		// Failed builds are not kept, so that a later request tries again;
		// a body over the whole budget is served but not kept.
		c.removeLocked(el)
	} else {
		e.counted = int64(len(body))
		c.size += e.counted
		c.evictLocked(el)
	}
	close(e.done)
	c.mu.Unlock()
	return body, err
}

// evictLocked drops the least recently used built bodies until the cache
// fits its budget, keeping keep. c.mu must be held.
func (c *bodyCache) evictLocked(keep *list.Element) {
	for el := c.lru.Back(); el != nil && c.size > c.maxBytes; {
		prev := el.Prev()
		if el != keep && isDone(el.Value.(*cacheEntry)) {
			c.removeLocked(el)
		}
		el = prev
	}
}

// removeLocked takes el out of the cache. c.mu must be held.
func (c *bodyCache) removeLocked(el *list.Element) {
	e := el.Value.(*cacheEntry)
	c.lru.Remove(el)
	delete(c.byKey, e.key)
	c.size -= e.counted
	e.counted = 0
}

// stats reports the number of bodies and their bytes, for tests.
func (c *bodyCache) stats() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lru.Len(), c.size
}

func isDone(e *cacheEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}
