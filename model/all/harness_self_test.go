package all

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/model"
)

// TestHarnessCatches proves the checks above can fail: a registry of
// misbehaving test decoders, each of which openChecked must flag.
func TestHarnessCatches(t *testing.T) {
	var sink []byte
	cyclic := &model.Graph{}
	cyclic.Nodes = []*model.Node{{OpType: "Loop", Attrs: []model.Attribute{{Name: "body", Type: model.AttrGraph, Graphs: []*model.Graph{cyclic}}}}}
	cases := map[string]struct {
		open func(context.Context, string) (*model.Model, error)
		want string
	}{
		"panic": {func(context.Context, string) (*model.Model, error) {
			var s []int
			_ = s[3]
			return nil, nil
		}, "panicked"},
		"greedy": {func(context.Context, string) (*model.Model, error) {
			sink = make([]byte, 300<<20)
			return nil, errMisbehave
		}, "allocated"},
		"slow": {func(context.Context, string) (*model.Model, error) {
			time.Sleep(1200 * time.Millisecond)
			return nil, errMisbehave
		}, "took"},
		// Registry.Open itself trips over a nil model without an error.
		"nothing": {func(context.Context, string) (*model.Model, error) { return nil, nil }, "panicked"},
		"cycle": {func(context.Context, string) (*model.Model, error) {
			return &model.Model{Graph: cyclic}, nil
		}, "contains itself"},
		"nilnode": {func(context.Context, string) (*model.Model, error) {
			return &model.Model{Graph: &model.Graph{Nodes: []*model.Node{nil}}}, nil
		}, "nil node"},
	}
	dir := t.TempDir()
	for name, c := range cases {
		reg := &model.Registry{}
		reg.Register(model.Format{Name: name, Detect: func([]byte, int64) model.Confidence { return model.Strong }, Open: c.open})
		// The slow decoder is checked against a bound it must break,
		// smaller than the hang bounds the sweeps use.
		limit := fastLimit
		if name == "slow" {
			limit = time.Second
		}
		o := openChecked(reg, variantFile(t, dir, name+".bin", []byte("x")), limit)
		if !strings.Contains(o.problem, c.want) {
			t.Errorf("%s decoder: problem %q, want one mentioning %q", name, o.problem, c.want)
		}
	}
	_ = sink
	// NaN and Inf attributes are legal in files and must reach the page
	// (as strings): no problem for the harness to report.
	reg := &model.Registry{}
	reg.Register(model.Format{Name: "nan", Detect: func([]byte, int64) model.Confidence { return model.Strong }, Open: func(context.Context, string) (*model.Model, error) {
		return &model.Model{Graph: &model.Graph{Nodes: []*model.Node{{OpType: "X", Attrs: []model.Attribute{{Name: "f", Type: model.AttrFloat, Float: math.NaN()}}}}}}, nil
	}})
	if o := openChecked(reg, variantFile(t, dir, "nan.bin", []byte("x")), fastLimit); o.problem != "" || o.err != nil {
		t.Errorf("a NaN attribute: problem %q, err %v; want a clean open", o.problem, o.err)
	}
	if looksLikePanic(errMisbehave) || looksLikePanic(nil) {
		t.Error("looksLikePanic misjudges a plain error")
	}
}

var errMisbehave = errors.New("the test decoder refuses")
