package executorch

import (
	"bytes"
	"encoding/binary"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model/internal/flatbuf"
)

func patch(data []byte, off int64, v uint32) []byte {
	b := bytes.Clone(data)
	binary.LittleEndian.PutUint32(b[off:], v)
	return b
}

// layout locates fields of a corpus program for the hostile cases.
type layout struct {
	r                          *flatbuf.Reader
	plans, values, instrs, arg int64
	callTable                  flatbuf.Table
}

func locate(t *testing.T, data []byte) layout {
	r := flatbuf.NewReader(flatbuf.FromBytes(data), 1<<20)
	prog, _ := r.Root(0)
	l := layout{r: r, plans: r.Ref(prog, programPlans)}
	plan, _ := r.Elem(l.plans+4, 0)
	l.values = r.Ref(plan, planValues)
	chain, _ := r.Elem(r.Ref(plan, planChains)+4, 0)
	l.instrs = r.Ref(chain, chainInstructions)
	instr, _ := r.Elem(l.instrs+4, 1) // mul: operator 1
	l.callTable, _ = r.Sub(instr, instrArgs)
	l.arg = r.Ref(l.callTable, callArgs)
	if r.Err != nil || l.arg == 0 {
		t.Fatalf("locating fields: %v", r.Err)
	}
	return l
}

// TestHostile damages a valid program in the ways that break naive
// flatbuffer readers and expects clear errors, never a panic.
func TestHostile(t *testing.T) {
	good := corpusFiles(t)["add_mul_two_methods.pte"]
	if good == nil {
		t.Skip("add_mul_two_methods.pte missing")
	}
	l := locate(t, good)
	opField := l.r.Field(l.callTable, callIndex, 4)
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "too short"},
		{"wrong identifier", patch(good, 4, 0x31315446), "not an ExecuTorch program"},
		{"root past end", patch(good, 0, 1<<30), "points past the end"},
		{"vtable out of range", patch(good, int64(binary.LittleEndian.Uint32(good)), 0x7fffffff), "outside the file"},
		{"plans vector length", patch(good, l.plans, math.MaxUint32), "declares 4294967295 elements"},
		{"values vector length", patch(good, l.values, 1<<30), "declares 1073741824 elements"},
		{"instructions offset", patch(good, l.instrs+4, 1<<30), "points past the end"},
		{"argument index", patch(good, l.arg+4, 9999), "refers to value 9999"},
		{"operator index", patch(good, opField, 77), "operator index 77 is out of range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := decodeBytes(c.data)
			if err == nil {
				t.Fatalf("no error, want %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestSharedInstructions points a huge instruction vector at one
// instruction table: the work budget stops it before it allocates per
// entry.
func TestSharedInstructions(t *testing.T) {
	good := corpusFiles(t)["add_mul_two_methods.pte"]
	if good == nil {
		t.Skip("add_mul_two_methods.pte missing")
	}
	const n = 500_000
	data := bytes.Clone(good)
	u16 := func(v uint16) { data = binary.LittleEndian.AppendUint16(data, v) }
	u32 := func(v uint32) { data = binary.LittleEndian.AppendUint32(data, v) }
	vec := int64(len(data))
	ivt := vec + 4 + 4*n
	u32(n)
	for i := int64(0); i < n; i++ {
		u32(uint32(ivt + 8 - (vec + 4 + 4*i))) // every entry: the instruction table
	}
	// Instruction {instr_args_type: KernelCall, instr_args: -> call}.
	for _, v := range []uint16{8, 12, 4, 8} {
		u16(v)
	}
	for _, v := range []uint32{8, instrKernel, 12} {
		u32(v)
	}
	// KernelCall {op_index: 0, args: -> [1, 2]}.
	for _, v := range []uint16{8, 8, 0, 4} {
		u16(v)
	}
	for _, v := range []uint32{8, 4, 2, 1, 2} {
		u32(v)
	}
	r := flatbuf.NewReader(flatbuf.FromBytes(good), 1<<20)
	prog, _ := r.Root(0)
	plan, _ := r.Elem(r.Ref(prog, programPlans)+4, 0)
	chain, _ := r.Elem(r.Ref(plan, planChains)+4, 0)
	field := r.Field(chain, chainInstructions, 4)
	binary.LittleEndian.PutUint32(data[field:], uint32(vec-field))
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := decodeBytes(data)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "too large or repeats") {
		t.Errorf("shared instructions: %v", err)
	}
	if d := after.TotalAlloc - before.TotalAlloc; d > 16*uint64(len(data))+1<<20 {
		t.Errorf("allocated %d bytes for a %d-byte file", d, len(data))
	}
}

// TestTruncatedPrefixes decodes prefixes of every corpus file (each one
// of small files, about 1500 spread over big ones): none may panic, and
// one that cuts the root table must fail.
func TestTruncatedPrefixes(t *testing.T) {
	for name, b := range corpusFiles(t) {
		step := max(1, len(b)/1500)
		for n := 0; n < len(b); n += step {
			if _, err := decodeBytes(b[:n:n]); err == nil && n < 32 {
				t.Fatalf("%s: prefix of %d bytes decoded", name, n)
			}
		}
	}
}
