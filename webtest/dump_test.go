package webtest

import (
	"context"
	"encoding/json"
	"os"
	"testing"

	"github.com/modelpeek/modelpeek/layout"
)

func TestDumpView(t *testing.T) {
	if os.Getenv("DUMP_VIEW") == "" {
		t.Skip()
	}
	v, err := layout.Layout(context.Background(), Transformer(100000).Graph, layout.Options{ExpandAll: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	os.WriteFile(os.Getenv("DUMP_VIEW"), b, 0o644)
}
