//go:build !linux

package watch

import "io/fs"

// changeTime returns 0: only Linux's status change time is used.
func changeTime(fs.FileInfo) int64 { return 0 }

// describe returns err unchanged on this OS.
func describe(err error) error { return err }
