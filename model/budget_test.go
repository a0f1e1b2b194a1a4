package model

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// budgetRegistry has test formats keyed by the first byte of a file.
func budgetRegistry(release <-chan struct{}) *Registry {
	r := &Registry{}
	byte0 := func(b byte) func([]byte, int64) Confidence {
		return func(head []byte, _ int64) Confidence {
			if len(head) > 0 && head[0] == b {
				return Strong
			}
			return No
		}
	}
	r.Register(Format{Name: "stuck", Detect: byte0('S'), Open: func(ctx context.Context, path string) (*Model, error) {
		<-release // ignores ctx, like a decoder stuck in a loop
		return nil, errors.New("released")
	}})
	r.Register(Format{Name: "greedy", Detect: byte0('G'), Open: func(ctx context.Context, path string) (*Model, error) {
		for {
			if err := Charge(ctx, 1000); err != nil {
				return nil, err
			}
		}
	}})
	r.Register(Format{Name: "polite", Detect: byte0('P'), Open: func(ctx context.Context, path string) (*Model, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}})
	r.Register(Format{Name: "fine", Detect: byte0('F'), Open: func(ctx context.Context, path string) (*Model, error) {
		return &Model{Graph: &Graph{}}, nil
	}})
	r.Register(Format{Name: "badsniff", Detect: func(head []byte, _ int64) Confidence {
		if len(head) > 0 && head[0] == 'X' {
			var m map[string]int
			m["boom"]++ // a panicking Detect
		}
		return No
	}})
	return r
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOpenWithinStuckDecoder(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	r := budgetRegistry(release)
	start := time.Now()
	_, err := r.OpenWithin(context.Background(), writeFile(t, "s.bin", "S..."), 200*time.Millisecond)
	if !errors.Is(err, ErrParseTimeout) {
		t.Fatalf("err = %v, want ErrParseTimeout", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v, want about 200ms", d)
	}
	if !strings.Contains(err.Error(), "s.bin") {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestOpenWithinCancel(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	r := budgetRegistry(release)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	_, err := r.OpenWithin(ctx, writeFile(t, "s.bin", "S"), time.Minute)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("returned after %v", d)
	}
}

func TestOpenWithinBudget(t *testing.T) {
	r := budgetRegistry(nil)
	_, err := r.OpenWithin(context.Background(), writeFile(t, "g.bin", "G"), time.Minute)
	if !errors.Is(err, ErrTooMuchWork) {
		t.Fatalf("err = %v, want ErrTooMuchWork", err)
	}
	_, err = r.OpenWithin(context.Background(), writeFile(t, "p.bin", "P"), 50*time.Millisecond)
	if !errors.Is(err, ErrParseTimeout) && !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("polite decoder: err = %v, want a timeout", err)
	}
	m, err := r.OpenWithin(context.Background(), writeFile(t, "f.bin", "F"), time.Minute)
	if err != nil || m == nil || m.Format != "fine" {
		t.Fatalf("fine decoder: %v, %v", m, err)
	}
}

func TestOpenWithinDetectPanic(t *testing.T) {
	r := budgetRegistry(nil)
	_, err := r.OpenWithin(context.Background(), writeFile(t, "x.bin", "X"), time.Minute)
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Fatalf("err = %v, want an internal error from the panicking Detect", err)
	}
}

func TestBudget(t *testing.T) {
	var nilBudget *Budget
	if err := nilBudget.Spend(1 << 62); err != nil {
		t.Errorf("nil budget: %v", err)
	}
	b := NewBudget(10)
	if err := b.Spend(10); err != nil {
		t.Errorf("spending all of it: %v", err)
	}
	if err := b.Spend(1); !errors.Is(err, ErrTooMuchWork) {
		t.Errorf("overspending: %v", err)
	}
	if err := Charge(context.Background(), 1<<40); err != nil {
		t.Errorf("no budget in context: %v", err)
	}
	for _, c := range []struct{ size, want int64 }{{0, 1 << 24}, {1, 1 << 24}, {1 << 30, 64 << 30}, {1 << 62, 1 << 40}} {
		if got := FileBudget(c.size); got != c.want {
			t.Errorf("FileBudget(%d) = %d, want %d", c.size, got, c.want)
		}
	}
}
