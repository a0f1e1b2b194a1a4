//go:build unix

package mapfile

func isMapped() bool { return true }
