package integrate

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/desktop/internal/winreg"
	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/packaging"
)

func TestXDGInstallUninstall(t *testing.T) {
	home := t.TempDir()
	c := Config{Executable: "/opt/model peek/modelpeek", DataHome: home, GOOS: "linux"}
	did, err := Install(c)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("install: %s", strings.Join(did, "; "))
	entry := filepath.Join(home, "applications", packaging.AppID+".desktop")
	data, err := os.ReadFile(entry)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte("\nExec=\"/opt/model peek/modelpeek\" %F\n")) {
		t.Errorf("Exec not pointed at the binary:\n%s", data)
	}
	if v := testenv.LookPathOptional("desktop-file-validate"); v != "" {
		if out, err := exec.Command(v, entry).CombinedOutput(); err != nil || bytes.Contains(out, []byte("error")) {
			t.Errorf("desktop-file-validate: %v %s", err, out)
		}
	}
	for _, f := range []string{"mime/packages/" + packaging.AppID + ".xml", "icons/hicolor/48x48/apps/" + packaging.AppID + ".png", "icons/hicolor/512x512/apps/" + packaging.AppID + ".png"} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			t.Error(err)
		}
	}
	if testenv.LookPathOptional("update-mime-database") != "" {
		// The MIME database now maps *.gguf to our type.
		globs, err := os.ReadFile(filepath.Join(home, "mime", "globs2"))
		if err != nil || !bytes.Contains(globs, []byte("application/x-gguf:*.gguf")) {
			t.Errorf("mime globs2 lacks gguf: %v", err)
		}
	}
	if did, err := Install(c); err != nil || len(did) > 2 { // idempotent: only cache refreshes
		t.Errorf("second install = %v, %v", did, err)
	}
	if _, err := Uninstall(c); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(entry); !errors.Is(err, os.ErrNotExist) {
		t.Error("desktop entry left after Uninstall")
	}
}

func TestWindowsAssociations(t *testing.T) {
	reg := winreg.Fake{}
	exts := []string{".onnx", ".gguf", ".safetensors.index.json"}
	c := Config{Executable: `C:\Users\u\modelpeek.exe`, Registry: reg, GOOS: "windows", Extensions: exts}
	if _, err := Install(c); err != nil {
		t.Fatal(err)
	}
	cmd, err := reg.GetString(`Software\Classes\modelpeek.model\shell\open\command`, "")
	if err != nil || cmd != `"C:\Users\u\modelpeek.exe" "%1"` {
		t.Fatalf("open command = %q, %v", cmd, err)
	}
	for _, ext := range exts {
		if _, err := reg.GetString(`Software\Classes\`+ext+`\OpenWithProgids`, "modelpeek.model"); err != nil {
			t.Errorf("%s not associated: %v", ext, err)
		}
	}
	reg[`Software\Classes\.onnx\OpenWithProgids\Other.App`] = nil // someone else's
	if _, err := Uninstall(c); err != nil {
		t.Fatal(err)
	}
	if keys := reg.Keys(); len(keys) != 1 || !strings.HasSuffix(keys[0], "Other.App") {
		t.Fatalf("after Uninstall the registry holds %v, want only the other app's value", keys)
	}
}

func TestMacNothingToDo(t *testing.T) {
	if _, err := Install(Config{Executable: "/x", GOOS: "darwin"}); !errors.Is(err, ErrNothingToDo) {
		t.Fatalf("darwin Install = %v", err)
	}
}
