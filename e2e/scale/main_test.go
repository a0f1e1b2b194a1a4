// Package scale opens very large graphs in the built binary: a
// 500,000-node ONNX model opens, is laid out ahead of the page and served
// within the memory target, while a small file claiming a huge graph is
// still refused. It holds tests only.
package scale

import (
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
