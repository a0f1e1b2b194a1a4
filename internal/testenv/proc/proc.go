// Package proc is the end-to-end tests' one way to run a program: it builds
// the modelpeek binary once (cached by the content of its sources, so every
// test package of a `go test ./...` run shares one build), starts processes
// with their stdout collected line by line, reads the serving line, and
// stops them with a bounded wait.
package proc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Proc is an app under test running as a subprocess. Its stdout is
// collected line by line (never blocking the child); its stderr is kept
// and logged when the test fails.
type Proc struct {
	Cmd *exec.Cmd

	mu       sync.Mutex
	lines    []string
	cursor   int
	changed  chan struct{} // closed and replaced on every new line or exit
	done     chan struct{} // closed when the process has exited
	exitedAt time.Time
	waitErr  error
	stderr   lockedBuffer
}

// Start starts cmd, killing it (if still running) when the test ends.
func Start(t testing.TB, cmd *exec.Cmd) *Proc {
	t.Helper()
	p := &Proc{Cmd: cmd, changed: make(chan struct{}), done: make(chan struct{})}
	cmd.SysProcAttr = SysProcAttr()
	cmd.Stderr = &p.stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	go func() {
		s := bufio.NewScanner(out)
		for s.Scan() {
			p.mu.Lock()
			p.lines = append(p.lines, s.Text())
			close(p.changed)
			p.changed = make(chan struct{})
			p.mu.Unlock()
		}
		err := cmd.Wait()
		p.mu.Lock()
		p.exitedAt = time.Now()
		p.waitErr = err
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("stderr of %s:\n%s", cmd.Path, p.stderr.String())
		}
	})
	return p
}

// Pid is the process id.
func (p *Proc) Pid() int { return p.Cmd.Process.Pid }

// Stderr returns what the process wrote on stderr so far.
func (p *Proc) Stderr() string { return p.stderr.String() }

// Lines returns every stdout line so far.
func (p *Proc) Lines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.lines...)
}

// WaitLine returns the next stdout line (after those already consumed by
// WaitLine) that starts with prefix, skipping the others.
func (p *Proc) WaitLine(ctx context.Context, prefix string) (string, error) {
	for {
		p.mu.Lock()
		for p.cursor < len(p.lines) {
			l := p.lines[p.cursor]
			p.cursor++
			if strings.HasPrefix(l, prefix) {
				p.mu.Unlock()
				return l, nil
			}
		}
		changed := p.changed
		exited := !p.exitedAt.IsZero()
		p.mu.Unlock()
		if exited {
			return "", fmt.Errorf("process exited before printing %q", prefix)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return "", fmt.Errorf("waiting for %q: %w", prefix, ctx.Err())
		}
	}
}

// Count returns how many stdout lines so far start with prefix.
func (p *Proc) Count(prefix string) int {
	n := 0
	for _, l := range p.Lines() {
		if strings.HasPrefix(l, prefix) {
			n++
		}
	}
	return n
}

// Exited returns a channel closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// Wait waits up to timeout for the process to exit and returns its exit
// code and when it exited. On timeout it sends SIGQUIT (a Go program then
// dumps its goroutines on stderr), kills it and returns an error carrying
// that dump.
func (p *Proc) Wait(timeout time.Duration) (code int, at time.Time, err error) {
	select {
	case <-p.done:
	case <-time.After(timeout):
		_ = p.Cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-p.done:
		case <-time.After(2 * time.Second):
			_ = p.Cmd.Process.Kill()
			<-p.done
		}
		return -1, time.Time{}, fmt.Errorf("process did not exit within %v; stderr:\n%s", timeout, p.Stderr())
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	var exit *exec.ExitError
	if errors.As(p.waitErr, &exit) {
		return exit.ExitCode(), p.exitedAt, nil
	}
	if p.waitErr != nil {
		return -1, p.exitedAt, p.waitErr
	}
	return 0, p.exitedAt, nil
}

// lockedBuffer is a bytes.Buffer safe for the writer goroutine of exec
// and readers in the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
