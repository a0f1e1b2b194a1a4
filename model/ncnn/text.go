package ncnn

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// maxLineTokens bounds the tokens of one layer line.
const maxLineTokens = 1 << 20

// parseText parses a text .param.
func parseText(data []byte) (*net, error) {
	lines := splitLines(data)
	if len(lines) < 2 {
		return nil, errors.New("the file ends before the layer and blob counts")
	}
	m, err := strconv.Atoi(strings.TrimSpace(lines[0]))
	if err != nil {
		return nil, fmt.Errorf("first line %.40q is not the magic number", lines[0])
	}
	counts := strings.Fields(lines[1])
	if len(counts) != 2 {
		return nil, fmt.Errorf("second line %.40q is not \"layer_count blob_count\"", lines[1])
	}
	lc, err1 := strconv.Atoi(counts[0])
	bc, err2 := strconv.Atoi(counts[1])
	if err1 != nil || err2 != nil {
		return nil, fmt.Errorf("second line %.40q is not \"layer_count blob_count\"", lines[1])
	}
	if err := checkHeader(m, lc, bc); err != nil {
		return nil, err
	}
	body := lines[2:]
	if lc > len(body) {
		return nil, fmt.Errorf("the header promises %d layers but the file has %d layer lines", lc, len(body))
	}
	n := &net{layerCount: lc, blobCount: bc}
	byName := make(map[string]int)
	for i := 0; i < lc; i++ {
		l, err := parseTextLayer(body[i], n, byName)
		if err != nil {
			return nil, fmt.Errorf("layer %d: %w", i, err)
		}
		n.layers = append(n.layers, l)
	}
	return n, nil
}

// splitLines splits text into non-empty lines, trimming \r.
func splitLines(data []byte) []string {
	var out []string
	for _, l := range bytes.Split(data, []byte("\n")) {
		l = bytes.TrimRight(l, "\r \t")
		if len(bytes.TrimSpace(l)) > 0 {
			out = append(out, string(l))
		}
	}
	return out
}

// parseTextLayer parses `Type Name nbottom ntop bottoms... tops... k=v...`,
// numbering blobs as ncnn does: a bottom names an existing blob (or a new
// one), a top always makes a new blob.
func parseTextLayer(line string, n *net, byName map[string]int) (layer, error) {
	f := fields(line)
	if len(f) < 4 {
		return layer{}, fmt.Errorf("line %.60q has fewer than 4 fields", line)
	}
	l := layer{typ: f[0], name: f[1]}
	nb, err1 := strconv.Atoi(f[2])
	nt, err2 := strconv.Atoi(f[3])
	if err1 != nil || err2 != nil || nb < 0 || nt < 0 || nb+nt > len(f)-4 {
		return layer{}, fmt.Errorf("bad bottom/top counts %q %q", f[2], f[3])
	}
	for _, name := range f[4 : 4+nb] {
		idx, ok := byName[name]
		if !ok {
			idx = n.newBlob(name, byName)
		}
		l.bottoms = append(l.bottoms, idx)
	}
	for _, name := range f[4+nb : 4+nb+nt] {
		l.tops = append(l.tops, n.newBlob(name, byName))
	}
	for _, kv := range f[4+nb+nt:] {
		p, err := parseTextParam(kv)
		if err != nil {
			return layer{}, err
		}
		l.params = append(l.params, p)
	}
	return l, nil
}

// newBlob appends a blob named name; the first blob of a name wins lookups.
func (n *net) newBlob(name string, byName map[string]int) int {
	idx := len(n.blobNames)
	n.blobNames = append(n.blobNames, name)
	if _, ok := byName[name]; !ok {
		byName[name] = idx
	}
	return idx
}

// fields splits a line at blanks, keeping double-quoted strings whole.
func fields(line string) []string {
	var out []string
	i := 0
	for i < len(line) && len(out) < maxLineTokens {
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		if i >= len(line) {
			break
		}
		start, quoted := i, false
		for i < len(line) && (quoted || (line[i] != ' ' && line[i] != '\t')) {
			if line[i] == '"' {
				quoted = !quoted
			}
			i++
		}
		out = append(out, line[start:i])
	}
	return out
}

// parseTextParam parses one `id=value`, `id=a,b,c` or old-style
// `-233xx=n,a,b` entry.
func parseTextParam(kv string) (param, error) {
	k, v, ok := strings.Cut(kv, "=")
	if !ok {
		return param{}, fmt.Errorf("parameter %.40q is not id=value", kv)
	}
	id, err := strconv.Atoi(k)
	if err != nil {
		return param{}, fmt.Errorf("parameter id %.20q is not a number", k)
	}
	p := param{id: id}
	if id <= -23300 {
		p.id, p.array = -id-23300, true
		_, v, _ = strings.Cut(v, ",") // the stored length; the values count
	}
	if p.id < 0 || p.id >= maxParamID {
		return param{}, fmt.Errorf("parameter id %d out of range", id)
	}
	if strings.HasPrefix(v, "\"") || (v != "" && !isNumeric(v)) {
		p.isString, p.str = true, strings.Trim(v, "\"")
		return p, nil
	}
	vals := strings.Split(v, ",")
	if len(vals) > 1 {
		p.array = true
	}
	if v == "" {
		vals = nil
	}
	return p, p.setValues(vals)
}

// isNumeric reports whether v looks like numbers (not a string value).
func isNumeric(v string) bool {
	c := v[0]
	return c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')
}

// setValues stores numeric values; any float makes the parameter float.
func (p *param) setValues(vals []string) error {
	for _, s := range vals {
		if strings.ContainsAny(s, ".eE") || strings.Contains(s, "nan") || strings.Contains(s, "inf") {
			p.isFloat = true
		}
	}
	for _, s := range vals {
		if p.isFloat {
			f, err := strconv.ParseFloat(s, 32)
			if err != nil {
				return fmt.Errorf("parameter %d value %.20q is not a number", p.id, s)
			}
			p.floats = append(p.floats, f)
			continue
		}
		i, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return fmt.Errorf("parameter %d value %.20q is not a number", p.id, s)
		}
		p.ints = append(p.ints, i)
	}
	return nil
}
