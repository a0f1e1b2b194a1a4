package autostart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelpeek/modelpeek/desktop/internal/desktopentry"
)

// XDG is the freedesktop.org autostart backend: a desktop entry in
// $XDG_CONFIG_HOME/autostart. Disable writes Hidden=true and
// X-GNOME-Autostart-enabled=false rather than deleting, so a system-wide
// entry of the same name is overridden too.
type XDG struct{ Config }

func (x XDG) path() (string, error) {
	dir := x.ConfigHome
	if dir == "" {
		dir = os.Getenv("XDG_CONFIG_HOME")
	}
	if dir == "" {
		home := x.Home
		if home == "" {
			h, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("find the config directory: %w", err)
			}
			home = h
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "autostart", AppID+".desktop"), nil
}

// Enable writes an enabled autostart entry.
func (x XDG) Enable() error { return x.write(true) }

// Disable marks the entry hidden. With no entry present it does nothing.
func (x XDG) Disable() error {
	p, err := x.path()
	if err != nil {
		return err
	}
	if _, err := os.Stat(p); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return x.write(false)
}

func (x XDG) write(enabled bool) error {
	p, err := x.path()
	if err != nil {
		return err
	}
	exe, args, err := x.command()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(p, DesktopEntry(exe, args, enabled), 0o644); err != nil {
		return fmt.Errorf("write autostart entry: %w", err)
	}
	return nil
}

// Status reads the entry back.
func (x XDG) Status() (Status, error) {
	p, err := x.path()
	if err != nil {
		return Status{}, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return Status{Where: p}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("read autostart entry: %w", err)
	}
	keys := desktopKeys(data)
	st := Status{Where: p, Enabled: true}
	switch {
	case strings.EqualFold(keys["Hidden"], "true"):
		st.Enabled, st.Detail = false, "Hidden=true"
	case strings.EqualFold(keys["X-GNOME-Autostart-enabled"], "false"):
		st.Enabled, st.Detail = false, "X-GNOME-Autostart-enabled=false"
	}
	return st, nil
}

// DesktopEntry renders the autostart desktop entry for exe and args.
func DesktopEntry(exe string, args []string, enabled bool) []byte {
	var b bytes.Buffer
	b.WriteString("[Desktop Entry]\n")
	b.WriteString("Type=Application\n")
	b.WriteString("Name=modelpeek\n")
	b.WriteString("Comment=View machine-learning model files as graphs\n")
	b.WriteString("Exec=" + desktopentry.Exec(append([]string{exe}, args...)...) + "\n")
	b.WriteString("TryExec=" + desktopentry.Value(exe) + "\n")
	b.WriteString("Icon=modelpeek\n")
	b.WriteString("Terminal=false\n")
	b.WriteString("NoDisplay=true\n")
	b.WriteString("X-GNOME-Autostart-Delay=3\n")
	if enabled {
		b.WriteString("X-GNOME-Autostart-enabled=true\n")
	} else {
		b.WriteString("Hidden=true\n")
		b.WriteString("X-GNOME-Autostart-enabled=false\n")
	}
	return b.Bytes()
}

// desktopKeys returns the keys of the [Desktop Entry] group.
func desktopKeys(data []byte) map[string]string {
	keys := map[string]string{}
	in := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			in = line == "[Desktop Entry]"
		case in:
			if k, v, ok := strings.Cut(line, "="); ok {
				keys[strings.TrimSpace(k)] = strings.TrimSpace(v)
			}
		}
	}
	return keys
}
