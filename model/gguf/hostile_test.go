package gguf

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// raw builds little-endian bytes from a list of fixed-size values and
// strings (written as-is).
func raw(parts ...any) []byte {
	var b bytes.Buffer
	for _, p := range parts {
		if s, ok := p.(string); ok {
			b.WriteString(s)
			continue
		}
		if err := binary.Write(&b, binary.LittleEndian, p); err != nil {
			panic(err)
		}
	}
	return b.Bytes()
}

// kvFile is a v3 header with no tensors and one key/value whose type and
// encoded value are given.
func kvFile(key string, typ uint32, value ...any) []byte {
	return append(raw("GGUF", uint32(3), uint64(0), uint64(1), uint64(len(key)), key, typ), raw(value...)...)
}

func nested(depth int) []byte {
	parts := []any{"GGUF", uint32(3), uint64(0), uint64(1), uint64(1), "k", uint32(TypeArray)}
	for i := 0; i < depth; i++ {
		parts = append(parts, uint32(TypeArray), uint64(1))
	}
	parts = append(parts, uint32(TypeUint8), uint64(1), uint8(1))
	return raw(parts...)
}

func tensorFile(dims []uint64, typ uint32, offset uint64) []byte {
	parts := []any{"GGUF", uint32(3), uint64(1), uint64(0), uint64(1), "t", uint32(len(dims))}
	for _, d := range dims {
		parts = append(parts, d)
	}
	parts = append(parts, typ, offset)
	b := raw(parts...)
	return append(b, make([]byte, 64)...)
}

// TestHostileHeaders feeds crafted headers and expects a clear error for
// each, with no large allocation and no panic.
func TestHostileHeaders(t *testing.T) {
	dupKeys := spec{kvs: []wkv{{"a", TypeUint8, uint8(1)}, {"a", TypeUint8, uint8(2)}}}
	dupTensors := spec{tensors: []wtensor{{"t", []uint64{4}, 0, 16}, {"t", []uint64{4}, 0, 16}}}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "ends too early"},
		{"short magic", []byte("GGU"), "ends too early"},
		{"bad magic", raw("GGML", uint32(3), uint64(0), uint64(0)), "not a GGUF file"},
		{"version 0", raw("GGUF", uint32(0), uint64(0), uint64(0)), "unsupported GGUF version 0"},
		{"version 1", raw("GGUF", uint32(1), uint32(0), uint32(0)), "version 1"},
		{"version 4", raw("GGUF", uint32(4), uint64(0), uint64(0)), "unsupported GGUF version 4"},
		{"version max", raw("GGUF", uint32(math.MaxUint32), uint64(0), uint64(0)), "unsupported GGUF version"},
		{"tensor count 2^63", raw("GGUF", uint32(3), uint64(1)<<63, uint64(0)), "tensor count 9223372036854775808 is impossible"},
		{"kv count 2^63", raw("GGUF", uint32(3), uint64(0), uint64(1)<<63), "metadata count 9223372036854775808 is impossible"},
		{"key length max", raw("GGUF", uint32(3), uint64(0), uint64(1), uint64(math.MaxUint64), "xxxxxxxxxxxxxxxx"), "exceeds the limit"},
		{"key past EOF", raw("GGUF", uint32(3), uint64(0), uint64(1), uint64(1000), "xxxxxxxxxxxxxxxxxxxx"), "past the end"},
		{"empty key", kvFile("", uint32(TypeUint8), uint8(1), uint64(0)), "is empty"},
		{"string past EOF", kvFile("k", uint32(TypeString), uint64(1000), "abc"), "past the end"},
		{"string huge", kvFile("k", uint32(TypeString), uint64(math.MaxUint64)), "exceeds the limit"},
		{"array 2^62 u8", kvFile("k", uint32(TypeArray), uint32(TypeUint8), uint64(1)<<62), "cannot fit"},
		{"array 2^62 strings", kvFile("k", uint32(TypeArray), uint32(TypeString), uint64(1)<<62, uint64(0)), "cannot fit"},
		{"array elem type 99", kvFile("k", uint32(TypeArray), uint32(99), uint64(1), uint64(0)), "unknown array element type 99"},
		{"value type 99", kvFile("k", 99, uint64(0)), "unknown value type 99"},
		{"nesting 1000", nested(1000), "nested more than"},
		{"alignment string", kvFile("general.alignment", uint32(TypeString), uint64(2), "32"), "general.alignment has type STRING"},
		{"alignment 0", kvFile("general.alignment", uint32(TypeUint32), uint32(0)), "not a power of two"},
		{"alignment 3", kvFile("general.alignment", uint32(TypeUint32), uint32(3)), "not a power of two"},
		{"alignment 2^31", kvFile("general.alignment", uint32(TypeUint32), uint32(1<<31)), "not a power of two"},
		{"n_dims 0", tensorFile(nil, 0, 0), "has 0 dimensions"},
		{"n_dims 5", tensorFile([]uint64{1, 1, 1, 1, 1}, 0, 0), "has 5 dimensions"},
		{"n_dims 2^32-1", raw("GGUF", uint32(3), uint64(1), uint64(0), uint64(1), "t", uint32(math.MaxUint32), make([]byte, 64)), "has 4294967295 dimensions"},
		{"dim 0", tensorFile([]uint64{0}, 0, 0), "dimension 0 is 0"},
		{"dim 2^64-1", tensorFile([]uint64{math.MaxUint64}, 0, 0), "dimension 0 is"},
		{"dims product overflow", tensorFile([]uint64{1 << 32, 1 << 32}, 0, 0), "more elements than fit"},
		{"bytes overflow", tensorFile([]uint64{1 << 31, 1 << 31}, 0, 0), "overflows"},
		{"unknown tensor type", tensorFile([]uint64{4}, 99, 0), "unknown ggml tensor type 99"},
		{"removed type 4", tensorFile([]uint64{32}, 4, 0), "unknown ggml tensor type 4"},
		{"row not whole blocks", tensorFile([]uint64{100}, 12, 0), "not a multiple of the q4_k block size 256"},
		{"data past EOF", tensorFile([]uint64{1 << 20}, 0, 0), "outside the file"},
		{"offset wraps", tensorFile([]uint64{4}, 0, math.MaxUint64-50), "outside the file"},
		{"duplicate keys", dupKeys.bytes(t), `"a" appears twice`},
		{"duplicate tensors", dupTensors.bytes(t), `"t" appears twice`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ReadHeader(context.Background(), bytes.NewReader(c.data), int64(len(c.data)))
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
			// The bufio buffer is the only sizeable allocation.
			if d := after.TotalAlloc - before.TotalAlloc; d > 1<<20 {
				t.Errorf("allocated %d bytes for a %d-byte input", d, len(c.data))
			}
		})
	}
}

