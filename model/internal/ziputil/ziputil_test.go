package ziputil

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"runtime"
	"strings"
	"testing"
	"time"
)

func build(t *testing.T, add func(zw *zip.Writer)) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add(zw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadAndStoredRange(t *testing.T) {
	data := build(t, func(zw *zip.Writer) {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "r/data.pkl", Method: zip.Store})
		w.Write([]byte("hello"))
		w, _ = zw.Create("r/notes.txt")
		w.Write([]byte(strings.Repeat("ab", 100)))
	})
	a, err := NewReader(bytes.NewReader(data), int64(len(data)), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	if a.Root() != "r" || FirstName(data) != "r/data.pkl" {
		t.Errorf("root %q first %q", a.Root(), FirstName(data))
	}
	f := a.Lookup("r/data.pkl")
	off, n, ok := a.StoredRange(f)
	if !ok || n != 5 || string(data[off:off+n]) != "hello" {
		t.Errorf("stored range %d+%d %v", off, n, ok)
	}
	b, err := a.ReadFile(a.Lookup("r/notes.txt"), 1000)
	if err != nil || len(b) != 200 {
		t.Errorf("read %d bytes, %v", len(b), err)
	}
	if _, _, ok := a.StoredRange(a.Lookup("r/notes.txt")); ok {
		t.Error("deflated entry has a stored range")
	}
}

// bounded runs f and checks it allocates less than maxAlloc bytes and
// finishes within a second.
func bounded(t *testing.T, maxAlloc uint64, f func()) {
	t.Helper()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	f()
	runtime.ReadMemStats(&after)
	// A hang bound (the bombs are refused in milliseconds).
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("took %v", d)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > maxAlloc {
		t.Errorf("allocated %d bytes, limit %d", got, maxAlloc)
	}
}

func TestZipBomb(t *testing.T) {
	// 64 MiB of zeros deflated (about 64 KB), honestly declared, against a
	// 16 MiB entry cap.
	var comp bytes.Buffer
	fw, _ := flate.NewWriter(&comp, flate.BestCompression)
	zeros := make([]byte, 1<<20)
	crc := crc32.NewIEEE()
	for i := 0; i < 64; i++ {
		fw.Write(zeros)
		crc.Write(zeros)
	}
	fw.Close()
	honest := build(t, func(zw *zip.Writer) {
		w, err := zw.CreateRaw(&zip.FileHeader{Name: "bomb", Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: 64 << 20})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(comp.Bytes())
	})
	// The same data declaring 1000 bytes: only reading finds the lie.
	lying := build(t, func(zw *zip.Writer) {
		w, _ := zw.CreateRaw(&zip.FileHeader{Name: "bomb", Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(comp.Len()), UncompressedSize64: 1000})
		w.Write(comp.Bytes())
	})
	lim := DefaultLimits()
	lim.MaxEntrySize = 16 << 20
	for name, data := range map[string][]byte{"honest": honest, "lying": lying} {
		bounded(t, 16<<20, func() {
			a, err := NewReader(bytes.NewReader(data), int64(len(data)), lim)
			if err != nil {
				t.Logf("%s: refused at open: %v", name, err)
				return
			}
			_, err = a.ReadFile(a.Lookup("bomb"), 0)
			if err == nil {
				t.Errorf("%s: zip bomb read without error", name)
			} else {
				t.Logf("%s: %v", name, err)
			}
		})
	}
}

func TestForgedEntryCount(t *testing.T) {
	data := build(t, func(zw *zip.Writer) {
		w, _ := zw.Create("a")
		w.Write([]byte("x"))
	})
	eocd := bytes.LastIndex(data, []byte("PK\x05\x06"))
	forged := append([]byte(nil), data...)
	binary.LittleEndian.PutUint16(forged[eocd+8:], 65000)
	binary.LittleEndian.PutUint16(forged[eocd+10:], 65000)
	bounded(t, 4<<20, func() {
		_, err := NewReader(bytes.NewReader(forged), int64(len(forged)), DefaultLimits())
		if err == nil || !strings.Contains(err.Error(), "forged") {
			t.Errorf("forged count: %v", err)
		}
	})
	// Too many (real) entries for the limit.
	many := build(t, func(zw *zip.Writer) {
		for i := 0; i < 20; i++ {
			zw.Create(strings.Repeat("x", i+1))
		}
	})
	lim := DefaultLimits()
	lim.MaxEntries = 10
	if _, err := NewReader(bytes.NewReader(many), int64(len(many)), lim); err == nil {
		t.Error("entry cap not enforced")
	}
	// A directory pointing past the end of the file.
	bad := append([]byte(nil), data...)
	binary.LittleEndian.PutUint32(bad[eocd+16:], 1<<30)
	if _, err := NewReader(bytes.NewReader(bad), int64(len(bad)), DefaultLimits()); err == nil {
		t.Error("directory outside the file accepted")
	}
}

