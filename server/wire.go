package server

import (
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/modelpeek/modelpeek/layout"
)

// wantsWire reports whether a graph request asks for the compact view
// (?wire=1, what the page asks for) rather than the view JSON (the
// default, for scripts and tests).
func wantsWire(req *http.Request) bool { return req.URL.Query().Get("wire") == "1" }

// encodeView encodes a laid-out view as JSON or, when wire, in the compact
// form (layout.EncodeWire), and returns it with its content type.
func encodeView(v *layout.View, wire bool) ([]byte, error) {
	if wire {
		b, err := layout.EncodeWire(v)
		if err != nil {
			return nil, fmt.Errorf("encode the view: %w", err)
		}
		return b, nil
	}
	return json.Marshal(v)
}

// viewContentType is the content type of a view encoded by encodeView.
func viewContentType(wire bool) string {
	if wire {
		return layout.WireContentType
	}
	return "application/json; charset=utf-8"
}
