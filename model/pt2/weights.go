package pt2

import (
	"archive/zip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pickle"
	"github.com/modelpeek/modelpeek/model/internal/ziputil"
)

// maxStatePickle bounds the data.pkl of an embedded torch.save state dict.
const maxStatePickle = 64 << 20

// payloadConfig is PayloadConfig: where each weight of a PT2 archive is.
type payloadConfig struct {
	Config map[string]payloadMeta `json:"config"`
}

type payloadMeta struct {
	PathName   string      `json:"path_name"`
	UsePickle  bool        `json:"use_pickle"`
	TensorMeta *tensorMeta `json:"tensor_meta"`
}

// locator sets tensor Locations from the weights of an archive: ra is the
// file itself, for embedded torch.save zips stored in the archive.
type locator struct {
	ctx    context.Context
	file   string
	ra     io.ReaderAt
	a      *ziputil.Archive
	byName map[string]*model.Tensor
	warn   []string
}

func newLocator(ctx context.Context, file string, ra io.ReaderAt, a *ziputil.Archive, ts []*model.Tensor) *locator {
	l := &locator{ctx: ctx, file: file, ra: ra, a: a, byName: map[string]*model.Tensor{}}
	for _, t := range ts {
		l.byName[t.Name] = t
	}
	return l
}

// pt2 locates the weights and constants of program name in a PT2 archive:
// through the payload configs, or an embedded torch.save file
// (data/weights/<name>.pt) in archives that write one.
func (l *locator) pt2(root, name string) {
	for _, d := range []struct {
		dir     string
		configs []string
	}{
		{"data/weights/", []string{name + "_weights_config.json", name + "_model_param_config.json"}},
		{"data/constants/", []string{name + "_constants_config.json", name + "_model_constants_config.json"}},
	} {
		l.dir(root+d.dir, d.configs, root+d.dir+name+".pt")
	}
}

// dir locates the tensors of one folder through the first payload config
// present, else through an embedded torch.save file.
func (l *locator) dir(dir string, configs []string, saved string) {
	for _, c := range configs {
		if f := l.a.Lookup(dir + c); f != nil {
			l.config(f, dir)
			return
		}
	}
	if f := l.a.Lookup(saved); f != nil {
		l.torchSave(f)
	}
}

// config locates the weights one payload config lists.
func (l *locator) config(f *zip.File, dir string) {
	data, err := l.a.ReadFile(f, maxConfig)
	var cfg payloadConfig
	if err == nil {
		err = json.Unmarshal(data, &cfg)
	}
	if err != nil {
		l.warn = append(l.warn, fmt.Sprintf("%s: %v; weights there are shown without data", f.Name, err))
		return
	}
	for _, fqn := range sortedKeys(cfg.Config) {
		meta := cfg.Config[fqn]
		t := l.byName[fqn]
		e := l.a.Lookup(dir + meta.PathName)
		if t == nil || e == nil {
			continue
		}
		elemOff := int64(0)
		if meta.TensorMeta != nil {
			if d := symInt(meta.TensorMeta.StorageOffset); d.Known {
				elemOff = d.Size
			}
		}
		t.Location = l.entryLoc(l.a, 0, e, t, elemOff, meta.UsePickle)
	}
}

// entryLoc is where t's bytes are in entry e of archive a, itself at base
// in the file: the raw range when e is stored and holds the tensor, else
// the whole entry as opaque bytes.
func (l *locator) entryLoc(a *ziputil.Archive, base int64, e *zip.File, t *model.Tensor, elemOff int64, pickled bool) *model.Location {
	off, n, stored := a.StoredRange(e)
	if !stored || pickled {
		doff, _ := e.DataOffset()
		return &model.Location{File: l.file, Offset: base + doff, Length: int64(e.CompressedSize64), Encoding: model.EncOpaque}
	}
	size, ok := model.DTypeSize(t.DType)
	numel, ok2 := model.NumElements(t.Shape)
	if ok && ok2 && elemOff >= 0 && numel <= n/int64(size) && elemOff <= (n-numel*int64(size))/int64(size) {
		return &model.Location{File: l.file, Offset: base + off + elemOff*int64(size), Length: numel * int64(size), Encoding: model.EncRaw}
	}
	return &model.Location{File: l.file, Offset: base + off, Length: n, Encoding: model.EncOpaque}
}

// torchSave locates tensors in an embedded torch.save zip (a state dict
// or constants dict) stored uncompressed in the archive.
func (l *locator) torchSave(f *zip.File) {
	off, n, stored := l.a.StoredRange(f)
	if !stored {
		l.warn = append(l.warn, fmt.Sprintf("%s is compressed: the weights it holds are shown without data", f.Name))
		return
	}
	inner, err := ziputil.NewReader(io.NewSectionReader(l.ra, off, n), n, ziputil.DefaultLimits())
	if err == nil {
		err = l.statePickle(inner, off)
	}
	if err != nil {
		l.warn = append(l.warn, fmt.Sprintf("%s: %v; the weights it holds are shown without data", f.Name, err))
	}
}

// statePickle reads the embedded file's data.pkl: a dict of names to
// rebuilt tensors whose storages are entries <root>/data/<key>.
func (l *locator) statePickle(inner *ziputil.Archive, base int64) error {
	var pkl *zip.File
	for _, e := range inner.Files() {
		if dir, b := path.Split(e.Name); b == "data.pkl" && strings.Count(dir, "/") <= 1 {
			pkl = e
			break
		}
	}
	if pkl == nil {
		return fmt.Errorf("no data.pkl")
	}
	root, _ := path.Split(pkl.Name)
	data, err := inner.ReadFile(pkl, maxStatePickle)
	if err != nil {
		return err
	}
	res, err := pickle.DecodeContext(l.ctx, data, 0, pickle.DefaultLimits())
	if err != nil {
		return err
	}
	d, ok := res.Value.(*pickle.Dict)
	if !ok {
		return fmt.Errorf("data.pkl holds a %s, not a dict", pickle.TypeName(res.Value))
	}
	for i, k := range d.Keys {
		t := l.byName[pickle.KeyString(k)]
		if t == nil || t.Location != nil {
			continue
		}
		key, elemOff, ok := storageOf(d.Values[i], 0)
		if e := inner.Lookup(root + "data/" + key); ok && e != nil {
			t.Location = l.entryLoc(inner, base, e, t, elemOff, false)
		}
	}
	return nil
}

// storageOf reads a rebuild call (a parameter around a tensor) for the
// storage key and the element offset into it.
func storageOf(v pickle.Value, depth int) (string, int64, bool) {
	o, ok := v.(*pickle.Object)
	if !ok || depth > 4 || len(o.Args) < 2 {
		if ok && len(o.Args) == 1 && depth <= 4 {
			return storageOf(o.Args[0], depth+1)
		}
		return "", 0, false
	}
	switch o.Class() {
	case "torch._utils._rebuild_parameter", "torch._utils._rebuild_parameter_with_state":
		return storageOf(o.Args[0], depth+1)
	case "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_tensor", "torch._utils._rebuild_tensor_v3":
	default:
		return "", 0, false
	}
	p, ok := o.Args[0].(*pickle.PersID)
	if !ok {
		return "", 0, false
	}
	t, ok := p.ID.(pickle.Tuple)
	if !ok || len(t) < 3 {
		return "", 0, false
	}
	key := pickle.KeyString(t[2])
	off, ok := o.Args[1].(int64)
	if !ok || off < 0 || strings.ContainsAny(key, "/\\") || strings.Contains(key, "..") {
		return "", 0, false
	}
	return key, off, true
}
