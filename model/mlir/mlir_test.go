package mlir

import (
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
)

func TestManifest(t *testing.T) {
	facts.CheckEntries(t, testenv.ManifestEntries(t, "mlir"), Open)
}
