package pickle

import (
	"archive/zip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/internal/testenv"
)

// A pickle that runs a shell command when Python loads it:
// os.system("touch /tmp/pwned"), in protocol 0 and in protocol 2.
var (
	evilProto0 = []byte("cposix\nsystem\n(S'touch /tmp/pwned'\ntR.")
	evilProto2 = []byte("\x80\x02cos\nsystem\nq\x00X\x10\x00\x00\x00touch /tmp/pwnedq\x01\x85q\x02Rq\x03.")
	// STACK_GLOBAL + REDUCE, protocol 4, from Python's pickle.dumps.
	evilProto4 = []byte("\x80\x04\x95,\x00\x00\x00\x00\x00\x00\x00\x8c\x08builtins\x94\x8c\x04eval\x94\x93\x94\x8c\x10__import__('os')\x94\x85\x94R\x94.")
)

func TestMaliciousPickleIsData(t *testing.T) {
	for _, tc := range []struct {
		name, class, arg string
		data             []byte
	}{
		{"proto0", "posix.system", "touch /tmp/pwned", evilProto0},
		{"proto2", "os.system", "touch /tmp/pwned", evilProto2},
		{"proto4", "builtins.eval", "__import__('os')", evilProto4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := Decode(tc.data)
			if err != nil {
				t.Fatal(err)
			}
			o, ok := r.Value.(*Object)
			if !ok {
				t.Fatalf("got %T, want *Object", r.Value)
			}
			if o.Class() != tc.class {
				t.Errorf("class %q, want %q", o.Class(), tc.class)
			}
			if len(o.Args) != 1 || o.Args[0] != tc.arg {
				t.Errorf("args %#v, want [%q]", o.Args, tc.arg)
			}
			if !slices.Contains(r.Globals, tc.class) || !slices.Contains(r.Calls, tc.class) {
				t.Errorf("globals %v / calls %v lack %s", r.Globals, r.Calls, tc.class)
			}
			// The same stream damaged after the call: the error names it.
			broken := append(append([]byte(nil), tc.data[:len(tc.data)-1]...), 0xff)
			if _, err := Decode(broken); err == nil || !strings.Contains(err.Error(), tc.class) {
				t.Errorf("damaged stream error %v does not name %s", err, tc.class)
			}
		})
	}
	if _, err := os.Stat("/tmp/pwned"); err == nil {
		t.Log("note: /tmp/pwned exists (not created by this test, which never runs anything)")
	}
}

func TestValues(t *testing.T) {
	// {'a': [1, -2, 3.5, True, None], 'b': (b'xy', 'é'), 2**70: frozenset()}
	// written by Python's pickle.dumps(..., 4).
	data := []byte("\x80\x04\x95=\x00\x00\x00\x00\x00\x00\x00}\x94(\x8c\x01a\x94]\x94(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00\x88Ne\x8c\x01b\x94C\x02xy\x94\x8c\x02\xc3\xa9\x94\x86\x94\x8a\t\x00\x00\x00\x00\x00\x00\x00\x00@(\x91\x94u.")
	r, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	d := r.Value.(*Dict)
	a, _ := d.Get("a")
	l := a.(*List).Items
	if len(l) != 5 || l[0] != int64(1) || l[1] != int64(-2) || l[2] != 3.5 || l[3] != true || l[4] != nil {
		t.Errorf("list = %#v", l)
	}
	b, _ := d.Get("b")
	tu := b.(Tuple)
	if string(tu[0].([]byte)) != "xy" || tu[1] != "é" {
		t.Errorf("tuple = %#v", tu)
	}
	if KeyString(d.Keys[2]) != "1180591620717411303424" {
		t.Errorf("big key = %s", KeyString(d.Keys[2]))
	}
	if s, ok := d.Values[2].(*Set); !ok || !s.Frozen {
		t.Errorf("frozenset = %#v", d.Values[2])
	}
}

func TestProtocol0(t *testing.T) {
	// pickle.dumps({'k': [1, 'x', 2.5, u'\u20ac', 123456789012345678901234567890]}, 0)
	data := []byte("(dp0\nVk\np1\n(lp2\nI1\naVx\np3\naF2.5\naV\\u20ac\np4\naL123456789012345678901234567890L\nas.")
	r, err := Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := r.Value.(*Dict).Get("k")
	l := v.(*List).Items
	if len(l) != 5 || l[0] != int64(1) || l[1] != "x" || l[2] != 2.5 || l[3] != "€" || KeyString(l[4]) != "123456789012345678901234567890" {
		t.Errorf("got %#v", l)
	}
}

