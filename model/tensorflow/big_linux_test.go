//go:build linux

package tensorflow

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
)

// peakRSS is the process's peak resident set (VmHWM) in bytes.
func peakRSS(t *testing.T) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		t.Skip(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Skip("no VmHWM")
	return 0
}

// TestBigConstStaysOnDisk opens a frozen graph holding a 512 MiB Const
// (a sparse file, so the test writes almost nothing): the tensor is
// located, and its bytes are never read into memory.
func TestBigConstStaysOnDisk(t *testing.T) {
	const n = 1 << 30 // a 1 GiB Const, as issue 15 asks; the file is sparse
	dim := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), n/4)
	tensor := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.VarintType), 1)
	tensor = bytesField(tensor, 2, bytesField(nil, 2, dim))
	tensor = protowire.AppendVarint(protowire.AppendTag(tensor, 4, protowire.BytesType), n)
	// tensor holds the content's tag and length; n bytes of content follow.
	valueAttr := bytesField(bytesField(nil, 1, []byte("value")), 2, nil)
	valueAttr = valueAttr[:len(valueAttr)-1] // drop the empty AttrValue length
	attrValueLen := len(tensor) + n + 1 + len(protowire.AppendVarint(nil, uint64(len(tensor)+n)))
	valueAttr = protowire.AppendVarint(valueAttr, uint64(attrValueLen))
	valueAttr = protowire.AppendVarint(protowire.AppendTag(valueAttr, 8, protowire.BytesType), uint64(len(tensor)+n))
	valueAttr = append(valueAttr, tensor...)
	nodeHead := bytesField(bytesField(nil, 1, []byte("big")), 2, []byte("Const"))
	nodeHead = protowire.AppendVarint(protowire.AppendTag(nodeHead, 5, protowire.BytesType), uint64(len(valueAttr)+n))
	nodeHead = append(nodeHead, valueAttr...)
	file := protowire.AppendVarint(protowire.AppendTag(nil, 1, protowire.BytesType), uint64(len(nodeHead)+n))
	file = append(file, nodeHead...)
	path := filepath.Join(t.TempDir(), "big.pb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(file); err != nil {
		t.Fatal(err)
	}
	tail := bytesField(nil, 1, node("x", "Identity", []string{"big"}, nil))
	if _, err := f.WriteAt(tail, int64(len(file)+n)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	before := peakRSS(t)
	m, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	grew := peakRSS(t) - before
	if s := model.Summarize(m); s.Nodes != 2 || len(s.Tensors) != 1 || s.Tensors[0].Shape[0] != n/4 {
		t.Fatalf("summary %+v", s)
	}
	if l := m.Graph.Initializers[0].Location; l == nil || l.Length != n || l.Offset != int64(len(file)) {
		t.Errorf("location %+v, want %d bytes at %d", l, n, len(file))
	}
	t.Logf("peak RSS grew %d MiB opening a %d MiB file", grew>>20, (len(file)+n+len(tail))>>20)
	if grew > 64<<20 {
		t.Errorf("opening grew the peak RSS by %d MiB: the Const was read", grew>>20)
	}
}
