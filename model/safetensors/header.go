package safetensors

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/modelpeek/modelpeek/model"
)

// Limits on what a header may declare, after the reference loader's.
const (
	maxHeaderLen = 100_000_000
	// maxTensors bounds the tensors of one file, maxSetTensors those of a
	// sharded set. Each tensor costs a few hundred bytes of memory, so
	// these bound what a hostile header can make the viewer allocate.
	maxTensors    = 250_000
	maxSetTensors = 1_000_000
	maxRank       = 32
	maxMetaKeys   = 100_000
)

// shard is one decoded safetensors file: its tensors in header order and
// its __metadata__.
type shard struct {
	path      string
	headerLen int64
	dataLen   int64
	tensors   []*model.Tensor
	metadata  map[string]string
	warnings  []string
	params    int64 // total number of elements, saturating
	bytes     int64 // total tensor bytes
}

// rawEntry is one tensor entry of the header, with the lists kept raw so
// their length can be checked before they are decoded.
type rawEntry struct {
	DType   *string         `json:"dtype"`
	Shape   json.RawMessage `json:"shape"`
	Offsets json.RawMessage `json:"data_offsets"`
}

// parseShard reads and validates the header of the safetensors file held by
// r (size bytes long). path is recorded in each tensor's Location. Tensor
// bytes are never read.
func parseShard(r io.ReaderAt, size int64, path string) (*shard, error) {
	if size < 8 {
		return nil, fmt.Errorf("file is too short (%d bytes) to hold a safetensors header", size)
	}
	var lenBuf [8]byte
	if _, err := r.ReadAt(lenBuf[:], 0); err != nil {
		return nil, fmt.Errorf("read safetensors header length: %w", err)
	}
	n := binary.LittleEndian.Uint64(lenBuf[:])
	switch {
	case n < 2:
		return nil, fmt.Errorf("safetensors header length %d is too small for a JSON object", n)
	case n > maxHeaderLen:
		return nil, fmt.Errorf("safetensors header length %d exceeds the %d-byte limit", n, maxHeaderLen)
	case n > uint64(size-8):
		return nil, fmt.Errorf("safetensors header length %d runs past the end of the file (%d bytes): the file is truncated or not safetensors", n, size)
	}
	hdr := make([]byte, n)
	if _, err := r.ReadAt(hdr, 8); err != nil {
		return nil, fmt.Errorf("read safetensors header: %w", err)
	}
	s := &shard{path: path, headerLen: int64(n), dataLen: size - 8 - int64(n), metadata: map[string]string{}}
	if err := s.decodeHeader(hdr); err != nil {
		return nil, err
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// decodeHeader decodes the JSON header: an object mapping tensor names to
// entries, plus an optional "__metadata__" object of strings.
func (s *shard) decodeHeader(hdr []byte) error {
	if hdr[0] != '{' {
		return errors.New("safetensors header does not start with '{'")
	}
	if !utf8.Valid(hdr) {
		return errors.New("safetensors header is not valid UTF-8 text")
	}
	if err := checkJSONDepth(hdr, maxJSONDepth); err != nil {
		return fmt.Errorf("safetensors header: %w", err)
	}
	// Count entries before decoding any, so an oversized header costs
	// nothing but this scan.
	if n := bytes.Count(hdr, []byte(`"data_offsets"`)); n > maxTensors {
		return fmt.Errorf("safetensors header lists %d tensors, more than the %d allowed in one file", n, maxTensors)
	}
	dec := json.NewDecoder(bytes.NewReader(hdr))
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("safetensors header is not JSON: %w", err)
	}
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("safetensors header is not valid JSON: %w", err)
		}
		name, ok := tok.(string)
		if !ok {
			return fmt.Errorf("safetensors header: unexpected %v where a tensor name belongs", tok)
		}
		if seen[name] {
			return fmt.Errorf("safetensors header names %q twice", short(name))
		}
		seen[name] = true
		if name == "__metadata__" {
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return fmt.Errorf("safetensors header is not valid JSON (at %q): %w", short(name), err)
			}
			if err := s.decodeMetadata(raw); err != nil {
				return err
			}
			continue
		}
		if len(s.tensors) >= maxTensors {
			return fmt.Errorf("safetensors header lists more than %d tensors", maxTensors)
		}
		var e rawEntry
		if err := dec.Decode(&e); err != nil {
			var typeErr *json.UnmarshalTypeError
			if errors.As(err, &typeErr) {
				return fmt.Errorf("safetensors tensor %q: entry is not an object with dtype, shape and data_offsets", short(name))
			}
			return fmt.Errorf("safetensors header is not valid JSON (at %q): %w", short(name), err)
		}
		t, err := s.decodeEntry(name, &e)
		if err != nil {
			return err
		}
		s.tensors = append(s.tensors, t)
	}
	if _, err := dec.Token(); err != nil {
		return fmt.Errorf("safetensors header is not valid JSON: %w", err)
	}
	// Only padding may follow the object.
	rest := hdr[min(dec.InputOffset(), int64(len(hdr))):]
	if len(bytes.TrimRight(rest, " \t\r\n")) != 0 {
		return errors.New("safetensors header has data after its JSON object")
	}
	return nil
}

