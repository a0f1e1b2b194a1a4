package autostart

import (
	"errors"
	"fmt"
	"strings"

	"github.com/modelpeek/modelpeek/desktop/internal/winreg"
)

// Registry keys under HKEY_CURRENT_USER.
const (
	RunKey      = `Software\Microsoft\Windows\CurrentVersion\Run`
	ApprovedKey = `Software\Microsoft\Windows\CurrentVersion\Explorer\StartupApproved\Run`
	runValue    = "modelpeek"
)

// WindowsRun is the Windows backend: a REG_SZ value under RunKey. An entry
// the user disabled in Task Manager (StartupApproved first byte not 2) is
// reported as disabled and never silently re-enabled.
type WindowsRun struct{ Config }

func (w WindowsRun) reg() (winreg.Registry, error) {
	if w.Registry != nil {
		return w.Registry, nil
	}
	return winreg.System()
}

// Enable writes the Run value.
func (w WindowsRun) Enable() error {
	r, err := w.reg()
	if err != nil {
		return err
	}
	exe, args, err := w.command()
	if err != nil {
		return err
	}
	if err := r.SetString(RunKey, runValue, windowsCommand(exe, args)); err != nil {
		return fmt.Errorf("write Run value: %w", err)
	}
	return nil
}

// Disable deletes the Run value; a missing one is fine.
func (w WindowsRun) Disable() error {
	r, err := w.reg()
	if err != nil {
		return err
	}
	if err := r.DeleteValue(RunKey, runValue); err != nil && !errors.Is(err, winreg.ErrNoValue) {
		return fmt.Errorf("delete Run value: %w", err)
	}
	return nil
}

// Status reads the Run value and the StartupApproved state.
func (w WindowsRun) Status() (Status, error) {
	r, err := w.reg()
	if err != nil {
		return Status{}, err
	}
	where := `HKCU\` + RunKey + `\` + runValue
	if _, err := r.GetString(RunKey, runValue); err != nil {
		if errors.Is(err, winreg.ErrNoValue) {
			return Status{Where: where}, nil
		}
		return Status{}, fmt.Errorf("read Run value: %w", err)
	}
	b, err := r.GetBinary(ApprovedKey, runValue)
	switch {
	case errors.Is(err, winreg.ErrNoValue):
	case err != nil:
		return Status{}, fmt.Errorf("read StartupApproved value: %w", err)
	case len(b) > 0 && b[0]&1 == 1: // 03 (and other odd values) mean disabled
		return Status{Where: where, Detail: "disabled in Task Manager / Startup apps"}, nil
	}
	return Status{Where: where, Enabled: true}, nil
}

// windowsCommand quotes the executable and any argument with spaces.
func windowsCommand(exe string, args []string) string {
	parts := []string{`"` + exe + `"`}
	for _, a := range args {
		if strings.ContainsAny(a, " \t\"") {
			a = `"` + strings.ReplaceAll(a, `"`, `\"`) + `"`
		}
		parts = append(parts, a)
	}
	return strings.Join(parts, " ")
}
