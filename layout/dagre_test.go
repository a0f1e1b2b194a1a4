package layout

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// dagreLayout lays out the boxes and edges of v with dagre (Node.js) and
// returns the same drawing with dagre's positions and routes, and dagre's
// layout time. It skips unless MODELPEEK_DAGRE names a directory holding
// node_modules/@dagrejs/dagre (npm install @dagrejs/dagre there).
func dagreLayout(t *testing.T, v *View) (*View, time.Duration) {
	t.Helper()
	dir := os.Getenv("MODELPEEK_DAGRE")
	if dir == "" {
		t.Skip("set MODELPEEK_DAGRE to a directory with node_modules/@dagrejs/dagre to compare with dagre")
	}
	nodeBin, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not installed")
	}
	type in struct {
		Nodes []map[string]any    `json:"nodes"`
		Edges []map[string]string `json:"edges"`
	}
	var req in
	for _, n := range v.Nodes {
		req.Nodes = append(req.Nodes, map[string]any{"id": n.ID, "w": n.W, "h": n.H})
	}
	for _, e := range v.Edges {
		req.Edges = append(req.Edges, map[string]string{"from": e.From, "to": e.To})
	}
	body, _ := json.Marshal(req)
	script, _ := filepath.Abs(filepath.Join("testdata", "dagre_layout.js"))
	cmd := exec.Command(nodeBin, "--stack-size=60000", script)
	cmd.Env = append(os.Environ(), "DAGRE_MODULE="+filepath.Join(dir, "node_modules", "@dagrejs", "dagre"))
	cmd.Stdin = bytes.NewReader(body)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dagre: %v\n%s", err, stderr.String())
	}
	var res struct {
		Nodes []struct {
			ID   string
			X, Y float64
		} `json:"nodes"`
		Edges [][]float64 `json:"edges"`
		Ms    float64     `json:"ms"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatalf("dagre output: %v", err)
	}
	d := &View{Nodes: make([]Node, len(v.Nodes)), Edges: make([]Edge, len(v.Edges))}
	for i, n := range v.Nodes {
		n.X, n.Y = res.Nodes[i].X-n.W/2, res.Nodes[i].Y-n.H/2
		d.Nodes[i] = n
	}
	for i, e := range v.Edges {
		e.Points = res.Edges[i]
		d.Edges[i] = e
	}
	return d, time.Duration(res.Ms * float64(time.Millisecond))
}

// TestVersusDagre compares edge crossings with dagre's layout of the same
// boxes and edges, on the corpus graphs and generated ones.
func TestVersusDagre(t *testing.T) {
	if os.Getenv("MODELPEEK_DAGRE") == "" {
		t.Skip("set MODELPEEK_DAGRE to a directory with node_modules/@dagrejs/dagre to compare with dagre")
	}
	paths, graphs := corpusGraphs(t)
	paths = append(paths, "generated transformer 400", "generated resnet 400")
	graphs = append(graphs, GenTransformer(400), GenResNet(400))
	ours, theirs := 0, 0
	for i, g := range graphs {
		v := mustLayout(t, g, Options{ExpandAll: true})
		if len(v.Edges) < 3 || len(v.Nodes) > 1200 {
			// dagre needs over 30 s for 2,000 boxes.
			continue
		}
		d, took := dagreLayout(t, v)
		co, cd := Crossings(v), Crossings(d)
		ours += co
		theirs += cd
		if co > cd+max(2, cd/10) {
			t.Errorf("%s: %d crossings, dagre %d", paths[i], co, cd)
		}
		if co+cd > 0 || len(v.Nodes) > 150 {
			t.Logf("%-58s %5d boxes: crossings ours %4d (%.1f ms), dagre %4d (%v)", paths[i], len(v.Nodes), co, v.Stats.LayoutMillis, cd, took)
		}
	}
	t.Logf("total crossings: ours %d, dagre %d", ours, theirs)
	if ours > theirs {
		t.Fatalf("more crossings than dagre: %d > %d", ours, theirs)
	}
}