// decodeMetadata decodes __metadata__: string keys to string values. Other
// value types are kept as their JSON text, with a warning.
func (s *shard) decodeMetadata(raw json.RawMessage) error {
	if bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return fmt.Errorf("safetensors __metadata__ is not an object of strings: %w", err)
	}
	if len(m) > maxMetaKeys {
		return fmt.Errorf("safetensors __metadata__ has %d keys, more than the %d allowed", len(m), maxMetaKeys)
	}
	odd := 0
	for k, v := range m {
		var str string
		if err := json.Unmarshal(v, &str); err == nil {
			s.metadata[k] = str
			continue
		}
		s.metadata[k] = string(v)
		odd++
	}
	if odd > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("__metadata__ has %d non-string values (shown as JSON text)", odd))
	}
	return nil
}

// decodeEntry decodes and checks one tensor entry (everything but its
// position relative to the other tensors).
func (s *shard) decodeEntry(name string, e *rawEntry) (*model.Tensor, error) {
	if e.DType == nil {
		return nil, fmt.Errorf("safetensors tensor %q has no dtype", short(name))
	}
	dt, ok := lookupDType(*e.DType)
	if !ok {
		return nil, fmt.Errorf("safetensors tensor %q has unknown dtype %q", short(name), short(*e.DType))
	}
	shape, err := decodeInts(e.Shape, maxRank)
	if err != nil {
		return nil, fmt.Errorf("safetensors tensor %q: shape %w", short(name), err)
	}
	offs, err := decodeInts(e.Offsets, 2)
	if err != nil || len(offs) != 2 {
		return nil, fmt.Errorf("safetensors tensor %q: data_offsets must be two non-negative integers [begin, end]", short(name))
	}
	begin, end := offs[0], offs[1]
	if end < begin {
		return nil, fmt.Errorf("safetensors tensor %q: data_offsets [%d, %d] end before they begin", short(name), begin, end)
	}
	if end > s.dataLen {
		return nil, fmt.Errorf("safetensors tensor %q: data [%d, %d) runs past the end of the file (the data section holds %d bytes)", short(name), begin, end, s.dataLen)
	}
	count, ok := model.NumElements(shape)
	if !ok {
		return nil, fmt.Errorf("safetensors tensor %q: shape %v has too many elements", short(name), shape)
	}
	if count > (1<<63-1)/dt.bits {
		return nil, fmt.Errorf("safetensors tensor %q: shape %v is too large for its dtype", short(name), shape)
	}
	bits := count * dt.bits
	if bits%8 != 0 {
		return nil, fmt.Errorf("safetensors tensor %q: %d elements of %s do not fill whole bytes", short(name), count, *e.DType)
	}
	if want := bits / 8; end-begin != want {
		return nil, fmt.Errorf("safetensors tensor %q: %s %v needs %d bytes but data_offsets [%d, %d] span %d", short(name), *e.DType, shape, want, begin, end, end-begin)
	}
	s.params = satAdd(s.params, count)
	s.bytes = satAdd(s.bytes, end-begin)
	return &model.Tensor{
		Name:  name,
		DType: dt.name,
		Shape: shape,
		Location: &model.Location{
			File:     s.path,
			Offset:   8 + s.headerLen + begin,
			Length:   end - begin,
			Encoding: model.EncRaw,
		},
	}, nil
}

// decodeInts decodes a JSON list of at most max non-negative integers,
// counting its elements before decoding so an oversized list costs nothing.
func decodeInts(raw json.RawMessage, max int) ([]int64, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) < 2 || raw[0] != '[' {
		return nil, errors.New("must be a list of non-negative integers")
	}
	if bytes.Count(raw, []byte{','}) >= max {
		return nil, fmt.Errorf("has more than %d entries", max)
	}
	out := make([]int64, 0, bytes.Count(raw, []byte{','})+1)
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, errors.New("must be a list of non-negative integers")
	}
	for _, v := range out {
		if v < 0 {
			return nil, errors.New("must be a list of non-negative integers")
		}
	}
	return out, nil
}

// validate checks that tensors' byte ranges do not overlap, and warns
// about bytes no tensor covers.
func (s *shard) validate() error {
	type span struct {
		begin, end int64
		name       string
	}
	spans := make([]span, 0, len(s.tensors))
	base := 8 + s.headerLen
	for _, t := range s.tensors {
		b := t.Location.Offset - base
		spans = append(spans, span{b, b + t.Location.Length, t.Name})
	}
	slices.SortFunc(spans, func(a, b span) int {
		if c := cmp.Compare(a.begin, b.begin); c != 0 {
			return c
		}
		return cmp.Compare(a.end, b.end)
	})
	var prev span
	gaps := int64(0)
	for _, sp := range spans {
		if sp.begin == sp.end {
			continue
		}
		if sp.begin < prev.end {
			return fmt.Errorf("safetensors tensors %q and %q share bytes [%d, %d)", short(prev.name), short(sp.name), sp.begin, min(prev.end, sp.end))
		}
		gaps += sp.begin - prev.end
		prev = sp
	}
	if gaps > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d bytes between tensors belong to no tensor", gaps))
	}
	if tail := s.dataLen - prev.end; tail > 0 {
		s.warnings = append(s.warnings, fmt.Sprintf("%d bytes after the last tensor belong to no tensor", tail))
	}
	return nil
}

// satAdd adds non-negative numbers, saturating at the int64 maximum.
func satAdd(a, b int64) int64 {
	if a > 1<<63-1-b {
		return 1<<63 - 1
	}
	return a + b
}

// short trims a name for an error message; hostile names can be huge.
func short(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}
