package tfjs_test

import (
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
	"github.com/modelpeek/modelpeek/model/tfjs"
)

// TestManifestFacts checks every tfjs entry of the shared manifests
// (corpus and real-world) against its reference facts.
func TestManifestFacts(t *testing.T) {
	facts.CheckEntries(t, testenv.ManifestEntries(t, "tfjs"), tfjs.Open)
}
