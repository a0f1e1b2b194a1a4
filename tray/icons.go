package tray

//go:generate go run ../internal/cmd/genicons

// iconState is what the tray icon shows.
type iconState int

const (
	iconStopped iconState = iota
	iconRunning
	iconError
)

// stateIcon picks the icon for a State: error wins, then running.
func stateIcon(st State) iconState {
	switch {
	case st.Err != "":
		return iconError
	case st.Running:
		return iconRunning
	}
	return iconStopped
}

// iconBytes returns the icon for s in this OS's format (see
// icons_windows.go and icons_other.go).
func iconBytes(s iconState) []byte {
	switch s {
	case iconRunning:
		return iconRunningData
	case iconError:
		return iconErrorData
	}
	return iconStoppedData
}
