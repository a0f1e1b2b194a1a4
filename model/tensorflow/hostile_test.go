package tensorflow

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model"
)

func bytesField(b []byte, num protowire.Number, v []byte) []byte {
	return protowire.AppendBytes(protowire.AppendTag(b, num, protowire.BytesType), v)
}

// node encodes a NodeDef with a name, an op, inputs and func attributes.
func node(name, op string, inputs []string, funcs map[string]string) []byte {
	b := bytesField(nil, 1, []byte(name))
	b = bytesField(b, 2, []byte(op))
	for _, in := range inputs {
		b = bytesField(b, 3, []byte(in))
	}
	for k, fn := range funcs {
		attrVal := bytesField(nil, 10, bytesField(nil, 1, []byte(fn)))
		b = bytesField(b, 5, bytesField(bytesField(nil, 1, []byte(k)), 2, attrVal))
	}
	return b
}

// function encodes a FunctionDef named name with the given body.
func function(name string, nodes ...[]byte) []byte {
	b := bytesField(nil, 1, bytesField(nil, 1, []byte(name)))
	for _, n := range nodes {
		b = bytesField(b, 3, n)
	}
	return b
}

// TestRecursiveFunctions checks that functions calling themselves and
// each other are linked once each, and counted once each.
func TestRecursiveFunctions(t *testing.T) {
	lib := bytesField(nil, 1, function("f", node("f1", "Identity", []string{"x"}, nil), node("call", "PartitionedCall", nil, map[string]string{"f": "f"})))
	lib = bytesField(lib, 1, function("g", node("g1", "PartitionedCall", nil, map[string]string{"f": "f"})))
	lib = bytesField(lib, 1, function("orphan", node("o1", "Orphan", nil, nil), node("o2", "While", nil, map[string]string{"body": "orphan", "cond": "f"})))
	g := bytesField(nil, 1, node("x", "Placeholder", nil, nil))
	g = bytesField(g, 1, node("y", "StatefulPartitionedCall", []string{"x", "^x"}, map[string]string{"f": "g"}))
	g = bytesField(g, 2, lib)
	m, err := decode(context.Background(), g, "/tmp/recursive.pb")
	if err != nil {
		t.Fatal(err)
	}
	if s := model.Summarize(m); s.Nodes != 2+2+1+2 {
		t.Errorf("nodes %d, want 7", s.Nodes)
	}
	y := m.Graph.Nodes[1]
	if subs := y.Subgraphs(); len(subs) != 1 || subs[0].Name != "g" {
		t.Fatalf("y's subgraphs %v", subs)
	}
	if f := y.Subgraphs()[0].Nodes[0].Subgraphs(); len(f) != 1 || f[0].Name != "f" {
		t.Errorf("g does not enter f")
	}
	if len(m.Functions) != 1 || m.Functions[0].Name != "orphan" {
		t.Errorf("functions %v", m.Functions)
	}
	if x := m.Graph.Nodes[0]; len(x.Inputs) != 1 || x.Inputs[0] != "x" {
		t.Errorf("the graph input does not feed its Placeholder: %v", x.Inputs)
	}
	if y.Inputs[0] != "x:0" || len(y.Inputs) != 1 || m.Graph.Nodes[0].Outputs[0] != "x:0" {
		t.Errorf("wiring: x outputs %v, y inputs %v", m.Graph.Nodes[0].Outputs, y.Inputs)
	}
}

// TestHostileGraphs checks crafted files are refused quickly with an
// error naming the problem.
func TestHostileGraphs(t *testing.T) {
	empty := bytes.Repeat([]byte{0x0a, 0x00}, 2_000_000)
	deepText := []byte(strings.Repeat("node { attr { value { list { ", 5000))
	cases := map[string][]byte{
		"2x10^6 empty nodes":       empty,
		"node length 2^62":         protowire.AppendVarint([]byte{0x0a}, 1<<62),
		"attr length past the end": bytesField(nil, 1, append(node("a", "Const", nil, nil), 0x2a, 0x7f)),
		"text nested 20000 deep":   deepText,
		"text unterminated string": []byte("node { name: \"abc"),
		"tag zero":                 {0x0a, 0x02, 0x00, 0x00},
	}
	for name, b := range cases {
		start := time.Now()
		_, err := decode(context.Background(), b, "/tmp/hostile.pb")
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
		if d := time.Since(start); d > 10*time.Second { // a hang bound: about 0.5s expected
			t.Errorf("%s: took %v", name, d)
		}
	}
	_, err := decode(context.Background(), empty, "/tmp/hostile.pb")
	if !errors.Is(err, errTooBig) {
		t.Errorf("empty nodes: %v, want errTooBig", err)
	}
}

// TestSavedModelDir opens a SavedModel folder through the registry's
// directory detection and gets the same model as its saved_model.pb.
func TestSavedModelDir(t *testing.T) {
	dir := filepath.Join(testenv.Corpus(t), "tensorflow", "saved_model_v2_functions")
	if detectDir(dir) != model.Strong || detectDir(filepath.Dir(dir)) != model.No {
		t.Fatal("DetectDir")
	}
	r := &model.Registry{}
	r.Register(Format())
	m, err := r.Open(context.Background(), dir)
	if err != nil {
		t.Fatal(err)
	}
	s := model.Summarize(m)
	if s.Nodes != 46 || len(s.Tensors) != 5 || len(m.Files) != 3 {
		t.Errorf("nodes %d, tensors %d, files %v", s.Nodes, len(s.Tensors), m.Files)
	}
	if len(m.Signatures) != 1 || m.Signatures[0].Key != "serving_default" || m.Signatures[0].Inputs[0].Tensor != "serving_default_inputs:0" {
		t.Errorf("signatures %+v", m.Signatures)
	}
}
