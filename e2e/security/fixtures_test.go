package security

import (
	"encoding/binary"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// hostileName is a tensor and file name that would end an SSE event and
// start a forged one if it reached the stream unescaped.
const hostileName = "w\n\nevent: pwned\ndata: {\"forged\":true}\n\nid: 9\r\nretry: 1\n"

// safetensorsFile writes a valid safetensors file with one F32 tensor of
// the given name.
func safetensorsFile(t testing.TB, path, tensor string) {
	t.Helper()
	hdr := map[string]any{tensor: map[string]any{"dtype": "F32", "shape": []int{2}, "data_offsets": []int{0, 8}}}
	writeSafetensors(t, path, hdr, 8)
}

// brokenSafetensorsFile writes a safetensors file whose tensor (named
// tensor) has an unknown dtype, so the load error names the tensor.
func brokenSafetensorsFile(t testing.TB, path, tensor string) {
	t.Helper()
	hdr := map[string]any{tensor: map[string]any{"dtype": "EVIL\nevent: pwned", "shape": []int{2}, "data_offsets": []int{0, 8}}}
	writeSafetensors(t, path, hdr, 8)
}

func writeSafetensors(t testing.TB, path string, hdr map[string]any, data int) {
	t.Helper()
	h, err := json.Marshal(hdr)
	if err != nil {
		t.Fatal(err)
	}
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
	b = append(b, h...)
	b = append(b, make([]byte, data)...)
	// Write and rename, as editors and exporters do.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// npyBytes is a small valid .npy file (4 float32 values).
func npyBytes() []byte {
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }"
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	b := []byte("\x93NUMPY\x01\x00")
	b = binary.LittleEndian.AppendUint16(b, uint16(len(hdr)))
	b = append(b, hdr...)
	return append(b, make([]byte, 16)...)
}

// modelDir returns a directory with a benign model and a model whose file
// and tensor names carry SSE control sequences.
func modelDir(t testing.TB) (plain, hostile string) {
	t.Helper()
	dir := t.TempDir()
	plain = filepath.Join(dir, "plain.safetensors")
	safetensorsFile(t, plain, "layer.weight")
	hostile = filepath.Join(dir, "x\nevent: pwned\ndata: 1\n\n.safetensors")
	safetensorsFile(t, hostile, hostileName)
	return plain, hostile
}
