package pytorch

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/model"
)

// legacyBigHeader is a legacy torch.save header written with Python's
// pickle (fake torch classes, protocol 2): magic number, protocol 1001,
// sys_info, {"big.weight": a float32 tensor of 2^30 elements in storage
// "0"}, and the key list ["0"].
const legacyBigHeader = "80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f76657273696f6e71014de903580d0000006c6974746c655f656e6469616e710288580a000000747970655f73697a657371037d710428580500000073686f727471054b025803000000696e7471064b0458040000006c6f6e6771074b0475752e80027d7100580a0000006269672e776569676874710163746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71022828580700000073746f72616765710363746f7263680a466c6f617453746f726167650a71045801000000307105580300000063707571064a00000040747107514b004a000010004d00048671084d00044b018671098963636f6c6c656374696f6e730a4f726465726564446963740a710a2952710b74710c52710d732e80025d71005801000000307101612e"

// TestSparseBigLegacy opens a 4 GiB legacy checkpoint (a sparse file): the
// storage is located from its element count, never read.
func TestSparseBigLegacy(t *testing.T) {
	head, err := hex.DecodeString(legacyBigHeader)
	if err != nil {
		t.Fatal(err)
	}
	const n = 1 << 30
	path := filepath.Join(t.TempDir(), "big.pth")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	var count [8]byte
	binary.LittleEndian.PutUint64(count[:], n)
	f.Write(head)
	f.Write(count[:])
	if err := f.Truncate(int64(len(head)) + 8 + 4*n); err != nil {
		f.Close()
		t.Skipf("cannot make a sparse file here: %v", err)
	}
	f.Close()

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	m, err := Open(context.Background(), path)
	elapsed := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Warnings) > 0 {
		t.Errorf("warnings: %v", m.Warnings)
	}
	w := initializers(m)["big.weight"]
	if w == nil || !slices.Equal(w.Shape, []int64{1 << 20, 1024}) || w.DType != "float32" {
		t.Fatalf("big.weight = %+v", w)
	}
	want := model.Location{File: path, Offset: int64(len(head)) + 8, Length: 4 * n, Encoding: model.EncRaw}
	if *w.Location != want {
		t.Errorf("location %+v, want %+v", *w.Location, want)
	}
	alloc := after.TotalAlloc - before.TotalAlloc
	t.Logf("opened a %d-byte file in %v, %d bytes allocated", int64(len(head))+8+4*n, elapsed, alloc)
	if alloc > 16<<20 {
		t.Errorf("allocated %d bytes to open it", alloc)
	}
}

func BenchmarkOpenSqueezeNetTorchScript(b *testing.B) {
	dir, _ := manifest(b)
	path := filepath.Join(dir, "pytorch/torchscript/squeezenet1_1_traced.pt")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpenCheckpoint(b *testing.B) {
	dir, _ := manifest(b)
	path := filepath.Join(dir, "pytorch/checkpoint/tiny_cnn_training_checkpoint.pth")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Open(context.Background(), path); err != nil {
			b.Fatal(err)
		}
	}
}
