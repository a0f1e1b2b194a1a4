package model

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// ErrTooMuchWork is returned when decoding a file needs more work than its
// budget allows: a small file that describes millions of things, or loops
// that never end.
var ErrTooMuchWork = errors.New("the file asks for far more work than a model file of its size needs")

// ErrParseTimeout is wrapped by OpenWithin when a decoder runs out of time.
var ErrParseTimeout = errors.New("reading the file took too long")

// Budget counts the work units (elements decoded, table visits, opcodes
// run) one decode may spend. It is safe for concurrent use; a nil *Budget
// never runs out.
type Budget struct {
	left atomic.Int64
}

// NewBudget returns a budget of n work units.
func NewBudget(n int64) *Budget {
	b := &Budget{}
	b.left.Store(n)
	return b
}

// Left returns the units not yet spent (negative once exhausted).
func (b *Budget) Left() int64 {
	if b == nil {
		return 1<<63 - 1
	}
	return b.left.Load()
}

// Spend takes n units from the budget and returns ErrTooMuchWork once it
// is exhausted.
func (b *Budget) Spend(n int64) error {
	if b == nil {
		return nil
	}
	if b.left.Add(-n) < 0 {
		return ErrTooMuchWork
	}
	return nil
}

type budgetKey struct{}

// WithBudget returns a context carrying b, for Charge.
func WithBudget(ctx context.Context, b *Budget) context.Context {
	return context.WithValue(ctx, budgetKey{}, b)
}

// BudgetFrom returns the budget carried by ctx, or nil (unlimited).
func BudgetFrom(ctx context.Context) *Budget {
	b, _ := ctx.Value(budgetKey{}).(*Budget)
	return b
}

// Charge is what a decoder calls in its loops (every element, or every few
// hundred): it spends n units of the context's budget and reports a
// cancelled or expired context, so that one check covers both "too much
// work" and "stop now".
func Charge(ctx context.Context, n int64) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return BudgetFrom(ctx).Spend(n)
}

// FileBudget is the default work budget for a file of size bytes: a
// generous multiple of its size, so that work stays proportional to input.
func FileBudget(size int64) int64 {
	const perByte, floor, ceiling = 64, 1 << 24, 1 << 40
	if size <= 0 {
		return floor
	}
	if size > ceiling/perByte {
		return ceiling
	}
	return max(size*perByte, floor)
}

// OpenWithin opens path like Open, but returns once timeout has passed or
// ctx is done even if the decoder ignores cancellation: the decoder is
// then left to finish in the background and its result is dropped. The
// decoder's context carries a work budget of FileBudget(file size) units.
// A panic anywhere in detection or decoding becomes an error.
func (r *Registry) OpenWithin(ctx context.Context, path string, timeout time.Duration) (*Model, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var size int64
	if st, err := os.Stat(path); err == nil {
		size = st.Size()
	}
	type result struct {
		m   *Model
		err error
	}
	done := make(chan result, 1)
	go func() {
		var res result
		defer func() {
			if p := recover(); p != nil {
				res = result{nil, fmt.Errorf("%s: internal error while reading the file: %v\n%s", filepath.Base(path), p, debug.Stack())}
			}
			done <- res
		}()
		m, err := r.Open(WithBudget(ctx, NewBudget(FileBudget(size))), path)
		res = result{m, err}
	}()
	select {
	case res := <-done:
		return res.m, res.err
	case <-ctx.Done():
		select {
		case res := <-done: // finished just in time
			return res.m, res.err
		default:
		}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%s: %w (gave up after %v)", filepath.Base(path), ErrParseTimeout, timeout)
		}
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), ctx.Err())
	}
}
