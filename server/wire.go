package server

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/modelpeek/modelpeek/layout"
)

// wantsWire reports whether a graph request asks for the compact view
// (?wire=1, what the page asks for) rather than the view JSON (the
// default, for scripts and tests).
func wantsWire(req *http.Request) bool { return req.URL.Query().Get("wire") == "1" }

// packedType is the content type of a compact view sent gzipped as the
// body itself, not as a content coding (see wantsPacked).
const packedType = layout.WireContentType + "+gzip"

// wantsPacked reports whether a request for the compact view asks for it
// packed (?gz=1): the cached gzip bytes as the body, with no
// Content-Encoding, for the page to inflate itself (DecompressionStream).
// Chromium took about 350 ms to hand the page the 17 MB of a
// 100,000-node view, sent with a content coding or without, read whole
// or as a stream, while the page inflates the 0.4 MB it is sent packed
// in about 125 ms: the plain bytes the browser carries are what cost.
func wantsPacked(req *http.Request) bool { return req.URL.Query().Get("gz") == "1" }

// maxPacked is the largest compact view sent packed. The page inflates on
// its main thread at about 140 MB/s, while Chromium decodes a content
// coding in another process and hands the bytes over at a cost that
// grows more slowly past its first few megabytes: a 100,000-node view
// (17 MB) was in the page 80-100 ms sooner packed, a 500,000-node one
// (92 MB) about 100 ms later.
const maxPacked = 48 << 20

// packable reports whether cached answer gz is small enough to send
// packed: its gzip trailer gives its plain length (modulo 2^32; a view
// is far smaller).
func packable(gz []byte) bool {
	return len(gz) >= 18 && binary.LittleEndian.Uint32(gz[len(gz)-4:]) <= maxPacked
}

// writeView writes a laid-out view to w as JSON or, when wire, in the
// compact form (layout.WriteWire, a piece at a time).
func writeView(w io.Writer, v *layout.View, wire bool) error {
	if wire {
		if err := layout.WriteWire(w, v); err != nil {
			return fmt.Errorf("encode the view: %w", err)
		}
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode the view: %w", err)
	}
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("encode the view: %w", err)
	}
	return nil
}

// viewContentType is the content type of a view written by writeView.
func viewContentType(wire bool) string {
	if wire {
		return layout.WireContentType
	}
	return "application/json; charset=utf-8"
}