func TestLimits(t *testing.T) {
	// A huge declared string length must fail before allocating.
	if _, err := Decode([]byte("\x80\x04\x8d\xff\xff\xff\xff\xff\xff\xff\x7f")); err == nil {
		t.Error("huge BINUNICODE8 accepted")
	}
	// LONG4 of 100 MB is refused by its declared size.
	if _, err := Decode([]byte("\x80\x02\x8b\x00\x00\x00\x06")); err == nil {
		t.Error("huge LONG4 accepted")
	}
	if _, err := Decode(append([]byte("\x80\x02\x8b\x00\x08\x00\x00"), make([]byte, 2048)...)); err == nil {
		t.Error("2 KiB LONG4 accepted")
	}
	// Stack cap.
	deep := append([]byte("\x80\x02"), []byte(strings.Repeat("(", 100))...)
	if _, err := DecodeAt(deep, 0, Limits{MaxStack: 50, MaxMemo: 10, MaxLong: 10}); err == nil || !strings.Contains(err.Error(), "stack") {
		t.Errorf("stack cap: %v", err)
	}
	// Container item cap: the stack refilled and appended many times.
	many := []byte("\x80\x02]")
	for i := 0; i < 20; i++ {
		many = append(many, '(')
		many = append(many, []byte(strings.Repeat("N", 40))...)
		many = append(many, 'e')
	}
	many = append(many, '.')
	if _, err := DecodeAt(many, 0, Limits{MaxStack: 100, MaxMemo: 10, MaxLong: 10, MaxItems: 500}); err == nil || !strings.Contains(err.Error(), "containers") {
		t.Errorf("item cap: %v", err)
	}
	if _, err := DecodeAt(many, 0, Limits{MaxStack: 100, MaxMemo: 10, MaxLong: 10, MaxItems: 1000}); err != nil {
		t.Errorf("within the item cap: %v", err)
	}
	// Self-referencing list (a cycle) decodes without looping.
	r, err := Decode([]byte("\x80\x02]q\x00h\x00a."))
	if err != nil {
		t.Fatal(err)
	}
	l := r.Value.(*List)
	if len(l.Items) != 1 || l.Items[0] != l {
		t.Error("cycle not preserved")
	}
}

type manifestEntry struct {
	Path   string          `json:"path"`
	Format string          `json:"format"`
	Facts  json.RawMessage `json:"facts"`
}

// corpusPickles returns data.pkl of every zip PyTorch file in the corpus,
// with the globals the manifest lists.
func corpusPickles(t testing.TB) map[string][2]any {
	dir := testenv.Corpus(t)
	raw, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
	if err != nil {
		t.Fatal(err)
	}
	var entries []manifestEntry
	if err := json.Unmarshal(raw, &entries); err != nil {
		t.Fatal(err)
	}
	out := map[string][2]any{}
	for _, e := range entries {
		if e.Format != "pytorch" {
			continue
		}
		var f struct {
			IsZip   bool     `json:"is_zip"`
			Globals []string `json:"data_pkl_globals"`
		}
		json.Unmarshal(e.Facts, &f)
		if !f.IsZip {
			continue
		}
		zr, err := zip.OpenReader(filepath.Join(dir, e.Path))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range zr.File {
			if strings.HasSuffix(zf.Name, "/data.pkl") {
				rc, _ := zf.Open()
				b, _ := io.ReadAll(rc)
				rc.Close()
				out[e.Path] = [2]any{b, f.Globals}
			}
		}
		zr.Close()
	}
	if len(out) == 0 {
		t.Fatal("no PyTorch pickles in the corpus")
	}
	return out
}

func TestCorpusGlobals(t *testing.T) {
	for path, pg := range corpusPickles(t) {
		data, want := pg[0].([]byte), pg[1].([]string)
		r, err := Decode(data)
		if err != nil {
			t.Errorf("%s: %v", path, err)
			continue
		}
		if r.End != len(data) {
			t.Errorf("%s: STOP at %d of %d", path, r.End, len(data))
		}
		if !slices.Equal(r.Globals, want) {
			t.Errorf("%s: globals\n got %v\nwant %v", path, r.Globals, want)
		}
	}
}

func TestTruncatedPrefixes(t *testing.T) {
	for path, pg := range corpusPickles(t) {
		data := pg[0].([]byte)
		// Every prefix of the first 2 KiB, then a sample.
		step := max(1, len(data)/400)
		for n := 0; n < len(data); n += step {
			if n < 2048 {
				step = 1
			} else {
				step = max(1, len(data)/400)
			}
			if _, err := Decode(data[:n]); err == nil {
				t.Errorf("%s: prefix of %d bytes decoded without error", path, n)
				break
			}
		}
	}
}

func FuzzPickle(f *testing.F) {
	for _, pg := range corpusPickles(f) {
		f.Add(pg[0].([]byte))
	}
	f.Add(evilProto0)
	f.Add(evilProto2)
	f.Add(evilProto4)
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeAt(data, 0, Limits{MaxStack: 1 << 12, MaxMemo: 1 << 12, MaxLong: 256, MaxItems: 1 << 16})
		if err == nil && r.End > len(data) {
			t.Fatal("End past the data")
		}
	})
}

// TestLinearTime feeds long protocol-0 pickles: work must stay linear in
// the input (no re-scanning of the rest of the data per opcode).
func TestLinearTime(t *testing.T) {
	var b strings.Builder
	b.WriteString("(lp0\n")
	for i := 0; i < 200_000; i++ {
		b.WriteString("I1\nag0\n0")
	}
	b.WriteString(".")
	start := time.Now()
	r, err := Decode([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(r.Value.(*List).Items); n != 200_000 {
		t.Errorf("%d items", n)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %v for %d bytes", d, b.Len())
	}
}
