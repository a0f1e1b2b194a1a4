// Package browser opens a URL in the user's web browser with the system's
// opener (xdg-open, open, rundll32), keeping the opener's own output out
// of the terminal: xdg-open without a desktop browser prints a line per
// fallback it tries ("www-browser: not found", ...), which only the error
// returned here summarises.
package browser

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"time"
)

// launchWait bounds how long Open waits for the opener to exit. xdg-open
// hands the URL to a running browser and exits at once, but when it
// starts a browser the generic way it waits for that browser to exit;
// Open then returns nil (the browser is up) and the opener is reaped
// when it ends.
const launchWait = 5 * time.Second

// outputWait bounds how long Open reads the opener's output after it
// exited: a browser it started may keep the output pipe open.
const outputWait = 200 * time.Millisecond

// maxOutput caps the opener output kept for the error message.
const maxOutput = 4 << 10

// Open opens url in the user's browser. Its error says which opener
// failed and its last line of output.
func Open(url string) error {
	var errs []error
	for _, o := range openers(runtime.GOOS, url) {
		path, err := exec.LookPath(o[0])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: not found", o[0]))
			continue
		}
		err = run(path, o[1:])
		if err == nil {
			return nil
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// openers lists the commands, in the order to try, that open url on goos.
func openers(goos, url string) [][]string {
	switch goos {
	case "darwin":
		return [][]string{{"open", url}}
	case "windows":
		return [][]string{{"rundll32", "url.dll,FileProtocolHandler", url}}
	default:
		return [][]string{{"xdg-open", url}, {"x-www-browser", url}}
	}
}

// run runs one opener with its output captured and returns nil when it
// exits 0 (or is still running after launchWait).
func run(path string, args []string) error {
	out := &capped{max: maxOutput}
	cmd := exec.Command(path, args...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.WaitDelay = outputWait
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: %w", cmd.Args[0], err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(launchWait):
		return nil
	}
	if err == nil || errors.Is(err, exec.ErrWaitDelay) {
		return nil
	}
	if last := out.lastLine(); last != "" {
		return fmt.Errorf("%s: %w (%s)", cmd.Args[0], err, last)
	}
	return fmt.Errorf("%s: %w", cmd.Args[0], err)
}

// capped is a concurrency-safe buffer that keeps at most max bytes (the
// latest ones).
type capped struct {
	mu  sync.Mutex
	max int
	b   []byte
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.b = append(c.b, p...)
	if over := len(c.b) - c.max; over > 0 {
		c.b = c.b[over:]
	}
	return len(p), nil
}

// lastLine returns the last non-empty line written, trimmed.
func (c *capped) lastLine() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	lines := strings.Split(strings.TrimSpace(string(c.b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}
