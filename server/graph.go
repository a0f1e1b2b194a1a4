package server

import (
	"container/list"
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// graphCacheBytes bounds the memory held by cached layouts.
const graphCacheBytes = 256 << 20

// graphKey identifies one layout: a model version, a subgraph path and the
// expanded groups.
type graphKey struct {
	id      string
	version int
	path    string
	expand  string
	wire    bool // the compact form (layout.EncodeWire), not JSON
}

// graphEntry is a layout being computed or done.
type graphEntry struct {
	key     graphKey
	done    chan struct{}
	gz      []byte // the answer, gzipped (the plain form is not kept)
	err     error
	waiters int
	// warm marks a layout made ahead of any request (Server.Warm): it
	// goes on when the requests that joined it leave.
	warm   bool
	cancel context.CancelFunc
	elem   *list.Element
}

// answerFunc computes an answer the graph cache keeps: it writes the
// plain answer to w, which compresses it as it comes (a big view is
// never held whole uncompressed).
type answerFunc func(ctx context.Context, w io.Writer) error

// graphCache computes each layout once, shares it among concurrent
// requests, cancels it when every waiting request has gone, and keeps
// finished ones within a byte budget (least recently used out first).
type graphCache struct {
	log   *slog.Logger
	max   int
	mu    sync.Mutex
	m     map[graphKey]*graphEntry
	lru   *list.List // of *graphEntry, most recent at front
	bytes int
	// computed counts the layouts started (for tests: a warm cache
	// answers without one).
	computed atomic.Int64
}

func newGraphCache(maxEntries int, log *slog.Logger) *graphCache {
	return &graphCache{log: log, max: maxEntries, m: map[graphKey]*graphEntry{}, lru: list.New()}
}

// get returns the gzipped answer for key (gunzip has the plain form),
// computing it with compute off the caller's goroutine. If ctx ends first, get returns its
// error, and the computation is cancelled unless other requests wait.
func (c *graphCache) get(ctx context.Context, key graphKey, compute answerFunc) ([]byte, error) {
	c.mu.Lock()
	e := c.m[key]
	if e == nil {
		e = c.startLocked(context.Background(), key, compute)
	} else if e.elem != nil {
		c.lru.MoveToFront(e.elem)
	}
	e.waiters++
	c.mu.Unlock()

	select {
	case <-e.done:
		c.release(e)
		return e.gz, e.err
	case <-ctx.Done():
		c.release(e)
		return nil, ctx.Err()
	}
}

// peek returns the gzipped answer for key when it is laid out already,
// never starting a layout.
func (c *graphCache) peek(key graphKey) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.m[key]
	if e == nil {
		return nil, false
	}
	select {
	case <-e.done:
	default:
		return nil, false // still in the making
	}
	if e.err != nil {
		return nil, false
	}
	if e.elem != nil {
		c.lru.MoveToFront(e.elem)
	}
	return e.gz, true
}

// startLocked adds an entry for key and starts computing it under a
// context derived from parent.
func (c *graphCache) startLocked(parent context.Context, key graphKey, compute answerFunc) *graphEntry {
	fctx, cancel := context.WithCancel(parent)
	e := &graphEntry{key: key, done: make(chan struct{}), cancel: cancel}
	c.m[key] = e
	c.computed.Add(1)
	go c.compute(fctx, e, compute)
	return e
}

func (c *graphCache) release(e *graphEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e.waiters--
	if e.waiters == 0 && e.elem == nil && !e.warm {
		select {
		case <-e.done:
		default:
			e.cancel() // nobody waits for it any more
			if c.m[e.key] == e {
				delete(c.m, e.key)
			}
		}
	}
}

func (c *graphCache) compute(ctx context.Context, e *graphEntry, compute answerFunc) {
	defer e.cancel()
	gz, err := gzipWritten(0, func(zw io.Writer) (err error) {
		defer func() {
			if p := recover(); p != nil {
				c.log.Error("panic in layout", "panic", p, "stack", string(debug.Stack()))
				err = fmt.Errorf("layout failed on this graph (internal error: %v)", p)
			}
		}()
		return compute(ctx, zw)
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	e.gz, e.err = gz, err
	close(e.done)
	if err != nil || ctx.Err() != nil {
		if c.m[e.key] == e {
			delete(c.m, e.key) // errors are not cached
		}
		return
	}
	if c.m[e.key] != e {
		return
	}
	e.elem = c.lru.PushFront(e)
	c.bytes += len(gz)
	for c.lru.Len() > c.max || (c.bytes > graphCacheBytes && c.lru.Len() > 1) {
		old := c.lru.Remove(c.lru.Back()).(*graphEntry)
		c.bytes -= len(old.gz)
		delete(c.m, old.key)
	}
}

// forget drops every cached layout of a model (closed).
func (c *graphCache) forget(id string) { c.forgetBefore(id, math.MaxInt) }

// forgetBefore drops the cached layouts of a model's versions older than
// version (the model was reloaded).
func (c *graphCache) forgetBefore(id string, version int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.m {
		if k.id != id || k.version >= version {
			continue
		}
		// A layout still being computed is forgotten too: compute does
		// not store an entry that is no longer in the map, and a warm-up
		// nobody waits for stops.
		if e.elem != nil {
			c.lru.Remove(e.elem)
			c.bytes -= len(e.gz)
		} else if e.waiters == 0 {
			e.cancel()
		}
		delete(c.m, k)
	}
}

// count returns how many finished layouts of model id older than before
// are cached.
func (c *graphCache) count(id string, before int) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for k, e := range c.m {
		if k.id == id && k.version < before && e.elem != nil {
			n++
		}
	}
	return n
}
