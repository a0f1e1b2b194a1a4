//go:build !windows

package tray

import _ "embed"

// PNG icons for Linux, the BSDs and macOS (drawn by internal/cmd/genicons).
var (
	//go:embed icons/running.png
	iconRunningData []byte
	//go:embed icons/stopped.png
	iconStoppedData []byte
	//go:embed icons/error.png
	iconErrorData []byte
	//go:embed icons/template.png
	iconTemplateRunning []byte
	//go:embed icons/template-stopped.png
	iconTemplateStopped []byte
)
