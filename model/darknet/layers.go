package darknet

import (
	"fmt"
	"strconv"
)

// dims is a layer output's [channels, height, width].
type dims struct{ c, h, w int }

// maxDim bounds every computed dimension, so hostile sizes cannot
// overflow products.
const maxDim = 1 << 24

// built is one layer after wiring: its inputs, output size and weights.
type built struct {
	name    string
	inputs  []string
	out     dims
	weights []weight
	// unknownWeights is set for layers whose weights this reader does not
	// lay out (recurrent layers, local): later offsets are unknown.
	unknownWeights bool
}

// weight is one float32 array of the .weights file.
type weight struct {
	suffix string
	shape  []int64
}

// wire computes every layer's inputs, output size and weights in order,
// following darknet's parse_network_cfg.
func wire(secs []section) ([]built, error) {
	net := &secs[0]
	in := dims{net.int("channels", 0), net.int("height", 0), net.int("width", 0)}
	if err := in.check(); err != nil {
		return nil, fmt.Errorf("[net]: %w", err)
	}
	var out []built
	prev, prevName := in, "data"
	if n := net.int("inputs", 0); in.c*in.h*in.w == 0 && n > 0 && n <= maxDim {
		prev = dims{n, 1, 1} // a non-image network sized by inputs=
	}
	for i := range secs[1:] {
		s := &secs[i+1]
		b, err := wireLayer(s, i, prev, prevName, out)
		if err != nil {
			return nil, fmt.Errorf("layer %d [%s] (line %d): %w", i, s.typ, s.line, err)
		}
		b.out = b.out.clamp()
		if err := b.out.check(); err != nil {
			return nil, fmt.Errorf("layer %d [%s] (line %d): %w", i, s.typ, s.line, err)
		}
		out = append(out, b)
		prev, prevName = b.out, b.name
	}
	return out, nil
}

// clamp turns negative sizes (a kernel larger than its input) into 0.
func (d dims) clamp() dims { return dims{max(d.c, 0), max(d.h, 0), max(d.w, 0)} }

func (d dims) check() error {
	for _, v := range []int{d.c, d.h, d.w} {
		if v < 0 || v > maxDim {
			return fmt.Errorf("size %d×%d×%d out of range", d.c, d.h, d.w)
		}
	}
	return nil
}

// wireLayer wires layer i given the previous layer's output.
func wireLayer(s *section, i int, prev dims, prevName string, done []built) (built, error) {
	b := built{name: strconv.Itoa(i) + "_" + s.typ, inputs: []string{prevName}, out: prev}
	switch s.typ {
	case "convolutional", "conv":
		return conv(s, b, prev)
	case "deconvolutional", "deconv":
		return deconv(s, b, prev)
	case "connected", "conn":
		return connected(s, b, prev)
	case "maxpool", "max":
		stride := s.int("stride", 1)
		size := s.int("size", stride)
		pad := s.int("padding", size-1)
		if stride <= 0 {
			return b, fmt.Errorf("stride %d", stride)
		}
		b.out = dims{prev.c, (prev.h+pad-size)/stride + 1, (prev.w+pad-size)/stride + 1}
	case "avgpool", "avg":
		b.out = dims{prev.c, 1, 1}
	case "batchnorm":
		b.weights = bnTriple(prev.c)
	case "route":
		return route(s, b, i, done)
	case "shortcut":
		return shortcut(s, b, i, done)
	case "upsample":
		b.out = upsample(s.int("stride", 2), prev)
	case "reorg":
		b.out = reorg(s.int("stride", 1), s.int("reverse", 0) != 0, prev)
	case "crop":
		b.out = dims{prev.c, s.int("crop_height", 1), s.int("crop_width", 1)}
	case "local", "rnn", "crnn", "lstm", "gru":
		b.unknownWeights = true
	}
	return b, nil
}

// conv wires [convolutional]: output size, biases, BN triple, weights.
func conv(s *section, b built, prev dims) (built, error) {
	n, size, stride := s.int("filters", 1), s.int("size", 1), s.int("stride", 1)
	groups := s.int("groups", 1)
	pad := s.int("padding", 0)
	if s.int("pad", 0) != 0 {
		pad = size / 2
	}
	if stride <= 0 || groups <= 0 || n <= 0 || size <= 0 || n > maxDim || size > maxDim {
		return b, fmt.Errorf("filters %d, size %d, stride %d, groups %d out of range", n, size, stride, groups)
	}
	b.out = dims{n, (prev.h+2*pad-size)/stride + 1, (prev.w+2*pad-size)/stride + 1}
	b.weights = append(b.weights, weight{"biases", []int64{int64(n)}})
	if s.int("batch_normalize", 0) != 0 && s.int("dontloadscales", 0) == 0 {
		b.weights = append(b.weights, bnTriple(n)...)
	}
	b.weights = append(b.weights, weight{"weights", []int64{int64(n), int64(prev.c / groups), int64(size), int64(size)}})
	return b, nil
}

