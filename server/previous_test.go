package server

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
	"github.com/modelpeek/modelpeek/model"
)

// versionLib is a fakeLib that keeps previous versions.
type versionLib struct {
	*fakeLib
	prev map[string]*model.Model
}

func (l *versionLib) Previous(ctx context.Context, id string) (ModelInfo, *model.Model, error) {
	info, _, err := l.Get(ctx, id)
	if err != nil {
		return info, nil, err
	}
	m, ok := l.prev[id]
	if !ok {
		return info, nil, ErrNoPrevious
	}
	info.Version--
	return info, m, nil
}

// TestDiffPrevious: ?against=previous compares the previous version (A)
// with the current one (B), and ?view=1 gives the node indices of both
// sides; a model without a previous version, or a library without
// versions, answers 404.
func TestDiffPrevious(t *testing.T) {
	old := tinyModel()
	old.Graph.Nodes = slices.DeleteFunc(old.Graph.Nodes, func(n *model.Node) bool { return n.Name == "relu" })
	old.Graph.Nodes[0].Attrs = []model.Attribute{{Name: "group", Type: model.AttrInt, Int: 2}}
	lib := &versionLib{fakeLib: newFakeLib(), prev: map[string]*model.Model{"m1": old}}
	s, addr := startServer(t, lib, nil)

	resp, body := do(t, authed(t, s, addr, "GET", "/api/models/m1/diff?against=previous&view=1", nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var got struct {
		Equal bool      `json:"equal"`
		View  *diffView `json:"view"`
	}
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatal(err)
	}
	v := got.View
	// Current nodes: conv 0, relu 1, if 2; previous: conv 0, if 1.
	if got.Equal || v == nil {
		t.Fatalf("equal %v, view %v: %s", got.Equal, v, body)
	}
	if !slices.Equal(v.Added, []int{1}) || len(v.Removed) != 0 {
		t.Errorf("added %v removed %v, want the relu (1) added", v.Added, v.Removed)
	}
	if !slices.Equal(v.Pairs, [][2]int{{0, 0}, {1, 2}}) {
		t.Errorf("pairs %v, want conv and if matched", v.Pairs)
	}
	if len(v.Changed) != 1 || v.Changed[0].A != 0 || v.Changed[0].B != 0 || len(v.Changed[0].Changes) != 1 {
		t.Errorf("changed %+v, want conv's attribute", v.Changed)
	}
	if v.VersionA != 0 || v.VersionB != 1 {
		t.Errorf("versions %d → %d, want 0 → 1", v.VersionA, v.VersionB)
	}

	for _, path := range []string{"/api/models/bad/diff?against=previous", "/api/models/zz/previous/graph"} {
		if resp, body := do(t, authed(t, s, addr, "GET", path, nil)); resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d %s, want 404", path, resp.StatusCode, body)
		}
	}
}

// TestPreviousGraph: the previous version's graph is laid out like the
// current one; without versions the route is a 404.
func TestPreviousGraph(t *testing.T) {
	old := tinyModel()
	old.Graph.Nodes = old.Graph.Nodes[:1]
	lib := &versionLib{fakeLib: newFakeLib(), prev: map[string]*model.Model{"m1": old}}
	s, addr := startServer(t, lib, nil)
	resp, body := do(t, authed(t, s, addr, "GET", "/api/models/m1/previous/graph", nil))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var v layout.View
	if err := json.Unmarshal([]byte(body), &v); err != nil {
		t.Fatal(err)
	}
	if v.Stats.ModelNodes != 1 {
		t.Errorf("previous graph has %d nodes, want 1", v.Stats.ModelNodes)
	}

	s2, addr2 := startServer(t, newFakeLib(), nil)
	if resp, body := do(t, authed(t, s2, addr2, "GET", "/api/models/m1/previous/graph", nil)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("no versions: %d %s, want 404", resp.StatusCode, body)
	}
}
