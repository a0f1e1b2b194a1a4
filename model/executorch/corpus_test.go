package executorch

import (
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/internal/testenv/facts"
)

// TestManifests opens every executorch entry of the corpus and real-world
// manifests and checks it against its reference facts.
func TestManifests(t *testing.T) {
	facts.CheckEntries(t, testenv.ManifestEntries(t, "executorch"), Open)
}
