package openvino_test

import (
	"testing"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/openvino"
)

// TestDetect checks that IR networks are claimed and other XML is not.
func TestDetect(t *testing.T) {
	cases := []struct {
		name string
		head string
		want model.Confidence
	}{
		{"ir v11", `<?xml version="1.0"?>` + "\n" + `<net name="m" version="11"><layers>`, model.Strong},
		{"no prolog", `<net name="m" version="10">` + "\n\t<layers>", model.Strong},
		{"net only", `<?xml version="1.0"?><net name="m" version="11">`, model.Plausible},
		{"network element", `<?xml version="1.0"?><network><layers>`, model.No},
		{"svg", `<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>`, model.No},
		{"html", `<!doctype html><html><body><net></net></body></html>`, model.No},
	}
	for _, c := range cases {
		if got := openvino.Detect([]byte(c.head), int64(len(c.head))); got != c.want {
			t.Errorf("%s: Detect = %v, want %v", c.name, got, c.want)
		}
	}
}
