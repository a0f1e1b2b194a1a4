package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
)

// TestGraphWire checks that ?wire=1 answers the compact form of the same
// view the JSON answer holds (layout.EncodeWire of it, the layout time
// aside), with its content type, and that the two are cached apart.
func TestGraphWire(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	for _, q := range []string{"", "expand=all", "path=2.0&expand=all"} {
		var v layout.View
		if code := getJSON(t, s, addr, "/api/models/m1/graph?"+q, &v); code != 200 {
			t.Fatalf("%s: JSON answer %d", q, code)
		}
		resp, body := do(t, authed(t, s, addr, "GET", "/api/models/m1/graph?wire=1&"+q, nil))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != layout.WireContentType {
			t.Fatalf("%s: wire answer %d, %q", q, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		checkHeaders(t, q, resp.Header)
		got := []byte(body)
		// The two answers were laid out apart: take the wire one's time.
		var hdr struct {
			View layout.View `json:"view"`
		}
		if err := json.Unmarshal(headerJSON(t, got), &hdr); err != nil {
			t.Fatal(err)
		}
		v.Stats.LayoutMillis = hdr.View.Stats.LayoutMillis
		want, err := layout.EncodeWire(&v)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the wire answer (%d B) is not the JSON view's wire form (%d B)", q, len(got), len(want))
		}
	}
}

// headerJSON returns the JSON header of a compact view.
func headerJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	if len(b) < 8 || string(b[:4]) != layout.WireMagic {
		t.Fatalf("no wire magic in %.20q", b)
	}
	n := int(b[4]) | int(b[5])<<8 | int(b[6])<<16 | int(b[7])<<24
	if 8+n > len(b) {
		t.Fatalf("header of %d B in %d B", n, len(b))
	}
	return b[8 : 8+n]
}

// TestGraphPacked checks ?gz=1: the compact view comes as the gzip bytes
// themselves (its own content type, no content coding) and inflates to
// the compact answer; a JSON answer ignores it.
func TestGraphPacked(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	for _, q := range []string{"", "expand=all"} {
		_, plain := do(t, authed(t, s, addr, "GET", "/api/models/m1/graph?wire=1&"+q, nil))
		resp, body := do(t, authed(t, s, addr, "GET", "/api/models/m1/graph?wire=1&gz=1&"+q, nil))
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != packedType || resp.Header.Get("Content-Encoding") != "" {
			t.Fatalf("%s: packed answer %d, type %q, coding %q", q, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"))
		}
		checkHeaders(t, q, resp.Header)
		if got := gunzipOne(t, []byte(body)); !bytes.Equal(got, []byte(plain)) {
			t.Errorf("%s: the packed answer inflates to %d B, not the %d B of the compact one", q, len(got), len(plain))
		}
		resp, _ = do(t, authed(t, s, addr, "GET", "/api/models/m1/graph?gz=1&"+q, nil))
		if ct := resp.Header.Get("Content-Type"); ct != viewContentType(false) {
			t.Errorf("%s: a JSON answer asked with gz=1 has type %q", q, ct)
		}
	}
}

// TestPackable: a view is sent packed up to maxPacked plain bytes, as
// its gzip trailer tells; a big one goes with a content coding.
func TestPackable(t *testing.T) {
	for _, n := range []int{0, 1 << 20, maxPacked, maxPacked + 1} {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		zw.Write(make([]byte, n))
		zw.Close()
		if got, want := packable(buf.Bytes()), n <= maxPacked; got != want {
			t.Errorf("a view of %d bytes: packable %v, want %v", n, got, want)
		}
	}
	if packable([]byte("short")) {
		t.Error("a truncated answer is packable")
	}
}
