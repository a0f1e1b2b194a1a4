package server

import (
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
