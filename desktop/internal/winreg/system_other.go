//go:build !windows

package winreg

// System returns the current user's registry; on this OS, ErrUnsupported.
func System() (Registry, error) { return nil, ErrUnsupported }
