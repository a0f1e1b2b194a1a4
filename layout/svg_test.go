package layout

import (
	"context"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeSVG draws v as SVG, for looking at layouts (TestWriteSVG).
func writeSVG(v *View, path string) error {
	var sb strings.Builder
	m := v.Metric
	fmt.Fprintf(&sb, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" font-family="monospace" font-size="12">`+"\n", v.Width, v.Height)
	sb.WriteString(`<rect width="100%" height="100%" fill="white"/>` + "\n")
	for _, g := range v.Groups {
		if g.Collapsed {
			continue
		}
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#8881" stroke="#888" stroke-dasharray="4 2" rx="6"/>`, g.X, g.Y, g.W, g.H)
		fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f" fill="#666">%s</text>`+"\n", g.X+6, g.Y+13, html.EscapeString(g.Label))
	}
	for _, e := range v.Edges {
		var pts []string
		for i := 0; i+1 < len(e.Points); i += 2 {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", e.Points[i], e.Points[i+1]))
		}
		fmt.Fprintf(&sb, `<polyline points="%s" fill="none" stroke="#555"/>`+"\n", strings.Join(pts, " "))
	}
	colours := map[string]string{"layer": "#cfe2ff", "activation": "#ffd6d6", "normalization": "#d6f5d6",
		"pooling": "#e6ddff", "shape": "#eeeeee", "data": "#fff3c4", "group": "#d9d9d9"}
	for _, n := range v.Nodes {
		fill := colours[n.Category]
		if fill == "" {
			fill = "#f7f7f7"
		}
		fmt.Fprintf(&sb, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s" stroke="#333" rx="4"/>`, n.X, n.Y, n.W, n.H, fill)
		lines := append([]string{n.Label}, n.Lines...)
		for i, l := range lines {
			fmt.Fprintf(&sb, `<text x="%.1f" y="%.1f">%s</text>`, n.X+m.PadX, n.Y+m.PadY+m.LineHeight*float64(i)+12, html.EscapeString(l))
		}
		sb.WriteString("\n")
	}
	sb.WriteString("</svg>\n")
	return os.WriteFile(path, []byte(sb.String()), 0o644)
}

// TestWriteSVG writes SVG drawings of corpus and generated graphs into the
// directory named by MODELPEEK_LAYOUT_SVG, to look at.
func TestWriteSVG(t *testing.T) {
	dir := os.Getenv("MODELPEEK_LAYOUT_SVG")
	if dir == "" {
		t.Skip("set MODELPEEK_LAYOUT_SVG to a directory to write drawings into")
	}
	paths, graphs := corpusGraphs(t)
	paths = append(paths, "gen/transformer300", "gen/resnet200", "gen/transformer5000")
	graphs = append(graphs, GenTransformer(300), GenResNet(200), GenTransformer(5000))
	for i, g := range graphs {
		v, err := Layout(context.Background(), g, Options{})
		if err != nil {
			t.Fatal(err)
		}
		name := strings.NewReplacer("/", "_", ".onnx", "").Replace(paths[i]) + ".svg"
		if err := writeSVG(v, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}
