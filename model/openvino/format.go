// Package openvino decodes OpenVINO IR models (an .xml network with its
// weights in the .bin beside it) into the model IR: layers as nodes wired
// by the edges, Parameters and Results as graph inputs and outputs, Const
// weights located in the .bin, TensorIterator/Loop/If bodies as
// subgraphs. Legacy IR (version < 10) is read too.
package openvino

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
)

// Format returns the registry entry for OpenVINO IR files.
func Format() model.Format {
	return model.Format{
		Name:       "openvino",
		Extensions: []string{".xml"},
		Detect:     Detect,
		Open:       Open,
	}
}

// Detect recognises an XML document whose root is <net> with <layers>
// (Strong), or a <net> root alone (Plausible).
func Detect(head []byte, size int64) model.Confidence {
	s := bytes.TrimLeft(head, " \t\r\n\xef\xbb\xbf")
	if !bytes.HasPrefix(s, []byte("<?xml")) && !bytes.HasPrefix(s, []byte("<net")) && !bytes.HasPrefix(s, []byte("<!--")) {
		return model.No
	}
	i := bytes.Index(s, []byte("<net"))
	if i < 0 || len(s) <= i+4 || !strings.ContainsRune(" \t\r\n>", rune(s[i+4])) {
		return model.No
	}
	if bytes.Contains(s[i:], []byte("<layers")) || bytes.Contains(s[i:], []byte("<layer ")) {
		return model.Strong
	}
	return model.Plausible
}

// Open decodes the IR .xml at path and locates its weights in the .bin
// of the same stem.
func Open(ctx context.Context, path string) (*model.Model, error) {
	m, err := open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("openvino: %w", err)
	}
	return m, nil
}

func open(ctx context.Context, path string) (*model.Model, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > maxXMLSize {
		return nil, fmt.Errorf("the network is %d bytes, more than the %d I read", size, maxXMLSize)
	}
	root, err := parseXML(f)
	if err != nil {
		return nil, err
	}
	if root.name != "net" {
		return nil, fmt.Errorf("not an OpenVINO IR network (the root element is <%s>, not <net>)", root.name)
	}
	if root.child("layers") == nil {
		return nil, errors.New("the network has no <layers>")
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	version, _ := strconv.Atoi(root.attr("version"))
	b := &netBuilder{legacy: version < 10, bin: strings.TrimSuffix(path, filepath.Ext(path)) + ".bin"}
	m := &model.Model{Format: "openvino", Producer: "OpenVINO", Version: root.attr("version"),
		Metadata: map[string]string{}, Facts: map[string]any{}, Files: []string{path}}
	missing := []string{}
	if st, err := os.Stat(b.bin); err == nil && st.Mode().IsRegular() {
		b.binSize = st.Size()
		m.Files = append(m.Files, b.bin)
	} else {
		b.missing = true
		missing = append(missing, filepath.Base(b.bin))
		m.Warnings = append(m.Warnings, fmt.Sprintf("the weights file %s is missing: weights are listed without data", filepath.Base(b.bin)))
	}
	m.Graph = b.graph(root, 0)
	m.Graph.Name = root.attr("name")
	m.Graph.Initializers = b.tensors
	m.Warnings = append(m.Warnings, b.warnings...)
	setMetadata(m, root, missing)
	return m, nil
}

// setMetadata records the network's version, name and runtime facts.
func setMetadata(m *model.Model, root *elem, missing []string) {
	m.Metadata["ir_version"] = root.attr("version")
	m.Metadata["name"] = root.attr("name")
	m.Facts["missing_files"] = missing
	for _, section := range []string{"meta_data", "rt_info"} {
		if e := root.child(section); e != nil {
			runtimeInfo(m, e)
		}
	}
	if b := root.attr("batch"); b != "" {
		m.Metadata["batch"] = b
	}
	m.Properties = append(m.Properties, model.Property{Name: "IR version", Value: root.attr("version")})
}

// maxInfo bounds the runtime-info entries copied into the metadata.
const maxInfo = 64

// runtimeInfo copies the simple entries of <rt_info> / <meta_data>
// (<MO_version value=...>, <info name=... value=...>) into the metadata,
// and names the producer from the converter or runtime version.
func runtimeInfo(m *model.Model, e *elem) {
	n := 0
	for _, k := range e.kids {
		v, ok := k.lookup("value")
		if !ok || n >= maxInfo {
			continue
		}
		key := k.name
		if key == "info" && k.attr("name") != "" {
			key = k.attr("name")
		}
		if _, taken := m.Metadata[key]; taken {
			continue
		}
		n++
		if len(v) > 256 {
			v = v[:256] + "…"
		}
		m.Metadata[key] = v
		switch key {
		case "MO_version":
			m.Producer = "OpenVINO Model Optimizer " + v
		case "Runtime_version", "OpenVINO Runtime":
			m.Producer = "OpenVINO " + v
		}
	}
}
