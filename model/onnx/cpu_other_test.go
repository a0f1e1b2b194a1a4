//go:build !unix

package onnx

import "time"

// cpuTime is not measured on this platform; tests fall back to wall time.
func cpuTime() time.Duration { return 0 }
