package app

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Prefixes of the process's private directories,
// <prefix><pid>-<random>: uploads, and the kept versions of watched models
// (previous.go), apart so that the upload directory holds uploads only.
const (
	uploadPrefix   = "modelpeek-upload-"
	versionsPrefix = "modelpeek-versions-"
)

// makeUploadDir creates this process's private (0700) upload directory.
func makeUploadDir(parent string) (string, error) {
	return makePrivateDir(parent, uploadPrefix, "upload")
}

// makePrivateDir creates this process's private (0700) directory named
// by prefix; what names it in errors.
func makePrivateDir(parent, prefix, what string) (string, error) {
	dir, err := os.MkdirTemp(parent, fmt.Sprintf("%s%d-", prefix, os.Getpid()))
	if err != nil {
		return "", fmt.Errorf("cannot create the %s directory: %w", what, err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		os.RemoveAll(dir)
		return "", fmt.Errorf("cannot protect the %s directory: %w", what, err)
	}
	return dir, nil
}

// removeStaleUploadDirs removes upload and versions directories left by modelpeek
// processes that no longer run (a crash or a kill). Directories of running
// processes and of other users are left alone.
func removeStaleUploadDirs(parent string, log *slog.Logger) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return
	}
	for _, e := range entries {
		name := e.Name()
		prefix := uploadPrefix
		if strings.HasPrefix(name, versionsPrefix) {
			prefix = versionsPrefix
		}
		if !e.IsDir() || !strings.HasPrefix(name, prefix) {
			continue
		}
		pidStr, _, ok := strings.Cut(strings.TrimPrefix(name, prefix), "-")
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
