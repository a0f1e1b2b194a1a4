package security

import (
	"encoding/binary"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHostileUploads drops hostile model files on the running server: each
// upload is stored and refused with an error for that model only, and the
// server keeps serving.
func TestHostileUploads(t *testing.T) {
	t.Parallel()
	plain, _ := modelDir(t)
	p := start(t, plain)
	c := p.session(t)
	cookieLine := "Cookie: " + c.Name + "=" + c.Value + "\r\n"

	gguf := []byte("GGUF\x03\x00\x00\x00")
	gguf = binary.LittleEndian.AppendUint64(gguf, 1<<63)
	gguf = binary.LittleEndian.AppendUint64(gguf, 1<<63)
	deepJSON := `{"__metadata__":{"k":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}`
	st := binary.LittleEndian.AppendUint64(nil, uint64(len(deepJSON)))
	st = append(st, deepJSON...)
	files := map[string][]byte{
		"counts.gguf":      gguf,
		"deep.safetensors": st,
		"cut.npy":          npyBytes()[:20],
		"notes.txt":        []byte("not a model\n"),
		// A name that is a path must not place the file anywhere.
		"../../escape.npy": npyBytes()[:30],
	}
	ids := map[string]string{}
	for name, body := range files {
		resp := p.raw(t, "POST /api/upload HTTP/1.1\r\nHost: "+p.addr+"\r\n"+cookieLine+"Sec-Fetch-Site: same-origin\r\nX-Filename: "+name+
			"\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\nConnection: close\r\n\r\n"+string(body))
		var res struct{ IDs []string }
		if resp.status != http.StatusOK || json.Unmarshal([]byte(resp.body), &res) != nil || len(res.IDs) != 1 {
			t.Fatalf("upload %s: %d %s", name, resp.status, resp.body)
		}
		ids[name] = res.IDs[0]
	}
	type info struct {
		ID, Name, Error string
		Loading         bool
	}
	var list []info
	done := waitFor(20*time.Second, func() bool {
		r := p.raw(t, "GET /api/models HTTP/1.1\r\nHost: "+p.addr+"\r\n"+cookieLine+"Connection: close\r\n\r\n")
		if r.status != http.StatusOK || json.Unmarshal([]byte(r.body), &list) != nil {
			return false
		}
		for _, m := range list {
			if m.Loading {
				return false
			}
		}
		return len(list) == len(files)+1
	})
	if !done {
		t.Fatalf("uploads still loading or missing: %+v", list)
	}
	for _, m := range list {
		switch {
		case m.Name == "plain.safetensors":
			if m.Error != "" {
				t.Errorf("the benign model failed next to the hostile ones: %s", m.Error)
			}
		case m.Error == "":
			t.Errorf("hostile upload %s loaded without error", m.Name)
		case strings.Contains(m.Error, "internal error"):
			t.Errorf("hostile upload %s made a decoder panic: %s", m.Name, m.Error)
		default:
			t.Logf("%s -> %s", m.Name, m.Error)
		}
		if m.Name != "plain.safetensors" {
			r := p.raw(t, "GET /api/models/"+m.ID+"/graph HTTP/1.1\r\nHost: "+p.addr+"\r\n"+cookieLine+"Connection: close\r\n\r\n")
			if r.status == http.StatusOK || r.status >= 500 {
				t.Errorf("graph of hostile upload %s: status %d", m.Name, r.status)
			}
		}
	}
	for _, where := range []string{filepath.Join(p.tmp, "escape.npy"), filepath.Join(p.tmp, "..", "escape.npy"), filepath.Join(p.tmp, "..", "..", "escape.npy")} {
		if _, err := os.Lstat(where); err == nil {
			t.Errorf("an upload named ../../escape.npy was written to %s", where)
		}
	}
	for _, d := range p.uploadDirs(t) {
		fi, err := os.Stat(d)
		if err != nil {
			t.Error(err)
		} else if fi.Mode().Perm() != 0o700 {
			t.Errorf("upload directory %s: mode %v, want 0700", d, fi.Mode().Perm())
		}
	}
	for _, f := range p.uploadFiles(t) {
		if !strings.HasPrefix(f, "up-") {
			t.Errorf("upload stored under a client-chosen name: %q", f)
		}
	}
	if r := p.raw(t, "GET / HTTP/1.1\r\nHost: "+p.addr+"\r\nConnection: close\r\n\r\n"); r.status != http.StatusOK {
		t.Errorf("server unwell after hostile uploads: %d %v", r.status, r.err)
	}
}
