package cli

// End-to-end tests of the fixes a first day of use asked for, on the
// built binary (proc.Binary); each subtest is one fix.

import (
	"bytes"
	"context"
	binenc "encoding/binary"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/dbustest"
	"github.com/modelpeek/modelpeek/internal/testenv/proc"
)

func TestFirstDay(t *testing.T) {
	bin := proc.Binary(t)
	t.Run("missing files", func(t *testing.T) { testMissingFiles(t, bin) })
	t.Run("inspect names the path once", func(t *testing.T) { testInspectPathOnce(t, bin) })
	t.Run("inspect escapes control characters", func(t *testing.T) { testInspectEscapes(t, bin) })
	t.Run("no tray host, then quit from the page", func(t *testing.T) { testNoTrayHostAndQuit(t, bin) })
	t.Run("tray host leaves", func(t *testing.T) { testTrayHostLeaves(t, bin) })
	t.Run("second launch with --no-browser", func(t *testing.T) { testSecondLaunchNoBrowser(t, bin) })
	t.Run("no browser to open", func(t *testing.T) { testNoBrowserQuiet(t, bin) })
	t.Run("one log format", func(t *testing.T) { testOneLogFormat(t, bin) })
}

// fdEnv isolates a child from the user's config, bus, display and browser.
func fdEnv(t *testing.T, extra ...string) []string {
	home := t.TempDir()
	env := []string{
		"HOME=" + home,
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_STATE_HOME=" + filepath.Join(home, ".state"),
		"XDG_RUNTIME_DIR=" + t.TempDir(),
		"TMPDIR=" + t.TempDir(),
		"PATH=" + os.Getenv("PATH"),
		"DBUS_SESSION_BUS_ADDRESS=unix:path=/nonexistent",
		"DISPLAY=",
		"BROWSER=true",
	}
	return append(env, extra...)
}

// fdRun runs the binary to its end (hang bound: 10 s, for commands that
// take well under a second) and returns its exit status and output.
func fdRun(t *testing.T, bin, dir string, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir, cmd.Env = dir, env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(fdHang):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("modelpeek %s still running after %v; stderr %q", strings.Join(args, " "), fdHang, errb.String())
	}
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// A mistyped file name is said in the terminal, one line per file, and
// a command line whose files all fail exits 2 instead of serving.
func testMissingFiles(t *testing.T, bin string) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"serve", "--no-browser", "typo.onnx"},
		{"--no-browser", "typo.onnx"}, // the tray app
		{"serve", "--no-browser", "typo.onnx", "sub/other.gguf"},
	} {
		code, out, errs := fdRun(t, bin, dir, fdEnv(t), args...)
		var want string
		for _, a := range args {
			if strings.Contains(a, ".") {
				want += "modelpeek: " + a + ": no such file\n"
			}
		}
		if code != 2 || out != "" || errs != want {
			t.Errorf("modelpeek %s: exit %d, stdout %q, stderr %q; want exit 2 and stderr %q", strings.Join(args, " "), code, out, errs, want)
		}
	}
}

// inspect on a missing file names it once.
func testInspectPathOnce(t *testing.T, bin string) {
	p := filepath.Join(t.TempDir(), "m.onnx")
	code, out, errs := fdRun(t, bin, "", fdEnv(t), "inspect", p)
	if want := "modelpeek: " + p + ": no such file\n"; code != 1 || out != "" || errs != want {
		t.Errorf("inspect %s: exit %d, stdout %q, stderr %q; want exit 1, stderr %q", p, code, out, errs, want)
	}
}

// hostileSafetensors writes a one-tensor safetensors file whose
// __metadata__ holds terminal escape sequences, C1 controls and a
// right-to-left override.
func hostileSafetensors(t *testing.T) string {
	t.Helper()
	hdr := `{"__metadata__":{"format":"\u001b]0;pwned\u0007\u001b[31m","note":"a\u009bb\u202ec\u0000d"},` +
		`"w\u001b[2J":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`
	data := binenc.LittleEndian.AppendUint64(nil, uint64(len(hdr)))
	data = append(data, hdr...)
	data = append(data, 0, 0, 0x80, 0x3f)
	p := filepath.Join(t.TempDir(), "hostile.safetensors")
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// inspect's text output carries no control character (but newlines) and
// no invalid UTF-8 from the model: they are shown escaped.
func testInspectEscapes(t *testing.T, bin string) {
	p := hostileSafetensors(t)
	code, out, errs := fdRun(t, bin, "", fdEnv(t), "inspect", p)
	if code != 0 {
		t.Fatalf("inspect: exit %d, stderr %q", code, errs)
	}
	if bad := unsafeRunes(out); bad != "" {
		t.Errorf("inspect output holds %s:\n%q", bad, out)
	}
	for _, want := range []string{`\x1b]0;pwned\x07\x1b[31m`, `a\u009bb\u202ec\x00d`} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks the escaped %s:\n%s", want, out)
		}
	}
}

