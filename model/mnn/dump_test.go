package mnn

import (
	"context"
	"encoding/json"
	"os"
	"testing"
)

func TestDump(t *testing.T) {
	p := os.Getenv("DUMP")
	if p == "" {
		t.Skip()
	}
	m, err := Open(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.MarshalIndent(m, "", " ")
	os.Stdout.Write(b)
}