func TestNesting(t *testing.T) {
	inner := build(t, func(zw *zip.Writer) { w, _ := zw.Create("x"); w.Write([]byte("1")) })
	data := inner
	for i := 0; i < 4; i++ {
		prev := data
		data = build(t, func(zw *zip.Writer) {
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: "inner.zip", Method: zip.Store})
			w.Write(prev)
		})
	}
	a, err := NewReader(bytes.NewReader(data), int64(len(data)), DefaultLimits())
	if err != nil {
		t.Fatal(err)
	}
	depth := 0
	for {
		f := a.Lookup("inner.zip")
		if f == nil {
			t.Fatal("nesting ended before the limit")
		}
		a, err = a.Nested(f)
		if err != nil {
			break
		}
		depth++
	}
	if depth != DefaultLimits().MaxDepth {
		t.Errorf("opened %d nested levels, limit %d", depth, DefaultLimits().MaxDepth)
	}
}

func TestTruncatedArchive(t *testing.T) {
	data := build(t, func(zw *zip.Writer) {
		for i := 0; i < 5; i++ {
			w, _ := zw.Create(strings.Repeat("n", i+1))
			w.Write([]byte(strings.Repeat("data", 50)))
		}
	})
	for n := 0; n < len(data); n++ {
		a, err := NewReader(bytes.NewReader(data[:n]), int64(n), DefaultLimits())
		if err == nil {
			for _, f := range a.Files() {
				a.ReadFile(f, 0)
			}
		}
	}
}

// TestOverlappingEntries duplicates a central-directory record under a new
// name so two entries share one compressed blob (the "better zip bomb").
func TestOverlappingEntries(t *testing.T) {
	data := build(t, func(zw *zip.Writer) {
		w, _ := zw.Create("aaaa")
		w.Write(bytes.Repeat([]byte("z"), 1000))
	})
	eocd := bytes.LastIndex(data, []byte("PK\x05\x06"))
	cdOff := int(binary.LittleEndian.Uint32(data[eocd+16:]))
	cdSize := int(binary.LittleEndian.Uint32(data[eocd+12:]))
	rec := append([]byte(nil), data[cdOff:cdOff+cdSize]...)
	dup := append([]byte(nil), rec...)
	copy(dup[46:50], "bbbb") // same length name, same local header
	var out []byte
	out = append(out, data[:cdOff+cdSize]...)
	out = append(out, dup...)
	end := append([]byte(nil), data[eocd:]...)
	binary.LittleEndian.PutUint16(end[8:], 2)
	binary.LittleEndian.PutUint16(end[10:], 2)
	binary.LittleEndian.PutUint32(end[12:], uint32(2*cdSize))
	out = append(out, end...)
	_, err := NewReader(bytes.NewReader(out), int64(len(out)), DefaultLimits())
	if err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("overlapping entries: %v", err)
	}
}

func TestUnsupportedFeatures(t *testing.T) {
	data := build(t, func(zw *zip.Writer) {
		w, _ := zw.CreateHeader(&zip.FileHeader{Name: "x", Method: zip.Store})
		w.Write([]byte("secret"))
	})
	// Unknown compression method 99 in both headers.
	bad := append([]byte(nil), data...)
	binary.LittleEndian.PutUint16(bad[8:], 99)
	cd := bytes.LastIndex(bad, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint16(bad[cd+10:], 99)
	a, err := NewReader(bytes.NewReader(bad), int64(len(bad)), DefaultLimits())
	if err == nil {
		if _, err = a.ReadFile(a.Lookup("x"), 0); err == nil {
			t.Error("unknown method read")
		}
		if _, _, ok := a.StoredRange(a.Lookup("x")); ok {
			t.Error("unknown method has a stored range")
		}
	}
	// Encrypted flag on a stored entry: never located as raw data.
	enc := append([]byte(nil), data...)
	cd = bytes.LastIndex(enc, []byte("PK\x01\x02"))
	enc[cd+8] |= 1
	enc[6] |= 1
	if a, err := NewReader(bytes.NewReader(enc), int64(len(enc)), DefaultLimits()); err == nil {
		if _, _, ok := a.StoredRange(a.Lookup("x")); ok {
			t.Error("encrypted entry has a stored range")
		}
	}
}