// unsafeRunes describes the first character of s that must not reach a
// terminal, or returns "".
func unsafeRunes(s string) string {
	for i, r := range s {
		switch {
		case r == utf8.RuneError:
			return fmt.Sprintf("invalid UTF-8 at byte %d", i)
		case r == '\n':
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == 0x202e:
			return fmt.Sprintf("%U at byte %d", r, i)
		}
	}
	return ""
}

// fdNoTrayLine is what the tray app says on stderr without a tray host.
const fdNoTrayLine = "modelpeek: no system tray available; serving without one (Ctrl+C to quit)"

// fdHang bounds a command that takes well under a second: 10 s, so a
// busy machine cannot break the test, only a hang does.
const fdHang = 10 * time.Second

// fdStart runs the binary in the background on the bus at addr ("" for
// none) and waits for its serving line; it returns the process and the
// printed URL (with the launch token).
func fdStart(t *testing.T, bin, addr string, env []string, args ...string) (*proc.Proc, string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
	if addr != "" {
		env = append(env, "DBUS_SESSION_BUS_ADDRESS="+addr)
	}
	cmd.Env = env
	p := proc.Start(t, cmd)
	ctx, cancel := context.WithTimeout(context.Background(), fdHang)
	defer cancel()
	line, err := p.WaitLine(ctx, "modelpeek: serving ")
	if err != nil {
		t.Fatalf("no serving line: %v; stderr %q", err, p.Stderr())
	}
	return p, strings.TrimPrefix(line, "modelpeek: serving ")
}

// fdWaitStderr waits (hang bound fdHang) until the child's stderr holds
// want.
func fdWaitStderr(t *testing.T, p *proc.Proc, want string) {
	t.Helper()
	for deadline := time.Now().Add(fdHang); !strings.Contains(p.Stderr(), want); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("stderr never said %q; stderr %q", want, p.Stderr())
		}
	}
}

// On a session bus with no tray host, the tray app says so at once and
// serves; the page's POST /api/quit then ends it with status 0.
func testNoTrayHostAndQuit(t *testing.T, bin string) {
	addr := dbustest.StartBus(t)
	start := time.Now()
	p, u := fdStart(t, bin, addr, fdEnv(t), "--no-browser")
	// Expected within well under 1 s (one NameHasOwner call on the bus);
	// fdWaitStderr's 10 s bound only catches a hang.
	fdWaitStderr(t, p, fdNoTrayLine+"\n")
	t.Logf("fallback line after %v", time.Since(start))
	if strings.Contains(p.Stderr(), "systray") {
		t.Errorf("systray ran without a tray host: %q", p.Stderr())
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: fdHang}
	resp, err := c.Get(u) // logs in with the launch token, as the browser does
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	base := resp.Request.URL.Scheme + "://" + resp.Request.URL.Host
	req, _ := http.NewRequest("POST", base+"/api/quit", nil)
	req.Header.Set("Origin", base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /api/quit: %d", resp.StatusCode)
	}
	code, _, err := p.Wait(fdHang) // takes about 10 ms
	if err != nil || code != 0 {
		t.Fatalf("after POST /api/quit: exit %d, %v; stderr %q", code, err, p.Stderr())
	}
}

// fakeBrowser writes a browser script that appends each URL it is given
// to a file, and returns the environment that makes xdg-open use it.
func fakeBrowser(t *testing.T) (env []string, urls string) {
	t.Helper()
	dir := t.TempDir()
	urls = filepath.Join(dir, "urls")
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" >> "+urls+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return []string{"BROWSER=" + script}, urls
}

// fdWaitURLs waits until the fake browser was given n URLs.
func fdWaitURLs(t *testing.T, urls string, n int) {
	t.Helper()
	var data []byte
	for deadline := time.Now().Add(fdHang); ; time.Sleep(10 * time.Millisecond) {
		data, _ = os.ReadFile(urls)
		if strings.Count(string(data), "\n") >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the browser was opened %d times, want %d: %q", strings.Count(string(data), "\n"), n, data)
		}
	}
}

