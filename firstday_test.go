package main

// End-to-end tests of the fixes a first day of use asked for, on the
// built binary. TestFirstDay builds its own binary, so these tests do not
// depend on the other end-to-end files' TestMain; each subtest is one fix.

import (
	"bytes"
	binenc "encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestFirstDay(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "modelpeek")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("building modelpeek: %v\n%s", err, out)
	}
	t.Run("missing files", func(t *testing.T) { testMissingFiles(t, bin) })
	t.Run("inspect names the path once", func(t *testing.T) { testInspectPathOnce(t, bin) })
	t.Run("inspect escapes control characters", func(t *testing.T) { testInspectEscapes(t, bin) })
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

// fdHang bounds a command that takes well under a second: 10 s, so a
// busy machine cannot break the test, only a hang does.
const fdHang = 10 * time.Second
