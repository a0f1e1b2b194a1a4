//go:build !unix

package app

import "os"

// processAlive reports whether a process with this ID exists.
func processAlive(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}

// ownedByMe: the temporary directory is per user on these systems.
func ownedByMe(fi os.FileInfo) bool { return true }
