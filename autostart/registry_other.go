//go:build !windows

package autostart

func systemRegistry() (Registry, error) { return nil, ErrUnsupported }
