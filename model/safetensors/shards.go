package safetensors

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/hier"
)

const (
	// maxIndexLen bounds the size of an index file; real ones are a few
	// hundred kilobytes.
	maxIndexLen = 64 << 20
	// maxShards bounds the number of shards an index may list.
	maxShards = 100_000
	// maxNamedShards bounds the shards looked for by name when there is no
	// index ("-00001-of-00191"); the largest published sets have a few
	// hundred.
	maxNamedShards = 4096
)

// shardName matches "model-00001-of-00004.safetensors".
var shardName = regexp.MustCompile(`^(.+)-([0-9]+)-of-([0-9]+)\.safetensors$`)

// index is a Hugging Face shard index.
type index struct {
	Metadata  map[string]json.RawMessage `json:"metadata"`
	WeightMap map[string]string          `json:"weight_map"`
}

// openShard opens one safetensors file and, when its name marks it as a
// shard, the rest of its set.
func openShard(ctx context.Context, path string) (*model.Model, error) {
	own, err := parseFile(path)
	if err != nil {
		return nil, err
	}
	m := shardName.FindStringSubmatch(filepath.Base(path))
	if m == nil {
		return assemble(path, []*shard{own}, nil, nil), nil
	}
	prefix, total := m[1], m[3]
	dir := filepath.Dir(path)
	var warnings []string
	idxPath := filepath.Join(dir, prefix+".safetensors.index.json")
	if _, err := os.Stat(idxPath); err == nil {
		idx, err := readIndex(idxPath)
		if err == nil && !slices.Contains(mapValues(idx.WeightMap), filepath.Base(path)) {
			err = fmt.Errorf("it does not list %s", filepath.Base(path))
		}
		if err == nil {
			var m *model.Model
			if m, err = fromIndex(ctx, idx, idxPath, path, own); err == nil {
				return m, nil
			}
		}
		warnings = append(warnings, fmt.Sprintf("index %s ignored: %v", filepath.Base(idxPath), err))
	}
	// No usable index: gather the siblings named like this shard.
	n, err := strconv.Atoi(total)
	k, kerr := strconv.Atoi(m[2])
	if err != nil || kerr != nil || n < 1 || n > maxNamedShards || k < 1 || k > n {
		warnings = append(warnings, fmt.Sprintf("the name says shard %s of %s, which is not plausible; showing this file alone", m[2], total))
		return assemble(path, []*shard{own}, nil, warnings), nil
	}
	shards := []*shard{}
	var missing []string
	for k := 1; k <= n; k++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := filepath.Join(dir, fmt.Sprintf("%s-%0*d-of-%s.safetensors", prefix, len(m[2]), k, total))
		if p == path {
			shards = append(shards, own)
			continue
		}
		s, err := parseFile(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			missing = append(missing, filepath.Base(p))
		case err != nil:
			warnings = append(warnings, fmt.Sprintf("shard %s skipped: %v", filepath.Base(p), err))
		default:
			shards = append(shards, s)
		}
		if err := checkSetSize(shards); err != nil {
			return nil, err
		}
	}
	if len(missing) > 0 {
		warnings = append(warnings, missingWarning(missing, 0))
	}
	return assemble(path, shards, nil, warnings), nil
}

// missingWarning describes missing shards, naming the first few.
func missingWarning(names []string, tensors int) string {
	const show = 3
	list := strings.Join(names[:min(len(names), show)], ", ")
	if len(names) > show {
		list += fmt.Sprintf(" and %d more", len(names)-show)
	}
	w := "shard " + list + " is missing"
	if len(names) > 1 {
		w = "shards " + list + " are missing"
	}
	if tensors > 0 {
		w += fmt.Sprintf(": %d tensors not shown", tensors)
	}
	return w
}

// openIndex opens a sharded set through its index. opened is the file the
// user opened (the index or one shard, whose parsed header is have).
func openIndex(ctx context.Context, idxPath, opened string, have *shard) (*model.Model, error) {
	idx, err := readIndex(idxPath)
	if err != nil {
		return nil, err
	}
	return fromIndex(ctx, idx, idxPath, opened, have)
}

