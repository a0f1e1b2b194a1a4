package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/modelpeek/modelpeek/model"
)

// printTensorStats prints one tensor's whole-tensor statistics as JSON
// (`inspect --tensor NAME FILE`; the output is JSON with or without --json).
func printTensorStats(ctx context.Context, stdout, stderr io.Writer, m *model.Model, name string) int {
	t := model.FindTensor(m, name)
	if t == nil {
		fmt.Fprintf(stderr, "modelpeek: no tensor named %q\n", name)
		return 1
	}
	s, err := model.ReadStats(ctx, t, model.StatsOptions{})
	if err != nil {
		fmt.Fprintf(stderr, "modelpeek: %v\n", err)
		return 1
	}
	enc := json.NewEncoder(stdout)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		fmt.Fprintf(stderr, "modelpeek: %v\n", err)
		return 1
	}
	return 0
}
