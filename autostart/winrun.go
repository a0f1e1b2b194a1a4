package autostart

import (
	"errors"
	"fmt"
	"strings"
)

// Registry is the part of the Windows registry the Run backend uses, under
// HKEY_CURRENT_USER. ErrNotExist-wrapping errors mean a missing value.
type Registry interface {
	GetString(key, name string) (string, error)
	SetString(key, name, value string) error
	GetBinary(key, name string) ([]byte, error)
	DeleteValue(key, name string) error
}

// ErrNoValue is returned by a Registry for a value that does not exist.
var ErrNoValue = errors.New("registry value does not exist")

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

func (w WindowsRun) reg() (Registry, error) {
	if w.Registry != nil {
		return w.Registry, nil
	}
	return systemRegistry()
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
	if err := r.DeleteValue(RunKey, runValue); err != nil && !errors.Is(err, ErrNoValue) {
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
		if errors.Is(err, ErrNoValue) {
			return Status{Where: where}, nil
		}
		return Status{}, fmt.Errorf("read Run value: %w", err)
	}
	b, err := r.GetBinary(ApprovedKey, runValue)
	switch {
	case errors.Is(err, ErrNoValue):
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
