package safetensors

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// build returns a safetensors file: header length, header, dataLen zeros.
func build(header string, dataLen int) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	b = append(b, header...)
	return append(b, make([]byte, dataLen)...)
}

// withLen returns a file whose header length field is n, followed by rest.
func withLen(n uint64, rest string) []byte {
	return append(binary.LittleEndian.AppendUint64(nil, n), rest...)
}

func TestHostileHeaders(t *testing.T) {
	deep := `{"a":` + strings.Repeat("[", 100_000) + strings.Repeat("]", 100_000) + `}`
	cases := []struct {
		name string
		file []byte
		want string
	}{
		{"length 2^63", withLen(1<<63, `{"a":1}`), "header length"},
		{"length 2^64-1", withLen(1<<64-1, `{"a":1}`), "header length"},
		{"length over limit", withLen(maxHeaderLen+1, `{}`), "exceeds"},
		{"length past EOF", withLen(1000, `{}`), "past the end of the file"},
		{"length 1", withLen(1, `{`), "too small"},
		{"too short", []byte{1, 2, 3}, "too short"},
		{"not an object", build(`["a"]`, 0), "does not start with '{'"},
		{"not utf-8", build("{\"\xff\":1}", 0), "UTF-8"},
		{"deep nesting", build(deep, 0), "nested more than"},
		{"trailing garbage", build(`{} x`, 0), "after its JSON object"},
		{"not json", build(`{"a":}`, 0), "not valid JSON"},
		{"offsets past EOF", build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`, 4), "runs past the end"},
		{"huge offsets", build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,18446744073709551615]}}`, 8), "data_offsets"},
		{"end before begin", build(`{"w":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}`, 8), "end before"},
		{"product overflow", build(`{"w":{"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]}}`, 8), "too many elements"},
		{"bits overflow", build(`{"w":{"dtype":"F64","shape":[4611686018427387904],"data_offsets":[0,8]}}`, 8), "too large"},
		{"negative dim", build(`{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}`, 8), "non-negative"},
		{"float dim", build(`{"w":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}`, 8), "non-negative"},
		{"rank 1000", build(`{"w":{"dtype":"F32","shape":[`+strings.Repeat("1,", 999)+`1],"data_offsets":[0,4]}}`, 4), "more than 32"},
		{"size mismatch", build(`{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}`, 8), "needs 12 bytes"},
		{"unknown dtype", build(`{"w":{"dtype":"F128","shape":[1],"data_offsets":[0,16]}}`, 16), "unknown dtype"},
		{"no dtype", build(`{"w":{"shape":[1],"data_offsets":[0,4]}}`, 4), "no dtype"},
		{"entry not object", build(`{"w":5}`, 0), "not an object"},
		{"duplicate name", build(`{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"w":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}`, 2), "twice"},
		{"overlap", build(`{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}`, 6), "share bytes"},
		{"sub-byte remainder", build(`{"w":{"dtype":"F4","shape":[3],"data_offsets":[0,1]}}`, 1), "whole bytes"},
		{"metadata not strings", build(`{"__metadata__":[1]}`, 0), "__metadata__"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := parseShard(bytes.NewReader(c.file), int64(len(c.file)), "/x.safetensors")
			runtime.ReadMemStats(&after)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			// No allocation beyond a small multiple of the input.
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(8*len(c.file))+1<<20 {
				t.Fatalf("allocated %d bytes for a %d-byte file", alloc, len(c.file))
			}
		})
	}
}

// TestValidEdgeCases covers what must open: 0-d, empty, sub-byte dtypes,
// gaps and trailing bytes (warnings), non-string metadata (warning).
func TestValidEdgeCases(t *testing.T) {
	hdr := `{"__metadata__":{"n":3,"s":"x"},` +
		`"scalar":{"dtype":"F32","shape":[],"data_offsets":[0,4]},` +
		`"empty":{"dtype":"BF16","shape":[0,7],"data_offsets":[4,4]},` +
		`"e8":{"dtype":"F8_E8M0","shape":[2],"data_offsets":[4,6]},` +
		`"f4":{"dtype":"F4","shape":[2,2],"data_offsets":[8,10]},` +
		`"f6":{"dtype":"F6_E3M2","shape":[4],"data_offsets":[10,13]},` +
		`"c":{"dtype":"C64","shape":[1],"data_offsets":[13,21]},` +
		`"u64":{"dtype":"U64","shape":[1],"data_offsets":[21,29]}}   `
	file := build(hdr, 32)
	s, err := parseShard(bytes.NewReader(file), int64(len(file)), "/x.safetensors")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tt := range s.tensors {
		got[tt.Name] = string(tt.DType)
	}
	want := map[string]string{"scalar": "float32", "empty": "bfloat16", "e8": "float8_e8m0fnu", "f4": "float4_e2m1", "f6": "float6_e3m2fn", "c": "complex64", "u64": "uint64"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: dtype %q, want %q", k, got[k], v)
		}
	}
	if s.metadata["n"] != "3" || s.metadata["s"] != "x" {
		t.Errorf("metadata %v", s.metadata)
	}
	if len(s.warnings) != 3 {
		t.Errorf("warnings %q, want non-string metadata, a gap and a tail", s.warnings)
	}
}

func TestHostileIndex(t *testing.T) {
	dir := t.TempDir()
	cases := map[string]string{
		"escape":  `{"weight_map":{"w":"../secret.safetensors"}}`,
		"abs":     `{"weight_map":{"w":"/etc/passwd"}}`,
		"empty":   `{"weight_map":{}}`,
		"deep":    `{"weight_map":` + strings.Repeat("[", 10_000) + `}`,
		"not map": `{"weight_map":[1,2]}`,
	}
	for name, text := range cases {
		p := filepath.Join(dir, name+".safetensors.index.json")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if m, err := Open(context.Background(), p); err == nil {
			t.Errorf("%s: opened (%d tensors), want an error", name, len(m.Graph.Initializers))
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// TestTooManyTensors builds a header listing more tensors than allowed and
// expects a refusal before the entries are decoded.
func TestTooManyTensors(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := range maxTensors + 1 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":{"dtype":"U8","shape":[0],"data_offsets":[0,0]}`, i)
	}
	b.WriteString("}")
	file := build(b.String(), 0)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := parseShard(bytes.NewReader(file), int64(len(file)), "/x.safetensors")
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("error %v", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > uint64(len(file))+1<<20 {
		t.Fatalf("allocated %d bytes for a %d-byte file", alloc, len(file))
	}
}
