//go:build windows

package tray

import _ "embed"

// ICO icons: the Windows tray cannot load PNG (drawn by internal/cmd/genicons).
var (
	//go:embed icons/running.ico
	iconRunningData []byte
	//go:embed icons/stopped.ico
	iconStoppedData []byte
	//go:embed icons/error.ico
	iconErrorData []byte
	// Templates are a macOS notion; Windows shows the regular icons.
	iconTemplateRunning = iconRunningData
	iconTemplateStopped = iconStoppedData
)
