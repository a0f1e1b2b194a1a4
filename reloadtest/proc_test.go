package reloadtest

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// buildBinary builds modelpeek from the module root into a temporary
// directory and returns its path.
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool := testenv.LookPath(t, "go", "golang-go")
	exe := filepath.Join(t.TempDir(), "modelpeek")
	cmd := exec.Command(goTool, "build", "-o", exe, ".")
	cmd.Dir = testenv.Root(t)
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build of modelpeek failed: %v\n%s", err, out)
	}
	t.Logf("built %s in %v", exe, time.Since(start).Round(time.Millisecond))
	return exe
}

// lockedBuffer collects a process's stderr for failure reports.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 {
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serve runs `modelpeek serve --no-browser --addr 127.0.0.1:0 file` with a
// private HOME and TMPDIR, and returns the URL from its first stdout line.
// The process is interrupted at the end of the test, which fails if it
// does not exit promptly and cleanly.
func serve(t *testing.T, exe, file string) string {
	t.Helper()
	home := t.TempDir()
	cmd := exec.Command(exe, "serve", "--no-browser", "--addr", "127.0.0.1:0", file)
	cmd.Env = append(os.Environ(),
		"HOME="+home,
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
		"TMPDIR="+home,
		"MODELPEEK_LOG=info",
	)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start modelpeek: %v", err)
	}
	exited := make(chan error, 1)
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, r)
		exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Errorf("interrupt modelpeek: %v", err)
		}
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("modelpeek exited with %v after SIGINT", err)
			}
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-exited
			t.Errorf("modelpeek did not exit within 5 s of SIGINT")
		}
		if t.Failed() {
			t.Logf("modelpeek stderr:\n%s", stderr.String())
		}
	})
	var line string
	select {
	case line = <-lines:
	case <-time.After(15 * time.Second):
		t.Fatalf("modelpeek printed nothing on stdout within 15 s; stderr:\n%s", stderr.String())
	}
	const prefix = "modelpeek: serving "
	if !strings.HasPrefix(line, prefix) {
		t.Fatalf("first stdout line %q does not start with %q; stderr:\n%s", line, prefix, stderr.String())
	}
	u := strings.TrimSpace(strings.TrimPrefix(line, prefix))
	if !strings.HasPrefix(u, "http://127.0.0.1:") {
		t.Fatalf("serving URL %q is not a loopback http URL", u)
	}
	return u
}
