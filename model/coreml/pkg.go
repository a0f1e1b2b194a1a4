package coreml

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"

	"github.com/modelpeek/modelpeek/model"
)

// maxJSON is the largest Manifest.json / metadata.json read.
const maxJSON = 16 << 20

// packageManifest is an .mlpackage's Manifest.json.
type packageManifest struct {
	FileFormatVersion string `json:"fileFormatVersion"`
	Items             map[string]struct {
		Author      string `json:"author"`
		Description string `json:"description"`
		Name        string `json:"name"`
		Path        string `json:"path"`
	} `json:"itemInfoEntries"`
	Root string `json:"rootModelIdentifier"`
}

// readJSON reads a small JSON file of a model folder into v.
func readJSON(root *os.Root, name string, v any) error {
	return readJSONLimit(root, name, v, maxJSON)
}

// readJSONLimit reads a JSON file of at most limit bytes into v.
func readJSONLimit(root *os.Root, name string, v any, limit int64) error {
	f, err := root.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if !st.Mode().IsRegular() || st.Size() > limit {
		return fmt.Errorf("%s is not a regular file of at most %d bytes", name, limit)
	}
	b, err := io.ReadAll(io.LimitReader(f, limit))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: not valid JSON: %w", name, err)
	}
	return nil
}

// openPackage opens an .mlpackage: the root item of Manifest.json is the
// spec, read like an .mlmodel; "@model_path" is the spec's folder.
func openPackage(ctx context.Context, dir string) (*model.Model, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	var man packageManifest
	if err := readJSON(root, "Manifest.json", &man); err != nil {
		return nil, err
	}
	item, ok := man.Items[man.Root]
	if !ok {
		return nil, fmt.Errorf("Manifest.json: the root model %q is not among its items", man.Root)
	}
	rel := filepath.Join("Data", filepath.FromSlash(item.Path))
	if !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("Manifest.json: the root model path %q leaves the package", item.Path)
	}
	if st, err := root.Stat(rel); err != nil || !st.Mode().IsRegular() {
		return nil, fmt.Errorf("Manifest.json: the root model %q is not a file in the package", item.Path)
	}
	spec := filepath.Join(dir, rel)
	m, err := openSpecFile(ctx, spec, wholeFileLimit)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", item.Path, err)
	}
	m.Files = packageFiles(root, dir, spec, man)
	m.Properties = append(m.Properties, model.Property{Name: "package format", Value: man.FileFormatVersion})
	return m, nil
}

// packageFiles lists the package folder, its manifest, the spec and the
// files of the other items (weights).
func packageFiles(root *os.Root, dir, spec string, man packageManifest) []string {
	files := []string{dir, filepath.Join(dir, "Manifest.json"), spec}
	var extra []string
	for _, it := range man.Items {
		rel := filepath.Join("Data", filepath.FromSlash(it.Path))
		if !filepath.IsLocal(rel) {
			continue
		}
		p := filepath.Join(dir, rel)
		if p == spec {
			continue
		}
		st, err := root.Stat(rel)
		switch {
		case err != nil:
		case st.Mode().IsRegular():
			extra = append(extra, p)
		case st.IsDir():
			extra = append(extra, dirFiles(root, rel, dir)...)
		}
	}
	sort.Strings(extra)
	return append(files, extra...)
}

// dirFiles lists the regular files directly in a folder of the package.
func dirFiles(root *os.Root, rel, dir string) []string {
	f, err := root.Open(rel)
	if err != nil {
		return nil
	}
	defer f.Close()
	es, err := f.ReadDir(256)
	if err != nil && len(es) == 0 {
		return nil
	}
	var out []string
	for _, e := range es {
		if e.Type().IsRegular() {
			out = append(out, filepath.Join(dir, rel, e.Name()))
		}
	}
	return out
}