// TestTruncatedPrefixes decodes every prefix of the headers of a few
// corpus files: each must fail cleanly (no panic), and only the whole file
// may succeed.
func TestTruncatedPrefixes(t *testing.T) {
	dir := testenv.Corpus(t)
	for _, name := range []string{"tiny-llama-q4_0-q4_1-q5_0-q5_1.gguf", "tiny-llama-q4_k_m-style.gguf"} {
		b, err := os.ReadFile(filepath.Join(dir, "gguf", name))
		if err != nil {
			t.Fatal(err)
		}
		h, err := ReadHeader(context.Background(), bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatal(err)
		}
		for n := 0; n < int(h.DataOffset)+64; n++ {
			r := bufio.NewReaderSize(bytes.NewReader(b[:n]), 512)
			if _, err := ReadHeader(context.Background(), r, int64(n)); err == nil {
				t.Fatalf("%s: prefix of %d bytes decoded without error", name, n)
			}
		}
	}
}

// TestNoAllocationAmplification decodes a header made of 20,000 small
// nested arrays and checks the allocations stay within 16 times the input
// plus 1 MiB.
func TestNoAllocationAmplification(t *testing.T) {
	inner := make([]any, 64)
	for i := range inner {
		inner[i] = uint8(i)
	}
	outer := make([]any, 20000)
	for i := range outer {
		outer[i] = warr{TypeUint8, inner}
	}
	b := spec{kvs: []wkv{{"nested", TypeArray, warr{TypeArray, outer}}}}.bytes(t)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	h, err := ReadHeader(context.Background(), bytes.NewReader(b), int64(len(b)))
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := h.Lookup("nested"); v.Len != 20000 || len(v.Items) != ArrayKeep || len(v.Items[0].Items) != ArrayKeep {
		t.Errorf("nested array: %d items, %d kept", v.Len, len(v.Items))
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 16*uint64(len(b))+1<<20 {
		t.Errorf("allocated %d bytes for a %d-byte header", d, len(b))
	} else {
		t.Logf("allocated %d bytes for a %d-byte header", d, len(b))
	}
}

// TestLayoutWarnings: unaligned and overlapping tensor data are shown
// with warnings, not refused.
func TestLayoutWarnings(t *testing.T) {
	b := raw("GGUF", uint32(3), uint64(2), uint64(0),
		uint64(1), "a", uint32(1), uint64(8), uint32(0), uint64(0),
		uint64(1), "b", uint32(1), uint64(8), uint32(0), uint64(4))
	b = append(b, make([]byte, 128)...)
	m, err := Open(context.Background(), writeTemp(t, "w.gguf", b))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(m.Warnings, "\n")
	if !strings.Contains(all, `tensor "b" data offset 4 is not a multiple of the alignment 32`) || !strings.Contains(all, `tensors "a" and "b" overlap`) {
		t.Errorf("warnings %q", m.Warnings)
	}
}
