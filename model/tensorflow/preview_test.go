package tensorflow

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

// TestPreviews reads values of located tensors: Const tensor_content in
// a frozen graph and variables in a SavedModel's checkpoint shard.
func TestPreviews(t *testing.T) {
	for _, p := range []string{"frozen/cnn_frozen.pb", "saved_model_v2_functions/saved_model.pb"} {
		m, err := Open(context.Background(), filepath.Join(testenv.Corpus(t), "tensorflow", p))
		if err != nil {
			t.Fatal(err)
		}
		read := 0
		for _, tn := range m.Graph.Initializers {
			if tn.Location == nil || tn.DType != "float32" {
				continue
			}
			pv, err := model.ReadPreview(tn, 8)
			if err != nil {
				t.Errorf("%s %s: %v", p, tn.Name, err)
				continue
			}
			if pv == nil {
				t.Errorf("%s %s: no preview", p, tn.Name)
			}
			read++
		}
		if read == 0 {
			t.Errorf("%s: no float32 tensor previewed", p)
		}
	}
}
