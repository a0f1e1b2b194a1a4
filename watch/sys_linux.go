package watch

import (
	"errors"
	"fmt"
	"io/fs"
	"syscall"
)

// changeTime returns the inode status change time in nanoseconds, which
// moves on every write, chmod and rename even when the modification time
// is set back (cp -p, rsync -t).
func changeTime(fi fs.FileInfo) int64 {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0
	}
	return st.Ctim.Sec*1e9 + st.Ctim.Nsec
}

// describe adds a hint to errors whose cause is an OS limit.
func describe(err error) error {
	switch {
	case errors.Is(err, syscall.ENOSPC):
		return fmt.Errorf("%w (the inotify watch limit is reached; raise fs.inotify.max_user_watches)", err)
	case errors.Is(err, syscall.EMFILE):
		return fmt.Errorf("%w (too many inotify instances or open files; raise fs.inotify.max_user_instances)", err)
	}
	return err
}
