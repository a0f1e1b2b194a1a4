package app

import (
	"context"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/server"
	"github.com/modelpeek/modelpeek/watch"
)

// A watched file's last good version is kept: after a rewrite, Previous
// decodes the old bytes, the model info names the previous version,
// ComparePrevious opens the compare view, and closing the model removes
// the kept copies.
func TestPreviousVersion(t *testing.T) {
	ta := newTestApp(t, nil)
	if err := ta.StartViewer(); err != nil {
		t.Fatal(err)
	}
	lib := (*library)(ta.App)
	p := ta.write(t, "m.fake", "FAKE\nnodes 2\n")
	ids, _ := ta.Open(p)
	id := ids[0]
	ta.get(t, id)
	if _, _, err := lib.Previous(context.Background(), id); !errors.Is(err, server.ErrNoPrevious) {
		t.Fatalf("first version: Previous gave %v, want ErrNoPrevious", err)
	}
	if err := ta.ComparePrevious(id); err == nil {
		t.Fatal("ComparePrevious without a previous version did not fail")
	}

	ta.write(t, "m.fake", "FAKE\nnodes 5\n")
	ta.onFileEvent(watch.Event{Key: id, Files: []string{p}})
	info := ta.waitInfo(t, id, func(i server.ModelInfo) bool { return i.Version == 2 && !i.Loading })
	if info.Previous != 1 {
		t.Fatalf("after a reload: previous = %d, want 1", info.Previous)
	}
	pinfo, m, err := lib.Previous(context.Background(), id)
	if err != nil || len(m.Graph.Nodes) != 2 || pinfo.Version != 1 {
		t.Fatalf("Previous: version %d, %v, want the 2-node version 1", pinfo.Version, err)
	}
	kept := keptCopies(t, ta.verDir)
	if len(kept) != 2 {
		t.Fatalf("kept copies %q, want this and the previous version", kept)
	}

	if err := ta.ComparePrevious(id); err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(<-ta.opened)
	if err != nil || u.Query().Get("model") != id || u.Query().Get("compare") != "previous" {
		t.Fatalf("opened %v (%v), want the compare view of %s with its previous version", u, err, id)
	}

	if err := lib.Close(id); err != nil {
		t.Fatal(err)
	}
	if kept := keptCopies(t, ta.verDir); len(kept) != 0 {
		t.Errorf("after close the copies %q remain", kept)
	}
}

// Uploads are not watched and keep no versions.
func TestNoPreviousForUploads(t *testing.T) {
	ta := newTestApp(t, nil)
	p := filepath.Join(ta.UploadDir(), "up.fake")
	if err := os.WriteFile(p, []byte("FAKE\nnodes 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ids, _ := (*library)(ta.App).AddUploads([]server.Upload{{Path: p, Name: "up.fake"}})
	ta.get(t, ids[0])
	if kept := keptCopies(t, ta.verDir); len(kept) != 0 {
		t.Errorf("an upload was copied: %q", kept)
	}
}

// keptCopies lists the files in the versions directory.
func keptCopies(t *testing.T, up string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(up, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, strings.TrimPrefix(p, up))
		}
		return nil
	})
	return out
}

// Only watched single files up to maxSnapshot bytes are kept.
func TestSnapshotLimits(t *testing.T) {
	ta := newTestApp(t, nil)
	small := ta.write(t, "s.fake", "FAKE\nnodes 1\n")
	big := filepath.Join(ta.dir, "big.fake")
	f, err := os.Create(big)
	if err != nil {
		t.Fatal(err)
	}
	// Sparse: no disk is used for the size.
	if err := f.Truncate(maxSnapshot + 1); err != nil {
		t.Fatal(err)
	}
	f.Close()
	one := &model.Model{Files: []string{small}}
	for _, c := range []struct {
		name    string
		path    string
		m       *model.Model
		watched bool
		kept    bool
	}{
		{"watched small file", small, one, true, true},
		{"unwatched", small, one, false, false},
		{"over the size bound", big, &model.Model{}, true, false},
		{"several files", small, &model.Model{Files: []string{small, big}}, true, false},
		{"a directory", ta.dir, &model.Model{}, true, false},
	} {
		snap := keepSnapshot(ta.copySnapshot(c.path, c.watched), c.m) // as a load does
		if (snap != "") != c.kept {
			t.Errorf("%s: snapshot %q, want kept %v", c.name, snap, c.kept)
		}
		if snap != "" {
			if b, err := os.ReadFile(snap); err != nil || string(b) != "FAKE\nnodes 1\n" {
				t.Errorf("%s: the copy holds %q (%v)", c.name, b, err)
			}
			dropSnapshot(snap)
			if _, err := os.Stat(filepath.Dir(snap)); !os.IsNotExist(err) {
				t.Errorf("%s: the copy's folder remains after dropSnapshot (%v)", c.name, err)
			}
		}
	}
}
