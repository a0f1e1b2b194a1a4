package main

import "io"

// quitOnEOF calls quit when r ends or fails: the parent process that holds
// the other end of the pipe closed it or died (the kernel closes a dead
// process's pipes, on every OS). It is how `serve --watch-stdin` never
// outlives the program that started it, without polling.
func quitOnEOF(r io.Reader, quit func()) {
	_, _ = io.Copy(io.Discard, r)
	quit()
}
