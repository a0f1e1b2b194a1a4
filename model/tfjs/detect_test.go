package tfjs_test

import (
	"testing"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/tfjs"
)

// TestDetect checks that only TensorFlow.js manifests are claimed, not
// other JSON files a model folder holds.
func TestDetect(t *testing.T) {
	cases := []struct {
		name string
		head string
		want model.Confidence
	}{
		{"graph model", `{"format": "graph-model", "modelTopology": {"node": []}}`, model.Strong},
		{"weights first", "\n  {\"weightsManifest\": [], \"modelTopology\": {}}", model.Strong},
		{"safetensors index", `{"metadata": {"total_size": 4}, "weight_map": {"a": "model-00001-of-00002.safetensors"}}`, model.No},
		{"hf config", `{"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096}`, model.No},
		{"keras config", `{"class_name": "Sequential", "config": {"layers": []}}`, model.No},
		{"long signature first", `{"format": "graph-model", "generatedBy": "2.1.0", "signature": {"inputs": {`, model.Plausible},
		{"array", `[{"modelTopology": 1}]`, model.No},
		{"text", `modelTopology`, model.No},
	}
	for _, c := range cases {
		if got := tfjs.Detect([]byte(c.head), int64(len(c.head))); got != c.want {
			t.Errorf("%s: Detect = %v, want %v", c.name, got, c.want)
		}
	}
}
