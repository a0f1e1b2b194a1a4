package gguf

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
)

// part is one opened file of a model: the file itself, or one split.
type part struct {
	path string
	h    *Header
}

// splitName is a parsed "<prefix>-00002-of-00005.gguf" file name.
type splitName struct {
	dir, prefix string
	no, count   int
}

var splitRe = regexp.MustCompile(`^(.*)-([0-9]{5})-of-([0-9]{5})\.gguf$`)

// maxSplits bounds how many split files are looked for.
const maxSplits = 10000

func parseSplitName(path string) (splitName, bool) {
	m := splitRe.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return splitName{}, false
	}
	no, _ := strconv.Atoi(m[2])
	count, _ := strconv.Atoi(m[3])
	if no < 1 || count < 2 || no > count || count > maxSplits {
		return splitName{}, false
	}
	return splitName{dir: filepath.Dir(path), prefix: m[1], no: no, count: count}, true
}

func (s splitName) path(no int) string {
	return filepath.Join(s.dir, fmt.Sprintf("%s-%05d-of-%05d.gguf", s.prefix, no, s.count))
}

// openSplits reads the headers of the other splits of sp, in split order.
// A missing split is a warning: the model shows what is there.
func openSplits(ctx context.Context, sp splitName, opened string) ([]part, []string, error) {
	var parts []part
	var warnings, missing []string
	for no := 1; no <= sp.count; no++ {
		if no == sp.no {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		p := sp.path(no)
		h, err := readFile(ctx, p, nil)
		if errors.Is(err, fs.ErrNotExist) {
			missing = append(missing, filepath.Base(p))
			continue
		}
		if err != nil {
			return nil, nil, fmt.Errorf("split %d of %d (%s): %w", no, sp.count, filepath.Base(p), err)
		}
		parts = append(parts, part{path: p, h: h})
	}
	if len(missing) > 0 {
		warnings = append(warnings, fmt.Sprintf("%d of %d splits are missing (%s); their tensors are not shown", len(missing), sp.count, missing[0]))
	}
	return parts, warnings, nil
}
