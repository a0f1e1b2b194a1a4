package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/hier"
)

// ConfigName is the Hugging Face model configuration file.
const ConfigName = "config.json"

// maxConfig bounds config.json; real ones are a few KB.
const maxConfig = 4 << 20

// HFConfig is the part of a Hugging Face config.json the graph needs.
type HFConfig struct {
	// Path is the config file.
	Path          string
	ModelType     string
	Architectures []string
	raw           map[string]json.RawMessage
}

// ReadHFConfig reads the config.json in dir; nil, nil when there is none.
func ReadHFConfig(dir string) (*HFConfig, error) {
	p := filepath.Join(dir, ConfigName)
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfig+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigName, err)
	}
	if len(b) > maxConfig {
		return nil, fmt.Errorf("%s is larger than %d MB", ConfigName, maxConfig>>20)
	}
	c := &HFConfig{Path: p}
	if err := json.Unmarshal(b, &c.raw); err != nil {
		return nil, fmt.Errorf("%s: %w", ConfigName, err)
	}
	_ = json.Unmarshal(c.raw["model_type"], &c.ModelType)
	_ = json.Unmarshal(c.raw["architectures"], &c.Architectures)
	return c, nil
}

// num returns the first of keys holding a number, 0 if none does.
func (c *HFConfig) num(keys ...string) float64 {
	for _, k := range keys {
		var v float64
		if json.Unmarshal(c.raw[k], &v) == nil && v > 0 {
			return v
		}
	}
	return 0
}

// dtype is the config's torch_dtype (transformers' float32 when absent
// or not a float type): the type the KV cache is kept in.
func (c *HFConfig) dtype() model.DType {
	var s string
	_ = json.Unmarshal(c.raw["torch_dtype"], &s)
	if s == "" {
		_ = json.Unmarshal(c.raw["dtype"], &s)
	}
	switch s {
	case "float16", "bfloat16":
		return model.DType(s)
	}
	return "float32"
}

func (c *HFConfig) flag(key string, def bool) bool {
	var v bool
	if json.Unmarshal(c.raw[key], &v) != nil {
		return def
	}
	return v
}

// Arch is the llama.cpp architecture of the config, or its model_type
// when llama.cpp has no name for it.
func (c *HFConfig) Arch() string {
	if a := ArchFromHF(c.ModelType, c.Architectures); a != "" {
		return a
	}
	return c.ModelType
}

// Params reads the hyper-parameters as convert_hf_to_gguf.py does.
func (c *HFConfig) Params() Params {
	i := func(keys ...string) int64 { return int64(c.num(keys...)) }
	p := Params{
		Arch:    c.Arch(),
		NEmbd:   i("hidden_size", "n_embd", "d_model"),
		NHead:   i("num_attention_heads", "n_head", "num_heads"),
		NHeadKV: i("num_key_value_heads", "num_kv_heads", "n_head_kv"),
		HeadDim: i("head_dim"), SlidingWindow: i("sliding_window"),
		NExpert:     i("num_experts", "num_local_experts", "n_routed_experts"),
		NExpertUsed: i("num_experts_per_tok"), NVocab: i("vocab_size"),
		AttnSoftcap: c.num("attn_logit_softcapping"), FinalSoftcap: c.num("final_logit_softcapping"),
		Tied:       c.flag("tie_word_embeddings", true),
		Sequential: !c.flag("use_parallel_residual", true),
		NCtxTrain:  i("max_position_embeddings", "n_positions", "max_sequence_length", "seq_length"),
		KVLoraRank: i("kv_lora_rank"), KVDType: c.dtype(),
	}
	if p.Arch == "falcon" && p.NHeadKV == 0 && c.flag("multi_query", false) {
		p.NHeadKV = 1
	}
	if p.NHeadKV == 0 {
		p.NHeadKV = p.NHead
	}
	if rope := i("qk_rope_head_dim"); rope > 0 {
		// MLA (DeepSeek-V2/V3): a key head is its plain and rotated parts.
		p.HeadDim, p.RopeDims = i("qk_nope_head_dim")+rope, rope
	}
	if p.HeadDim == 0 && p.NHead > 0 {
		p.HeadDim = p.NEmbd / p.NHead
	}
	if !c.flag("use_sliding_window", true) {
		p.SlidingWindow = 0
	}
	if f := c.num("partial_rotary_factor", "rotary_pct"); f > 0 && f < 1 && p.RopeDims == 0 {
		p.RopeDims = int64(f * float64(p.HeadDim))
	}
	return p
}

// WeightsOnlyNote says a file's tensors carry no data flow.
const WeightsOnlyNote = "this file stores weights only, no data flow"

// WeightsGraph draws the tensors of a Hugging Face weight file: the
// architecture's computation when a config is given and its tensors map
// onto known roles, else the module hierarchy with no edges (weightsOnly).
func WeightsGraph(tensors []*model.Tensor, cfg *HFConfig) (g *model.Graph, weightsOnly bool) {
	if cfg != nil {
		if g := Build(cfg.Params(), tensors, HF{Arch: cfg.Arch()}); g != nil {
			g.Doc = "computation of " + cfg.Arch() + " (from " + ConfigName + ") as llama.cpp performs it"
			return g, false
		}
	}
	return hier.Build(tensors, hier.Options{LeafOp: "Tensor", NoEdges: true,
		Doc: "Weights grouped by module name; " + WeightsOnlyNote + "."}), true
}

// Weight files a config.json can stand for, in the order they are looked
// for, with the decoder that reads them.
var hfWeights = []struct{ name, format string }{
	{"model.safetensors.index.json", "safetensors"},
	{"model.safetensors", "safetensors"},
	{"pytorch_model.bin", "pytorch"},
}

// HFWeights returns the weight file a Hugging Face folder's config.json
// describes and the decoder that reads it, "" when the folder has none.
// Detection of config.json by both decoders goes through it, so exactly
// one claims the file.
func HFWeights(dir string) (path, format string) {
	for _, w := range hfWeights {
		p := filepath.Join(dir, w.name)
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p, w.format
		}
	}
	return "", ""
}

// DetectConfig says whether path is a Hugging Face config.json beside
// weights that format reads (Plausible), for Format.DetectFile.
func DetectConfig(format, path string, head []byte) model.Confidence {
	if filepath.Base(path) != ConfigName {
		return model.No
	}
	h := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if len(h) == 0 || h[0] != '{' || !(bytes.Contains(head, []byte(`"model_type"`)) || bytes.Contains(head, []byte(`"architectures"`))) {
		return model.No
	}
	if _, f := HFWeights(filepath.Dir(path)); f == format {
		return model.Plausible
	}
	return model.No
}

// DetectDir says whether dir is a Hugging Face model folder (a cache
// snapshot) whose weights format reads.
func DetectDir(format, dir string) model.Confidence {
	if _, err := os.Stat(filepath.Join(dir, ConfigName)); err != nil {
		return model.No
	}
	if _, f := HFWeights(dir); f == format {
		return model.Plausible
	}
	return model.No
}

// IsConfigPath reports whether path names a config.json (or a folder) to
// open through its weights.
func IsConfigPath(path string) bool {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return true
	}
	return strings.EqualFold(filepath.Base(path), ConfigName)
}