// fromIndex opens the shards a decoded index lists.
func fromIndex(ctx context.Context, idx *index, idxPath, opened string, have *shard) (*model.Model, error) {
	var err error
	byShard := map[string][]string{}
	for t, s := range idx.WeightMap {
		if !safeName(s) {
			return nil, fmt.Errorf("shard index maps %q to %q, which is not a file name in the index's folder", t, s)
		}
		byShard[s] = append(byShard[s], t)
	}
	names := make([]string, 0, len(byShard))
	for s := range byShard {
		names = append(names, s)
	}
	if len(names) > maxShards {
		return nil, fmt.Errorf("shard index lists %d shards, more than %d", len(names), maxShards)
	}
	slices.SortFunc(names, func(a, b string) int { return hier.Compare(a, b) })

	dir := filepath.Dir(idxPath)
	var shards []*shard
	var warnings, missing []string
	lost := 0
	for _, name := range names {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		p := filepath.Join(dir, name)
		var s *shard
		if have != nil && p == have.path {
			s = have
		} else {
			s, err = parseFile(p)
			switch {
			case errors.Is(err, fs.ErrNotExist):
				missing = append(missing, name)
				lost += len(byShard[name])
				continue
			case err != nil:
				warnings = append(warnings, fmt.Sprintf("shard %s skipped: %v", name, err))
				continue
			}
		}
		shards = append(shards, s)
		if err := checkSetSize(shards); err != nil {
			return nil, err
		}
		warnings = append(warnings, crossCheck(s, name, idx.WeightMap, byShard[name])...)
	}
	if len(missing) > 0 {
		warnings = append(warnings, missingWarning(missing, lost))
	}
	meta := map[string]string{}
	for k, v := range idx.Metadata {
		var str string
		if json.Unmarshal(v, &str) == nil {
			meta[k] = str
		} else {
			meta[k] = string(v)
		}
	}
	files := []string{}
	if opened != idxPath {
		files = append(files, idxPath)
	}
	m := assemble(opened, shards, meta, warnings)
	m.Files = append(m.Files[:1], append(files, m.Files[1:]...)...)
	return m, nil
}

// crossCheck compares a shard's tensors with what the index says it holds.
func crossCheck(s *shard, name string, weightMap map[string]string, listed []string) []string {
	var warnings []string
	inShard := make(map[string]bool, len(s.tensors))
	unlisted := 0
	for _, t := range s.tensors {
		inShard[t.Name] = true
		if weightMap[t.Name] != name {
			unlisted++
		}
	}
	absent := 0
	for _, t := range listed {
		if !inShard[t] {
			absent++
		}
	}
	if unlisted > 0 {
		warnings = append(warnings, fmt.Sprintf("shard %s holds %d tensors the index does not map to it", name, unlisted))
	}
	if absent > 0 {
		warnings = append(warnings, fmt.Sprintf("the index maps %d tensors to shard %s that it does not hold", absent, name))
	}
	return warnings
}

// readIndex reads and decodes a shard index file.
func readIndex(path string) (*index, error) {
	f, size, err := model.OpenFile(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > maxIndexLen {
		return nil, fmt.Errorf("shard index is %d bytes, more than the %d-byte limit", size, maxIndexLen)
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil {
		return nil, fmt.Errorf("read shard index: %w", err)
	}
	return parseIndex(b)
}

// parseIndex decodes the text of a shard index.
func parseIndex(b []byte) (*index, error) {
	if err := checkJSONDepth(b, maxJSONDepth); err != nil {
		return nil, fmt.Errorf("shard index: %w", err)
	}
	var idx index
	if err := json.Unmarshal(b, &idx); err != nil {
		return nil, fmt.Errorf("shard index is not a valid JSON index: %w", err)
	}
	if len(idx.WeightMap) == 0 {
		return nil, errors.New("shard index has no weight_map entries")
	}
	if len(idx.WeightMap) > maxSetTensors {
		return nil, fmt.Errorf("shard index maps %d tensors, more than %d", len(idx.WeightMap), maxSetTensors)
	}
	return &idx, nil
}

// safeName reports whether a shard name from an index is a plain file name
// in the index's own folder.
func safeName(s string) bool {
	return s != "" && s != "." && s != ".." && !strings.ContainsAny(s, "/\\\x00:") && filepath.Base(s) == s
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// checkSetSize refuses sets whose shards hold more than maxSetTensors
// tensors together.
func checkSetSize(shards []*shard) error {
	n := 0
	for _, s := range shards {
		n += len(s.tensors)
	}
	if n > maxSetTensors {
		return fmt.Errorf("the shards hold more than %d tensors together", maxSetTensors)
	}
	return nil
}