// When the tray host leaves while the tray app runs, it says so and
// opens the page (the only way left to reach it).
func testTrayHostLeaves(t *testing.T, bin string) {
	if _, err := exec.LookPath("xdg-open"); err != nil {
		testenv.Skip(t, "xdg-open not found (install Debian package xdg-utils)")
	}
	addr := dbustest.StartBus(t)
	w := dbustest.StartWatcher(t, addr)
	benv, urls := fakeBrowser(t)
	p, _ := fdStart(t, bin, addr, fdEnv(t, benv...))
	select {
	case <-w.Registered():
	case <-time.After(fdHang):
		t.Fatalf("the tray never registered; stderr %q", p.Stderr())
	}
	fdWaitURLs(t, urls, 1) // the launch opens the page
	if strings.Contains(p.Stderr(), "no system tray") {
		t.Fatalf("fallback with a tray host: %q", p.Stderr())
	}
	w.Stop(t)
	fdWaitStderr(t, p, fdNoTrayLine+"\n")
	fdWaitURLs(t, urls, 2)
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _, err := p.Wait(fdHang); err != nil || code != 0 {
		t.Fatalf("after SIGTERM: exit %d, %v", code, err)
	}
}

// A second launch with --no-browser hands its file over without making
// the first instance open a browser window; one without it still does.
func testSecondLaunchNoBrowser(t *testing.T, bin string) {
	if _, err := exec.LookPath("xdg-open"); err != nil {
		testenv.Skip(t, "xdg-open not found (install Debian package xdg-utils)")
	}
	benv, urls := fakeBrowser(t)
	env := fdEnv(t, benv...) // no bus: the hand-over goes through the socket
	p, _ := fdStart(t, bin, "", env)
	fdWaitURLs(t, urls, 1) // the first launch opens the page
	dir := t.TempDir()
	for _, name := range []string{"quiet.onnx", "loud.onnx"} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("not a model"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	code, _, errs := fdRun(t, bin, dir, env, "--no-browser", "quiet.onnx")
	if code != 0 || !strings.Contains(errs, "handed over") {
		t.Fatalf("second launch: exit %d, stderr %q", code, errs)
	}
	// The primary handled the request before the launch exited; a
	// browser it started would show up with the next one's.
	code, _, errs = fdRun(t, bin, dir, env, "loud.onnx")
	if code != 0 || !strings.Contains(errs, "handed over") {
		t.Fatalf("third launch: exit %d, stderr %q", code, errs)
	}
	fdWaitURLs(t, urls, 2)
	time.Sleep(300 * time.Millisecond) // only lets a wrong extra window show; cannot fail a right build
	if data, _ := os.ReadFile(urls); strings.Count(string(data), "\n") != 2 {
		t.Errorf("browser opened for %q, want the first launch and loud.onnx only", data)
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _, err := p.Wait(fdHang); err != nil || code != 0 {
		t.Fatalf("after SIGTERM: exit %d, %v", code, err)
	}
}

// Without a desktop browser, xdg-open's chatter stays out of the
// terminal, and one line says which URL to open.
func testNoBrowserQuiet(t *testing.T, bin string) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'www-browser: not found'\necho 'xdg-open: no method available for opening' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, "xdg-open"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	env := fdEnv(t)
	for i, e := range env {
		if strings.HasPrefix(e, "PATH=") || strings.HasPrefix(e, "BROWSER=") {
			env[i] = "PATH=" + dir // the fake opener only
		}
	}
	p, u := fdStart(t, bin, "", env, "serve")
	fdWaitStderr(t, p, "modelpeek: open this URL in your browser: "+u+"\n")
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _, err := p.Wait(fdHang); err != nil || code != 0 {
		t.Fatalf("after SIGTERM: exit %d, %v", code, err)
	}
	if errs := p.Stderr(); strings.Contains(errs, "not found") || strings.Contains(errs, "no method") {
		t.Errorf("the opener's output reached the terminal: %q", errs)
	}
	if lines := p.Lines(); len(lines) != 1 {
		t.Errorf("stdout %q, want the serving line only", lines)
	}
}

// With MODELPEEK_LOG=debug, every stderr line of a tray app run is either
// a "modelpeek: " line for the user or a slog text record: no other
// format (the standard log package, systray's) mixes in.
func testOneLogFormat(t *testing.T, bin string) {
	addr := dbustest.StartBus(t)
	w := dbustest.StartWatcher(t, addr)
	p, _ := fdStart(t, bin, addr, fdEnv(t, "MODELPEEK_LOG=debug"), "--no-browser")
	select {
	case <-w.Registered():
	case <-time.After(fdHang):
		t.Fatalf("the tray never registered; stderr %q", p.Stderr())
	}
	if err := p.Cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code, _, err := p.Wait(fdHang); err != nil || code != 0 {
		t.Fatalf("after SIGTERM: exit %d, %v", code, err)
	}
	records := 0
	for _, line := range strings.Split(strings.TrimSpace(p.Stderr()), "\n") {
		switch {
		case strings.HasPrefix(line, "time=") && strings.Contains(line, " level="):
			records++
		case strings.HasPrefix(line, "modelpeek: "), line == "":
		default:
			t.Errorf("stderr line in another format: %q", line)
		}
	}
	if records == 0 {
		t.Errorf("MODELPEEK_LOG=debug logged nothing: %q", p.Stderr())
	}
}
