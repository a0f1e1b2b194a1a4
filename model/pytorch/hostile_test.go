package pytorch

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/model"
)

// evilPickle is what Python writes for an object whose __reduce__ returns
// (os.system, ("touch /tmp/pwned",)): loading it with pickle would run the
// command.
var evilPickle = []byte("\x80\x02cos\nsystem\nq\x00X\x10\x00\x00\x00touch /tmp/pwnedq\x01\x85q\x02Rq\x03.")

func writeZip(t testing.TB, path string, files map[string][]byte) {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, name := range []string{"archive/data.pkl", "archive/version", "archive/data/0"} {
		if data, ok := files[name]; ok {
			w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store})
			if err != nil {
				t.Fatal(err)
			}
			w.Write(data)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMaliciousPickleOpensAsData(t *testing.T) {
	dir := t.TempDir()
	zipPath := filepath.Join(dir, "evil.pt")
	writeZip(t, zipPath, map[string][]byte{"archive/data.pkl": evilPickle, "archive/version": []byte("3\n")})
	rawPath := filepath.Join(dir, "evil.pkl")
	if err := os.WriteFile(rawPath, evilPickle, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{zipPath, rawPath} {
		m, err := Open(context.Background(), p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if got := property(m, "python type"); got != "os.system" {
			t.Errorf("%s: python type %q, want os.system", p, got)
		}
		if got := property(m, "pickle references (never called)"); !strings.Contains(got, "os.system") {
			t.Errorf("%s: references %q lack os.system", p, got)
		}
		if got := property(m, "would run on torch.load"); got != "os.system" {
			t.Errorf("%s: flagged calls %q, want os.system", p, got)
		}
		if len(m.Warnings) != 1 || !strings.Contains(m.Warnings[0], "os.system") {
			t.Errorf("%s: warnings %v", p, m.Warnings)
		}
	}
	if _, err := os.Stat("/tmp/pwned"); err == nil {
		t.Log("note: /tmp/pwned exists; this test never runs anything, so something else made it")
	}
}

// openNoPanic opens data as a file; a recovered panic is a failure.
func openNoPanic(t *testing.T, path string, data []byte) {
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(context.Background(), path)
	if err != nil {
		if strings.Contains(err.Error(), "internal error") {
			t.Fatalf("%d bytes: %v", len(data), err)
		}
		return
	}
	if m == nil || m.Graph == nil {
		t.Fatalf("%d bytes: nil model without error", len(data))
	}
	model.Summarize(m)
}

func TestTruncatedPrefixes(t *testing.T) {
	dir, _ := manifest(t)
	tmp := filepath.Join(t.TempDir(), "cut.pt")
	for _, rel := range []string{
		"pytorch/legacy/tiny_cnn_state_dict_legacy.pth",
		"pytorch/full_module/tiny_mlp_module.pt",
		"pytorch/torchscript/tiny_mlp_frozen.pt",
	} {
		data, err := os.ReadFile(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		// Every prefix of the first 512 bytes (headers), then a sample.
		for n := 0; n < len(data); n++ {
			if n >= 512 {
				n += len(data) / 300
				if n >= len(data) {
					break
				}
			}
			openNoPanic(t, tmp, data[:n])
		}
	}
}

func FuzzPyTorch(f *testing.F) {
	dir, entries := manifest(f)
	for _, e := range entries {
		if e.Bytes > 40_000 {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Path))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add(evilPickle)
	f.Fuzz(func(t *testing.T, data []byte) {
		openNoPanic(t, filepath.Join(t.TempDir(), "f.pt"), data)
	})
}

// TestHostileCode runs the forward-graph reader over code built to make a
// naive interpreter recurse or loop without bound.
func TestHostileCode(t *testing.T) {
	long := "x = a" + strings.Repeat(".b", 200_000) + "\n"
	calls := "y = " + strings.Repeat("f(", 50_000) + strings.Repeat(")", 50_000) + "\n"
	ops := "z = " + strings.Repeat("x + ", 100_000) + "x\n"
	src := "class M(Module):\n  __parameters__ = [\"w\", ]\n  def forward(self: __torch__.M,\n    x: Tensor) -> Tensor:\n" +
		"    " + long + "    " + calls + "    " + ops +
		"    if x:\n" + strings.Repeat("      x = torch.relu(x)\n", 1000) + "    else:\n      x = torch.tanh(x)\n" +
		"    return (self).forward(z, )\n"
	classes := map[string]*scriptClass{}
	for _, c := range parseSource(src, "__torch__") {
		classes[c.name] = c
	}
	c := classes["__torch__.M"]
	if c == nil || c.methods["forward"] == nil || !c.params["w"] {
		t.Fatalf("class not parsed: %+v", c)
	}
	b := &scriptBuilder{classes: classes, tensors: map[string]*model.Tensor{}, objTensor: nil}
	b.root = &scriptModule{class: c, clsName: "__torch__.M", subs: map[string]*scriptModule{}, tensors: map[string]string{}, lists: map[string][]string{}}
	done := make(chan *model.Graph)
	go func() { done <- b.forwardGraph(context.Background()) }()
	select {
	case g := <-done:
		if len(g.Nodes) == 0 {
			t.Error("no nodes")
		}
	case <-time.After(20 * time.Second):
		t.Fatal("forward graph did not finish")
	}
}

// badKeysPickle is {"evil": tensor in storage "../../etc/passwd", "missing":
// tensor in storage "7" (absent), "ok": tensor in storage "0"}, written by
// Python's pickle with fake torch classes.
const badKeysPickle = "80027d71002858040000006576696c710163746f7263682e5f7574696c730a5f72656275696c645f74656e736f725f76320a71022828580700000073746f72616765710363746f7263680a466c6f617453746f726167650a710458100000002e2e2f2e2e2f6574632f7061737377647105580300000063707571064b02747107514b004b028571084b018571098963636f6c6c656374696f6e730a4f726465726564446963740a710a2952710b74710c52710d58070000006d697373696e67710e6802282868036804580100000037710f68064b02747110514b006808680989680a2952711174711252711358020000006f6b71146802282868036804580100000030711568064b02747116514b006808680989680a29527117747118527119752e"

func TestStorageKeys(t *testing.T) {
	data, err := hex.DecodeString(badKeysPickle)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys.pt")
	writeZip(t, path, map[string][]byte{"archive/data.pkl": data, "archive/data/0": make([]byte, 8)})
	m, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	ts := initializers(m)
	if ok := ts["ok"]; ok == nil || ok.Location == nil || ok.Location.Length != 8 {
		t.Errorf("ok tensor: %+v", ok)
	}
	if miss := ts["missing"]; miss == nil || miss.Location != nil {
		t.Errorf("missing storage located: %+v", miss)
	}
	if _, ok := ts["evil"]; ok {
		t.Error("a tensor with a path-like storage key was accepted")
	}
	joined := strings.Join(m.Warnings, "\n")
	for _, want := range []string{"not a plain name", `storage "7" is missing`} {
		if !strings.Contains(joined, want) {
			t.Errorf("warnings %q lack %q", joined, want)
		}
	}
}
