package tflite

import (
	"testing"

	"github.com/modelpeek/modelpeek/model/tflite/optschema"
)

// TestOptionsAgreeWithSchemaTable cross-checks the decoder's hand-kept
// tables with the options table generated from the TFLite schema: every
// builtin name has the same code, and every options field the decoder
// reads sits in the generated table at the same slot with the same name.
func TestOptionsAgreeWithSchemaTable(t *testing.T) {
	tb, err := optschema.Load()
	if err != nil {
		t.Fatal(err)
	}
	for code, name := range builtinNames {
		if op, ok := tb.Lookup(name); !ok || op.Code != code {
			t.Errorf("builtin %d %s: generated table has %+v", code, name, op)
		}
	}
	for _, m := range []map[string][]optField{builtinOptions, builtinOptions2} {
		for name, fields := range m {
			op, ok := tb.Lookup(name)
			if !ok || op.Options == "" {
				t.Errorf("%s: no options table in the generated table", name)
				continue
			}
			gen := tb.Fields(op.Options)
			for _, f := range fields {
				if f.slot >= len(gen) || gen[f.slot].Name != f.name {
					t.Errorf("%s (%s): decoder reads %q at slot %d, the schema has %v", name, op.Options, f.name, f.slot, gen)
				}
			}
		}
	}
}
