package tray

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// ErrNoDialog is returned by the native dialog helpers when no dialog
// program can be used (none installed, or no display on Linux).
var ErrNoDialog = errors.New("no native dialog program available")

// dialogCmd is one way to show a dialog: a program and its arguments.
type dialogCmd struct {
	prog string
	args []string
}

// linuxDialogs returns the dialog programs to try, in order: kdialog first
// on KDE, zenity first elsewhere. It returns none without a display.
func linuxDialogs(zenity, kdialog []string) []dialogCmd {
	if os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" {
		return nil
	}
	z := dialogCmd{"zenity", zenity}
	k := dialogCmd{"kdialog", kdialog}
	if strings.Contains(strings.ToUpper(os.Getenv("XDG_CURRENT_DESKTOP")), "KDE") {
		return []dialogCmd{k, z}
	}
	return []dialogCmd{z, k}
}

// ChooseFiles shows the native "open file" dialog and returns the chosen
// paths, or none when the user cancelled. On Linux and the BSDs it uses
// zenity or kdialog, else the XDG desktop portal. It returns ErrNoDialog
// when none is available. The dialog is closed when ctx is done.
func ChooseFiles(ctx context.Context) ([]string, error) {
	const title = "Open model"
	var cmds []dialogCmd
	switch runtime.GOOS {
	case "darwin":
		script := `set fs to choose file with prompt "` + title + `" with multiple selections allowed
set out to ""
repeat with f in fs
set out to out & POSIX path of f & linefeed
end repeat
return out`
		cmds = []dialogCmd{{"osascript", []string{"-e", script}}}
	case "windows":
		script := `Add-Type -AssemblyName System.Windows.Forms
$d = New-Object System.Windows.Forms.OpenFileDialog
$d.Title = '` + title + `'
$d.Multiselect = $true
$d.Filter = 'Model files|*.onnx;*.tflite;*.gguf;*.safetensors;*.npy;*.npz;*.pt;*.pth;*.bin;*.keras;*.h5|All files|*.*'
if ($d.ShowDialog() -eq [System.Windows.Forms.DialogResult]::OK) { $d.FileNames -join "` + "`n" + `" }`
		cmds = []dialogCmd{{"powershell", []string{"-NoProfile", "-NonInteractive", "-STA", "-Command", script}}}
	default:
		home, _ := os.UserHomeDir()
		cmds = linuxDialogs(
			[]string{"--file-selection", "--multiple", "--separator=\n", "--title=" + title},
			[]string{"--title", title, "--multiple", "--separate-output", "--getopenfilename", home},
		)
	}
	out, err := runDialog(ctx, cmds)
	if errors.Is(err, ErrNoDialog) && runtime.GOOS != "darwin" && runtime.GOOS != "windows" {
		return portalChooseFiles(ctx, title)
	}
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, line := range strings.Split(string(out), "\n") {
		if p := strings.TrimSpace(line); p != "" {
			paths = append(paths, p)
		}
	}
	return paths, nil
}

// ShowInfo shows a native message box with title and text, returning
// when the user closes it. It returns ErrNoDialog when no dialog program
// is available.
func ShowInfo(ctx context.Context, title, text string) error {
	var cmds []dialogCmd
	switch runtime.GOOS {
	case "darwin":
		script := fmt.Sprintf("display dialog %s with title %s buttons {\"OK\"} default button \"OK\"",
			appleString(text), appleString(title))
		cmds = []dialogCmd{{"osascript", []string{"-e", script}}}
	case "windows":
		script := "Add-Type -AssemblyName System.Windows.Forms; [void][System.Windows.Forms.MessageBox]::Show(" +
			psString(text) + ", " + psString(title) + ")"
		cmds = []dialogCmd{{"powershell", []string{"-NoProfile", "-NonInteractive", "-STA", "-Command", script}}}
	default:
		cmds = linuxDialogs(
			[]string{"--info", "--no-markup", "--title=" + title, "--text=" + text},
			[]string{"--title", title, "--msgbox", text},
		)
	}
	_, err := runDialog(ctx, cmds)
	return err
}

// runDialog runs the first installed program of cmds and returns its
// output. A cancel (exit status 1 without output, as zenity, kdialog and
// osascript report it) returns no output and no error.
func runDialog(ctx context.Context, cmds []dialogCmd) ([]byte, error) {
	for _, c := range cmds {
		path, err := exec.LookPath(c.prog)
		if err != nil {
			continue
		}
		cmd := exec.CommandContext(ctx, path, c.args...)
		// A killed dialog's own children may hold the pipes open.
		cmd.WaitDelay = time.Second
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err == nil {
			return out, nil
		}
		var exit *exec.ExitError
		if errors.As(err, &exit) && exit.ExitCode() == 1 && len(bytes.TrimSpace(out)) == 0 && ctx.Err() == nil {
			return nil, nil // cancelled by the user
		}
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 200 {
			msg = msg[:200]
		}
		return nil, fmt.Errorf("%s failed: %w (%s)", c.prog, err, msg)
	}
	return nil, ErrNoDialog
}

// appleString quotes s for AppleScript.
func appleString(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// psString quotes s for PowerShell (single quotes, doubled inside).
func psString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
