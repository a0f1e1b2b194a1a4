package autostart

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/desktop/internal/winreg"
	"github.com/modelpeek/modelpeek/internal/testenv"
)

const exe = "/opt/model peek/bin/modelpeek"

func TestXDGEnableStatusDisable(t *testing.T) {
	cfg := Config{Executable: exe, ConfigHome: t.TempDir()}
	x := XDG{cfg}
	st, err := x.Status()
	if err != nil || st.Enabled {
		t.Fatalf("fresh status = %+v, %v; want disabled", st, err)
	}
	if err := x.Disable(); err != nil { // nothing to disable
		t.Fatal(err)
	}
	if _, err := os.Stat(st.Where); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Disable with no entry created %s", st.Where)
	}
	for i := 0; i < 2; i++ { // idempotent
		if err := x.Enable(); err != nil {
			t.Fatal(err)
		}
		st, err = x.Status()
		if err != nil || !st.Enabled {
			t.Fatalf("after Enable: %+v, %v", st, err)
		}
	}
	data, err := os.ReadFile(st.Where)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`Exec="/opt/model peek/bin/modelpeek" --no-browser`)) {
		t.Errorf("Exec line not quoted as the spec asks:\n%s", data)
	}
	validateDesktop(t, st.Where)
	for i := 0; i < 2; i++ {
		if err := x.Disable(); err != nil {
			t.Fatal(err)
		}
		st, err = x.Status()
		if err != nil || st.Enabled || st.Detail != "Hidden=true" {
			t.Fatalf("after Disable: %+v, %v", st, err)
		}
	}
	data, _ = os.ReadFile(st.Where)
	for _, want := range []string{"Hidden=true", "X-GNOME-Autostart-enabled=false"} {
		if !bytes.Contains(data, []byte(want)) {
			t.Errorf("disabled entry lacks %s", want)
		}
	}
	validateDesktop(t, st.Where)
}

func TestXDGRespectsGNOMESwitch(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "autostart", AppID+".desktop")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("[Desktop Entry]\nType=Application\nName=x\nExec=x\nX-GNOME-Autostart-enabled=false\n[Other]\nHidden=false\n"), 0o644)
	st, err := XDG{Config{Executable: exe, ConfigHome: dir}}.Status()
	if err != nil || st.Enabled {
		t.Fatalf("status = %+v, %v; want disabled by the GNOME key", st, err)
	}
}

func validateDesktop(t *testing.T, path string) {
	t.Helper()
	v := testenv.LookPath(t, "desktop-file-validate", "desktop-file-utils")
	out, err := exec.Command(v, path).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("desktop-file-validate %s: %v\n%s", path, err, out)
	}
}

func TestLaunchAgent(t *testing.T) {
	home := t.TempDir()
	l := LaunchAgent{Config{Executable: exe, Home: home, Args: []string{"--no-browser", "a&b<c>"}}}
	for i := 0; i < 2; i++ {
		if err := l.Enable(); err != nil {
			t.Fatal(err)
		}
	}
	st, err := l.Status()
	if err != nil || !st.Enabled {
		t.Fatalf("after Enable: %+v, %v", st, err)
	}
	if want := filepath.Join(home, "Library", "LaunchAgents", AppID+".plist"); st.Where != want {
		t.Errorf("plist at %s, want %s (file name must equal Label)", st.Where, want)
	}
	data, _ := os.ReadFile(st.Where)
	d, err := parsePlistDict(data)
	if err != nil {
		t.Fatalf("plist does not parse: %v\n%s", err, data)
	}
	for k, v := range map[string]string{"Label": AppID, "RunAtLoad": "true", "KeepAlive": "false", "LimitLoadToSessionType": "Aqua"} {
		if d[k] != v {
			t.Errorf("plist %s = %q, want %q", k, d[k], v)
		}
	}
	if !bytes.Contains(data, []byte("<string>a&amp;b&lt;c&gt;</string>")) {
		t.Errorf("argument not escaped:\n%s", data)
	}
	if p := testenv.LookPathOptional("plistutil"); p != "" {
		if out, err := exec.Command(p, "-i", st.Where, "-f", "bin", "-o", "/dev/null").CombinedOutput(); err != nil {
			t.Errorf("plistutil rejects the plist: %v %s", err, out)
		}
	}
	for i := 0; i < 2; i++ {
		if err := l.Disable(); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := l.Status(); st.Enabled {
		t.Fatal("still enabled after Disable")
	}
}

func TestParsePlistRejectsGarbage(t *testing.T) {
	for _, in := range []string{"", "not xml", "<plist><array/></plist>", strings.Repeat("<dict>", 100)} {
		if _, err := parsePlistDict([]byte(in)); err == nil {
			t.Errorf("parsePlistDict(%.20q) = nil error", in)
		}
	}
}

func TestWindowsRun(t *testing.T) {
	reg := winreg.Fake{}
	w := WindowsRun{Config{Executable: `C:\Program Files\modelpeek\modelpeek.exe`, Registry: reg}}
	if st, err := w.Status(); err != nil || st.Enabled {
		t.Fatalf("fresh: %+v %v", st, err)
	}
	for i := 0; i < 2; i++ {
		if err := w.Enable(); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := string(reg[RunKey+`\modelpeek`]), `"C:\Program Files\modelpeek\modelpeek.exe" --no-browser`; got != want {
		t.Errorf("Run value = %s, want %s", got, want)
	}
	if st, _ := w.Status(); !st.Enabled {
		t.Fatal("not enabled after Enable")
	}
	// The user disables it in Task Manager: StartupApproved 03....
	reg[ApprovedKey+`\modelpeek`] = []byte{3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}
	if st, _ := w.Status(); st.Enabled || st.Detail == "" {
		t.Fatalf("Task Manager disable not respected: %+v", st)
	}
	reg[ApprovedKey+`\modelpeek`][0] = 2
	if st, _ := w.Status(); !st.Enabled {
		t.Fatal("StartupApproved 02 should read as enabled")
	}
	for i := 0; i < 2; i++ {
		if err := w.Disable(); err != nil {
			t.Fatal(err)
		}
	}
	if st, _ := w.Status(); st.Enabled {
		t.Fatal("enabled after Disable")
	}
}

func TestForOS(t *testing.T) {
	for goos, want := range map[string]string{"linux": "autostart.XDG", "darwin": "autostart.LaunchAgent", "windows": "autostart.WindowsRun", "plan9": "autostart.unsupported"} {
		if got := typeName(forOS(goos, Config{})); got != want {
			t.Errorf("forOS(%s) = %s, want %s", goos, got, want)
		}
	}
	if err := forOS("plan9", Config{}).Enable(); !errors.Is(err, ErrUnsupported) {
		t.Errorf("plan9 Enable = %v", err)
	}
}

func typeName(v any) string { return fmt.Sprintf("%T", v) }
