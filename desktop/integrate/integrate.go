// Package integrate registers modelpeek with the desktop for the current
// user — file associations, the application entry and icons — on explicit
// request (`modelpeek integrate`), never silently.
//
// Linux and other XDG desktops: the packaged .desktop entry (Exec pointing
// at this binary), MIME types and icons under $XDG_DATA_HOME. Windows:
// per-user associations under HKCU\Software\Classes. macOS: the app
// bundle's Info.plist declares the document types, so there is nothing to do.
package integrate

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"

	"github.com/modelpeek/modelpeek/desktop/internal/desktopentry"
	"github.com/modelpeek/modelpeek/desktop/internal/winreg"
	"github.com/modelpeek/modelpeek/packaging"
)

// Config says where to install. The zero value means the current user's
// real locations and the running binary.
type Config struct {
	Executable string
	// DataHome overrides $XDG_DATA_HOME (default ~/.local/share).
	DataHome string
	// Registry overrides the Windows registry.
	Registry winreg.Registry
	// GOOS overrides runtime.GOOS (tests).
	GOOS string
	// Extensions are the model file extensions to associate with
	// modelpeek where the system keeps a per-extension list (Windows):
	// packaging.DesktopExtensions of the format registry's.
	Extensions []string
}

// ErrNothingToDo is returned on macOS, where the bundle declares the types.
var ErrNothingToDo = errors.New("nothing to do here: the app bundle's Info.plist declares the model types")

func (c Config) goos() string {
	if c.GOOS != "" {
		return c.GOOS
	}
	return runtime.GOOS
}

func (c Config) exe() (string, error) {
	if c.Executable != "" {
		return c.Executable, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find the modelpeek binary: %w", err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return exe, nil
}

// Install registers modelpeek for the current user and returns what it did,
// one line per item.
func Install(c Config) ([]string, error) {
	exe, err := c.exe()
	if err != nil {
		return nil, err
	}
	switch c.goos() {
	case "darwin":
		return nil, ErrNothingToDo
	case "windows":
		return installWindows(c, exe)
	default:
		return installXDG(c, exe)
	}
}

// Uninstall removes what Install wrote.
func Uninstall(c Config) ([]string, error) {
	switch c.goos() {
	case "darwin":
		return nil, ErrNothingToDo
	case "windows":
		return uninstallWindows(c)
	default:
		return uninstallXDG(c)
	}
}

func (c Config) dataHome() (string, error) {
	if c.DataHome != "" {
		return c.DataHome, nil
	}
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return d, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find the home directory: %w", err)
	}
	return filepath.Join(home, ".local", "share"), nil
}

var iconName = regexp.MustCompile(`^modelpeek-(\d+)\.png$`)

// xdgFiles maps destination paths (relative to the data home) to contents.
func xdgFiles(exe string) (map[string][]byte, error) {
	id := packaging.AppID
	desktop, err := packaging.Files.ReadFile("linux/" + id + ".desktop")
	if err != nil {
		return nil, err
	}
	desktop = rewriteExec(desktop, exe)
	mime, err := packaging.Files.ReadFile("linux/" + id + "-mime.xml")
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{
		path.Join("applications", id+".desktop"): desktop,
		path.Join("mime", "packages", id+".xml"): mime,
	}
	icons, err := fs.Glob(packaging.Files, "icons/*.png")
	if err != nil {
		return nil, err
	}
	for _, p := range icons {
		m := iconName.FindStringSubmatch(path.Base(p))
		if m == nil {
			continue
		}
		data, err := packaging.Files.ReadFile(p)
		if err != nil {
			return nil, err
		}
		files[path.Join("icons", "hicolor", m[1]+"x"+m[1], "apps", id+".png")] = data
	}
	return files, nil
}

func installXDG(c Config, exe string) ([]string, error) {
	home, err := c.dataHome()
	if err != nil {
		return nil, err
	}
	files, err := xdgFiles(exe)
	if err != nil {
		return nil, fmt.Errorf("read embedded desktop files: %w", err)
	}
	var did []string
	for rel, data := range files {
		dst := filepath.Join(home, filepath.FromSlash(rel))
		if old, err := os.ReadFile(dst); err == nil && bytes.Equal(old, data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return did, err
		}
		if err := os.WriteFile(dst, data, 0o644); err != nil {
			return did, fmt.Errorf("write %s: %w", dst, err)
		}
		did = append(did, "wrote "+dst)
	}
	did = append(did, refreshCaches(home)...)
	return did, nil
}

func uninstallXDG(c Config) ([]string, error) {
	home, err := c.dataHome()
	if err != nil {
		return nil, err
	}
	files, err := xdgFiles("modelpeek")
	if err != nil {
		return nil, err
	}
	var did []string
	for rel := range files {
		dst := filepath.Join(home, filepath.FromSlash(rel))
		if err := os.Remove(dst); err == nil {
			did = append(did, "removed "+dst)
		} else if !errors.Is(err, os.ErrNotExist) {
			return did, err
		}
	}
	did = append(did, refreshCaches(home)...)
	return did, nil
}

// refreshCaches runs the freedesktop cache tools when they are installed.
func refreshCaches(home string) []string {
	var did []string
	for _, c := range [][]string{
		{"update-mime-database", filepath.Join(home, "mime")},
		{"update-desktop-database", "-q", filepath.Join(home, "applications")},
	} {
		if p, err := exec.LookPath(c[0]); err == nil {
			if out, err := exec.Command(p, c[1:]...).CombinedOutput(); err != nil {
				did = append(did, fmt.Sprintf("%s failed: %v %s", c[0], err, bytes.TrimSpace(out)))
			} else {
				did = append(did, "ran "+c[0])
			}
		}
	}
	return did
}

// rewriteExec points the packaged entry's Exec and TryExec at exe, which
// need not be on PATH for a per-user install.
func rewriteExec(entry []byte, exe string) []byte {
	lines := bytes.Split(entry, []byte("\n"))
	for i, l := range lines {
		switch {
		case bytes.HasPrefix(l, []byte("Exec=")):
			lines[i] = []byte("Exec=" + desktopentry.Exec(exe) + " %F")
		case bytes.HasPrefix(l, []byte("TryExec=")):
			lines[i] = []byte("TryExec=" + desktopentry.Value(exe))
		}
	}
	return bytes.Join(lines, []byte("\n"))
}
