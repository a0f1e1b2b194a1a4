package paddle

import (
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
)

// TestManifest checks every paddle entry of the shared manifests against
// its reference facts.
func TestManifest(t *testing.T) {
	facts.CheckEntries(t, testenv.ManifestEntries(t, "paddle"), Open)
}
