package tensorflow

import (
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
)

// TestManifestFacts opens every TensorFlow entry of both manifests and
// checks its summary against the reference facts; broken entries must be
// refused.
func TestManifestFacts(t *testing.T) {
	facts.CheckEntries(t, testenv.ManifestEntries(t, "tensorflow"), Open)
}
