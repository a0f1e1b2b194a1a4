package mapfile

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "a.bin")
	if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(p, 100)
	if err != nil {
		t.Fatal(err)
	}
	if string(m.Data) != "hello" {
		t.Errorf("data %q", m.Data)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(p, 3); err == nil {
		t.Error("over the limit accepted")
	}
	if _, err := Open(dir, 100); err == nil {
		t.Error("a directory accepted")
	}
	empty := filepath.Join(dir, "empty")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if m, err := Open(empty, 100); err != nil || len(m.Data) != 0 {
		t.Errorf("empty file: %v", err)
	} else {
		m.Close()
	}
}

// TestShrunkFile reads a mapped file after it was truncated: the fault
// becomes ErrChanged, not a crash.
func TestShrunkFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(p, make([]byte, 1<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := Open(p, 1<<30)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if err := os.Truncate(p, 0); err != nil {
		t.Fatal(err)
	}
	read := func() (err error) {
		defer Recover(&err)
		sum := 0
		for i := 0; i < len(m.Data); i += 4096 {
			sum += int(m.Data[i])
		}
		if sum != 0 {
			return errors.New("nonzero bytes in a zeroed file")
		}
		return nil
	}
	err = read()
	if len(m.Data) > 0 && isMapped() && !errors.Is(err, ErrChanged) {
		t.Errorf("reading a shrunk mapping: %v", err)
	}
}