// deconv wires [deconvolutional].
func deconv(s *section, b built, prev dims) (built, error) {
	n, size, stride := s.int("filters", 1), s.int("size", 1), s.int("stride", 1)
	pad := s.int("padding", 0)
	if s.int("pad", 0) != 0 {
		pad = size / 2
	}
	if stride <= 0 || n <= 0 || size <= 0 || n > maxDim || size > maxDim || stride > maxDim {
		return b, fmt.Errorf("filters %d, size %d, stride %d out of range", n, size, stride)
	}
	b.out = dims{n, (prev.h-1)*stride + size - 2*pad, (prev.w-1)*stride + size - 2*pad}
	b.weights = append(b.weights, weight{"biases", []int64{int64(n)}})
	if s.int("batch_normalize", 0) != 0 && s.int("dontloadscales", 0) == 0 {
		b.weights = append(b.weights, bnTriple(n)...)
	}
	b.weights = append(b.weights, weight{"weights", []int64{int64(prev.c), int64(n), int64(size), int64(size)}})
	return b, nil
}

// connected wires [connected]: biases, weights, BN triple.
func connected(s *section, b built, prev dims) (built, error) {
	n := s.int("output", 1)
	if n <= 0 || n > maxDim {
		return b, fmt.Errorf("output %d out of range", n)
	}
	inputs := int64(prev.c) * int64(prev.h) * int64(prev.w) // each ≤ 2^24
	if prev.h > 0 && inputs/int64(prev.h) != int64(prev.c)*int64(prev.w) || inputs > 1<<40 {
		return b, fmt.Errorf("%d×%d×%d inputs are too many", prev.c, prev.h, prev.w)
	}
	b.out = dims{n, 1, 1}
	b.weights = []weight{{"biases", []int64{int64(n)}}, {"weights", []int64{int64(n), inputs}}}
	if s.int("batch_normalize", 0) != 0 && s.int("dontloadscales", 0) == 0 {
		b.weights = append(b.weights, bnTriple(n)...)
	}
	return b, nil
}

// bnTriple is the batch-norm scales, rolling mean and rolling variance.
func bnTriple(n int) []weight {
	return []weight{{"scales", []int64{int64(n)}}, {"rolling_mean", []int64{int64(n)}}, {"rolling_variance", []int64{int64(n)}}}
}

// layerRef resolves a route/shortcut index (negative: relative to i).
func layerRef(v, i int, done []built) (*built, error) {
	idx := v
	if v < 0 {
		idx = i + v
	}
	if idx < 0 || idx >= len(done) {
		return nil, fmt.Errorf("refers to layer %d, which is not an earlier layer", idx)
	}
	return &done[idx], nil
}

// route concatenates the channels of the listed layers.
func route(s *section, b built, i int, done []built) (built, error) {
	v, _ := s.find("layers")
	refs := ints(v)
	if len(refs) == 0 {
		return b, fmt.Errorf("no layers")
	}
	b.inputs = nil
	for j, r := range refs {
		l, err := layerRef(r, i, done)
		if err != nil {
			return b, err
		}
		b.inputs = append(b.inputs, l.name)
		if j == 0 {
			b.out = dims{0, l.out.h, l.out.w}
		}
		b.out.c += l.out.c
	}
	if g := s.int("groups", 1); g > 1 {
		b.out.c /= g
	}
	return b, nil
}

// shortcut adds an earlier layer's output to the previous one.
func shortcut(s *section, b built, i int, done []built) (built, error) {
	v, _ := s.find("from")
	refs := ints(v)
	if len(refs) == 0 {
		return b, fmt.Errorf("no from= layer")
	}
	for _, r := range refs {
		l, err := layerRef(r, i, done)
		if err != nil {
			return b, err
		}
		b.inputs = append(b.inputs, l.name)
	}
	return b, nil
}

// upsample scales width and height by stride (a negative stride shrinks).
func upsample(stride int, d dims) dims {
	switch {
	case stride < 0 && stride > -maxDim:
		return dims{d.c, d.h / -stride, d.w / -stride}
	case stride > 0 && stride < maxDim:
		return dims{d.c, d.h * stride, d.w * stride}
	}
	return d
}

// reorg moves space into channels (or back with reverse).
func reorg(stride int, reverse bool, d dims) dims {
	if stride <= 0 || stride > 1<<12 {
		return d
	}
	if reverse {
		return dims{d.c / (stride * stride), d.h * stride, d.w * stride}
	}
	return dims{d.c * stride * stride, d.h / stride, d.w / stride}
}
