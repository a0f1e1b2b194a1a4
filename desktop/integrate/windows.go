package integrate

import (
	"errors"
	"fmt"

	"github.com/modelpeek/modelpeek/desktop/internal/winreg"
)

// Registry keys under HKEY_CURRENT_USER.
const (
	classes = `Software\Classes`
	progID  = "modelpeek.model"
	appKey  = classes + `\Applications\modelpeek.exe`
)

func (c Config) reg() (winreg.Registry, error) {
	if c.Registry != nil {
		return c.Registry, nil
	}
	return winreg.System()
}

// installWindows writes a ProgID with an open verb, lists it in each
// extension's OpenWithProgids (so it is offered, not forced, as the
// handler), and registers the Applications entry with SupportedTypes.
func installWindows(c Config, exe string) ([]string, error) {
	r, err := c.reg()
	if err != nil {
		return nil, err
	}
	open := `"` + exe + `" "%1"`
	set := []struct{ key, name, value string }{
		{classes + `\` + progID, "", "Machine-learning model"},
		{classes + `\` + progID + `\DefaultIcon`, "", `"` + exe + `",0`},
		{classes + `\` + progID + `\shell\open\command`, "", open},
		{appKey, "FriendlyAppName", "modelpeek"},
		{appKey + `\shell\open\command`, "", open},
	}
	for _, ext := range c.Extensions {
		set = append(set,
			struct{ key, name, value string }{classes + `\` + ext + `\OpenWithProgids`, progID, ""},
			struct{ key, name, value string }{appKey + `\SupportedTypes`, ext, ""})
	}
	var did []string
	for _, s := range set {
		if err := r.SetString(s.key, s.name, s.value); err != nil {
			return did, fmt.Errorf(`write HKCU\%s: %w`, s.key, err)
		}
	}
	did = append(did, fmt.Sprintf(`registered %s for %d file types under HKCU\%s`, progID, len(c.Extensions), classes))
	return did, nil
}

func uninstallWindows(c Config) ([]string, error) {
	r, err := c.reg()
	if err != nil {
		return nil, err
	}
	for _, k := range []string{classes + `\` + progID, appKey} {
		if err := r.DeleteTree(k); err != nil {
			return nil, fmt.Errorf(`remove HKCU\%s: %w`, k, err)
		}
	}
	for _, ext := range c.Extensions {
		if err := r.DeleteValue(classes+`\`+ext+`\OpenWithProgids`, progID); err != nil && !errors.Is(err, winreg.ErrNoValue) {
			return nil, err
		}
	}
	return []string{"removed " + progID + " and its file associations"}, nil
}
