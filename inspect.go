package main

import (
	"cmp"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"unicode/utf8"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// cmdInspect parses one model file and prints its summary.
func cmdInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("inspect", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	withGraph := fs.Bool("graph", false, "")
	tensorName := fs.String("tensor", "", "")
	dims := dimFlag{}
	fs.Var(dims, "dim", "")
	files, code, ok := parseFlags(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(files) != 1 {
		return badUsage(stderr, "inspect takes exactly one FILE")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	defer hugePages(slog.Default()).BurstFor(files[0]).End()
	m, err := all.Registry().Open(ctx, files[0])
	if err != nil {
		fmt.Fprintf(stderr, "modelpeek: %s\n", errorLine(err))
		return 1
	}
	if *tensorName != "" {
		return printTensorStats(ctx, stdout, stderr, m, *tensorName)
	}
	s := model.Summarize(m)
	c := costOf(ctx, m, dims)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		var out any = summaryWithCost{Summary: s, Cost: c}
		if *withGraph {
			out = withGraphData(s, m, c)
		}
		if err := enc.Encode(out); err != nil {
			fmt.Fprintf(stderr, "modelpeek: %v\n", err)
			return 1
		}
		return 0
	}
	printSummary(stdout, s)
	printCost(stdout, c)
	return 0
}

// printSummary prints a compact, human-readable summary. Every string
// from the model goes through safeText: a file cannot write escape
// sequences to the terminal.
func printSummary(w io.Writer, s model.Summary) {
	fmt.Fprintf(w, "format:   %s\n", safeText(s.Format))
	if s.Producer != "" {
		fmt.Fprintf(w, "producer: %s\n", safeText(s.Producer))
	}
	values := func(title string, vs []model.SummaryValue) {
		fmt.Fprintf(w, "%s (%d):\n", title, len(vs))
		for _, v := range vs {
			shape := "?"
			if v.Shape != nil {
				shape = "[" + shapeString(v.Shape) + "]"
			}
			dt := string(v.DType)
			if dt == "" {
				dt = "?"
			}
			fmt.Fprintf(w, "  %s  %s%s\n", safeText(v.Name), safeText(dt), safeText(shape))
		}
	}
	values("inputs", s.Inputs)
	values("outputs", s.Outputs)
	type op struct {
		name string
		n    int
	}
	var ops []op
	for k, n := range s.Ops {
		ops = append(ops, op{k, n})
	}
	slices.SortFunc(ops, func(a, b op) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.name, b.name))
	})
	var parts []string
	for _, o := range ops {
		parts = append(parts, fmt.Sprintf("%s×%d", safeText(o.name), o.n))
	}
	fmt.Fprintf(w, "nodes:    %d", s.Nodes)
	if len(parts) > 0 {
		fmt.Fprintf(w, " (%s)", strings.Join(parts, ", "))
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "tensors:  %d\n", len(s.Tensors))
	printSignatures(w, s.Signatures)
	if len(s.Metadata) > 0 {
		keys := make([]string, 0, len(s.Metadata))
		for k := range s.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		fmt.Fprintf(w, "metadata (%d):\n", len(keys))
		for _, k := range keys {
			v := safeText(strings.ReplaceAll(metaString(s.Metadata[k]), "\n", " "))
			fmt.Fprintf(w, "  %s: %s\n", safeText(k), truncate(v, 80))
		}
	}
}

// printSignatures lists a model's signatures: key and subgraph, then each
// input and output as "signature name → tensor dtype[shape]".
func printSignatures(w io.Writer, sigs []model.Signature) {
	if len(sigs) == 0 {
		return
	}
	fmt.Fprintf(w, "signatures (%d):\n", len(sigs))
	for _, sig := range sigs {
		fmt.Fprintf(w, "  %s  (subgraph %d)\n", safeText(sig.Key), sig.Subgraph)
		for _, io := range []struct {
			dir string
			vs  []model.SignatureValue
		}{{"in ", sig.Inputs}, {"out", sig.Outputs}} {
			for _, v := range io.vs {
				shape := "?"
				if v.Shape != nil {
					shape = "[" + shapeString(v.Shape) + "]"
				}
				fmt.Fprintf(w, "    %s %s → %s  %s%s\n", io.dir, safeText(v.Name), safeText(v.Tensor), safeText(string(v.DType)), safeText(shape))
			}
		}
	}
}

// truncate shortens s to at most n runes, ending it with "..." when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-3]) + "..."
}

// metaString spells a metadata value for text output: strings as they
// are, structured facts as compact JSON.
func metaString(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func shapeString(s model.Shape) string {
	parts := make([]string, len(s))
	for i, d := range s {
		parts[i] = d.String()
	}
	return strings.Join(parts, ",")
}
