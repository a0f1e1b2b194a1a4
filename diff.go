package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/modelpeek/modelpeek/compare"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
)

// cmdDiff compares two model files: exit 0 when equal, 1 when different,
// 2 on error.
func cmdDiff(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "")
	dims := dimFlag{}
	fs.Var(dims, "dim", "")
	files, code, ok := parseFlags(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(files) != 2 {
		return badUsage(stderr, "diff takes exactly two files, A and B")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, cd, err := diffFiles(ctx, files[0], files[1], dims)
	if err != nil {
		fmt.Fprintf(stderr, "modelpeek: %s\n", errorLine(err))
		return 2
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(resultWithCost{Result: res, Cost: cd}); err != nil {
			fmt.Fprintf(stderr, "modelpeek: %v\n", err)
			return 2
		}
	} else {
		printDiff(stdout, res)
		printCostDiff(stdout, cd)
	}
	if res.Equal {
		return 0
	}
	return 1
}

// diffFiles opens both files, compares them and pairs their costs.
func diffFiles(ctx context.Context, pa, pb string, dims dimFlag) (*compare.Result, costDiff, error) {
	reg := all.Registry()
	defer hugePages(slog.Default()).BurstFor(pa, pb).End()
	var ms [2]*model.Model
	for k, p := range []string{pa, pb} {
		m, err := reg.Open(ctx, p)
		if err != nil {
			return nil, costDiff{}, err
		}
		ms[k] = m
	}
	res, err := compare.Models(ctx, ms[0], ms[1])
	if err != nil {
		return nil, costDiff{}, err
	}
	return res, diffCost(costOf(ctx, ms[0], dims), costOf(ctx, ms[1], dims)), nil
}

// printDiff prints a human-readable summary of a comparison.
func printDiff(w io.Writer, r *compare.Result) {
	if r.Equal {
		fmt.Fprintf(w, "equal: %d nodes matched, no differences\n", r.Nodes.Matched)
		return
	}
	n := r.Nodes
	fmt.Fprintf(w, "nodes:   %d matched, %d changed, %d added, %d removed\n", n.Matched, len(n.Changed), len(n.Added), len(n.Removed))
	ws := r.Weights
	fmt.Fprintf(w, "weights: %d changed, %d added, %d removed\n", len(ws.Changed), len(ws.Added), len(ws.Removed))
	for _, name := range n.Removed {
		fmt.Fprintf(w, "- node %s\n", safeText(name))
	}
	for _, name := range n.Added {
		fmt.Fprintf(w, "+ node %s\n", safeText(name))
	}
	for _, c := range n.Changed {
		label := safeText(c.A)
		if c.A != c.B {
			label += " → " + safeText(c.B)
		}
		fmt.Fprintf(w, "~ node %s\n", label)
		for _, line := range c.Changes {
			fmt.Fprintf(w, "    %s\n", safeText(line))
		}
	}
	printWeights(w, ws)
}

// printWeights prints the weight half of a comparison.
func printWeights(w io.Writer, ws compare.WeightDiff) {
	for _, name := range ws.Removed {
		fmt.Fprintf(w, "- weight %s\n", safeText(name))
	}
	for _, name := range ws.Added {
		fmt.Fprintf(w, "+ weight %s\n", safeText(name))
	}
	for _, c := range ws.Changed {
		fmt.Fprintf(w, "~ weight %s %s%s → %s%s", safeText(c.A), safeText(c.DTypeA), shapeText(c.ShapeA), safeText(c.DTypeB), shapeText(c.ShapeB))
		if c.MaxAbsDiff != nil {
			fmt.Fprintf(w, "  max |Δ| %.4g, mean |Δ| %.4g", *c.MaxAbsDiff, *c.MeanAbsDiff)
		}
		if c.Cosine != nil {
			fmt.Fprintf(w, ", cosine %.6f", *c.Cosine)
		}
		if c.RelL2 != nil {
			fmt.Fprintf(w, ", rel L2 %.4g", *c.RelL2)
		}
		if c.Note != "" {
			fmt.Fprintf(w, " (%s)", safeText(c.Note))
		}
		fmt.Fprintln(w)
	}
}

// shapeText writes a weight shape as "[3,3]".
func shapeText(s []int64) string {
	return strings.ReplaceAll(fmt.Sprint(s), " ", ",")
}
