package optschema_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model/tflite/optschema"
)

func table(t *testing.T) *optschema.Table {
	t.Helper()
	tb, err := optschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TestCorpusOpsResolve checks every builtin operator code of every TFLite
// manifest entry: its name resolves, with the code the file stores.
func TestCorpusOpsResolve(t *testing.T) {
	tb := table(t)
	n := 0
	for _, e := range testenv.ManifestEntries(t, "tflite") {
		var f struct {
			Codes []struct {
				Builtin string `json:"builtin"`
				Code    int    `json:"builtin_code"`
				Old     int    `json:"deprecated_builtin_code"`
			} `json:"operator_codes"`
		}
		if json.Unmarshal(e.Facts, &f) != nil {
			continue
		}
		for _, c := range f.Codes {
			if strings.HasPrefix(c.Builtin, "CUSTOM") {
				continue
			}
			n++
			op, ok := tb.Lookup(c.Builtin)
			if !ok || op.Code != max(c.Code, c.Old) {
				t.Errorf("%s: %s (code %d) resolves to %+v %v", e.Name(), c.Builtin, max(c.Code, c.Old), op, ok)
			}
		}
	}
	if n == 0 {
		t.Fatal("no builtin operator in the TFLite manifest entries")
	}
	t.Logf("%d operator codes resolve", n)
}

// TestTablesAreWhole checks the table's own consistency: every options
// table an operator names has fields, every enum-typed field's enum is
// present with its default among its values, and Conv2D's fields are
// what the schema has always had first.
func TestTablesAreWhole(t *testing.T) {
	tb := table(t)
	withOptions := 0
	for _, op := range tb.Ops() {
		if op.Options == "" {
			continue
		}
		withOptions++
		for _, f := range tb.Fields(op.Options) {
			if f.Name == "" || f.Type == "" {
				t.Errorf("%s %s: field %+v", op.Name, op.Options, f)
			}
			if e := tb.Enum(f.Type); e != nil {
				if d, ok := f.Default.(string); ok && !contains(e, d) {
					t.Errorf("%s.%s: default %q not in %s %v", op.Options, f.Name, d, f.Type, e)
				}
			}
		}
	}
	if withOptions < 100 {
		t.Errorf("only %d operators have an options table", withOptions)
	}
	conv, ok := tb.Lookup("CONV_2D")
	var names []string
	for _, f := range tb.Fields(conv.Options) {
		names = append(names, f.Name)
	}
	if !ok || conv.Code != 3 || !strings.HasPrefix(strings.Join(names, ","), "padding,stride_w,stride_h,fused_activation_function,dilation_w_factor,dilation_h_factor") {
		t.Errorf("CONV_2D: %+v fields %v", conv, names)
	}
	if e := tb.Enum("ActivationFunctionType"); len(e) < 6 || e[3] != "RELU6" {
		t.Errorf("ActivationFunctionType %v", e)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
