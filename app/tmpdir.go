package app

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// uploadPrefix starts the names of upload directories:
// modelpeek-upload-<pid>-<random>.
const uploadPrefix = "modelpeek-upload-"

// makeUploadDir creates this process's private (0700) upload directory.
func makeUploadDir(parent string) (string, error) {
	dir, err := os.MkdirTemp(parent, fmt.Sprintf("%s%d-", uploadPrefix, os.Getpid()))
	if err != nil {
		return "", fmt.Errorf("cannot create the upload directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("cannot protect the upload directory: %w", err)
	}
	return dir, nil
}

// removeStaleUploadDirs removes upload directories left by modelpeek
// processes that no longer run (a crash or a kill). Directories of running
// processes and of other users are left alone.
func removeStaleUploadDirs(parent string, log *slog.Logger) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || !strings.HasPrefix(name, uploadPrefix) {
			continue
		}
		pidStr, _, ok := strings.Cut(strings.TrimPrefix(name, uploadPrefix), "-")
		pid, err := strconv.Atoi(pidStr)
		if !ok || err != nil || pid <= 0 || pid == os.Getpid() || processAlive(pid) {
			continue
		}
		dir := filepath.Join(parent, name)
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() || !ownedByMe(fi) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			log.Warn("cannot remove a stale upload directory", "dir", dir, "err", err)
		} else {
			log.Debug("removed a stale upload directory", "dir", dir)
		}
	}
}
