package tensorflow

import (
	"context"
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/internal/pbwire"
)

// wire decodes binary TensorFlow protos from an in-memory file. Offsets
// passed to pbwire.Walk are file offsets, so tensor_content locations
// point into the file.
type wire struct {
	ctx  context.Context
	path string
	// budget is the estimated bytes of decoded structure still allowed.
	budget int64
}

// errTooBig is returned when the decoded structure would outgrow the
// file's budget.
var errTooBig = errors.New("the file describes far more structure than its size allows")

// structure costs, in estimated bytes of memory, of decoded items.
const (
	costNode = 512
	costAttr = 256
)

func newWire(ctx context.Context, path string, size int64) *wire {
	return &wire{ctx: ctx, path: path, budget: 32*size + 64<<20}
}

// spend charges n estimated bytes, and checks the context now and then.
func (w *wire) spend(n int64) error {
	w.budget -= n
	if w.budget < 0 {
		return errTooBig
	}
	if n >= costAttr {
		return model.Charge(w.ctx, 1)
	}
	return nil
}

// walk is pbwire.Walk with a depth check.
func walk(msg []byte, base int64, d pbwire.Depth, fn func(f pbwire.Field, d pbwire.Depth) error) error {
	d, err := d.Enter()
	if err != nil {
		return err
	}
	return pbwire.Walk(msg, base, func(f pbwire.Field) error { return fn(f, d) })
}

// wantBytes checks that a field holding a message or string is
// length-delimited.
func wantBytes(f pbwire.Field, what string) error {
	if f.Type != protowire.BytesType {
		return fmt.Errorf("%w: %s (field %d) has wire type %d, not a length-delimited value", pbwire.ErrMalformed, what, f.Num, f.Type)
	}
	return nil
}

// savedModel decodes a SavedModel.
func (w *wire) savedModel(b []byte) (*savedModel, error) {
	sm := &savedModel{}
	err := walk(b, 0, 0, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 1:
			sm.schemaVersion = f.Int()
		case 2:
			if err := wantBytes(f, "meta_graphs"); err != nil {
				return err
			}
			mg, err := w.metaGraph(f.Bytes, f.Off, d)
			if err != nil {
				return fmt.Errorf("meta graph %d: %w", len(sm.metaGraphs), err)
			}
			sm.metaGraphs = append(sm.metaGraphs, mg)
		}
		return nil
	})
	return sm, err
}

// metaGraph decodes a MetaGraphDef.
func (w *wire) metaGraph(b []byte, base int64, d pbwire.Depth) (*metaGraph, error) {
	mg := &metaGraph{}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		if f.Num > 7 || f.Num == 3 || f.Num == 4 || f.Num == 6 {
			return nil
		}
		if err := wantBytes(f, "meta graph field"); err != nil {
			return err
		}
		switch f.Num {
		case 1:
			return w.metaInfo(f.Bytes, f.Off, d, mg)
		case 2:
			g, err := w.graphDef(f.Bytes, f.Off, d)
			mg.graph = g
			return err
		case 5:
			s, err := w.signatureEntry(f.Bytes, f.Off, d)
			if s != nil {
				mg.signatures = append(mg.signatures, s)
			}
			return err
		case 7:
			mg.hasObjGraph = true
			return walk(f.Bytes, f.Off, d, func(f pbwire.Field, _ pbwire.Depth) error {
				if f.Num == 1 {
					mg.objectNodes++
				}
				return nil
			})
		}
		return nil
	})
	return mg, err
}

// metaInfo decodes the tags and version of a MetaInfoDef.
func (w *wire) metaInfo(b []byte, base int64, d pbwire.Depth, mg *metaGraph) error {
	return walk(b, base, d, func(f pbwire.Field, _ pbwire.Depth) error {
		switch f.Num {
		case 4:
			if err := w.spend(int64(len(f.Bytes)) + 16); err != nil {
				return err
			}
			mg.tags = append(mg.tags, f.String())
		case 5:
			mg.tfVersion = f.String()
		}
		return nil
	})
}

// signatureEntry decodes one signature_def map entry.
func (w *wire) signatureEntry(b []byte, base int64, d pbwire.Depth) (*signature, error) {
	s := &signature{}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 1:
			s.key = f.String()
		case 2:
			if err := wantBytes(f, "signature"); err != nil {
				return err
			}
			return w.signatureDef(f.Bytes, f.Off, d, s)
		}
		return nil
	})
	return s, err
}

// signatureDef decodes a SignatureDef's inputs, outputs and method.
func (w *wire) signatureDef(b []byte, base int64, d pbwire.Depth, s *signature) error {
	return walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 1, 2:
			if err := wantBytes(f, "signature tensor"); err != nil {
				return err
			}
			t, err := w.tensorInfoEntry(f.Bytes, f.Off, d)
			if err != nil {
				return err
			}
			if f.Num == 1 {
				s.inputs = append(s.inputs, t)
			} else {
				s.outputs = append(s.outputs, t)
			}
		case 3:
			s.method = f.String()
		}
		return nil
	})
}

// tensorInfoEntry decodes one map<string, TensorInfo> entry.
func (w *wire) tensorInfoEntry(b []byte, base int64, d pbwire.Depth) (*sigTensor, error) {
	if err := w.spend(costAttr); err != nil {
		return nil, err
	}
	t := &sigTensor{}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 1:
			t.key = f.String()
		case 2:
			if err := wantBytes(f, "tensor info"); err != nil {
				return err
			}
			return walk(f.Bytes, f.Off, d, func(f pbwire.Field, d pbwire.Depth) error {
				var err error
				switch f.Num {
				case 1:
					t.name = f.String()
				case 2:
					t.dtype = f.Int()
				case 3:
					if err = wantBytes(f, "tensor shape"); err == nil {
						t.shape, err = w.shape(f.Bytes, f.Off, d)
					}
				}
				return err
			})
		}
		return nil
	})
	return t, err
}

// shape decodes a TensorShapeProto.
func (w *wire) shape(b []byte, base int64, d pbwire.Depth) (shapeInfo, error) {
	s := shapeInfo{present: true, dims: []int64{}}
	err := walk(b, base, d, func(f pbwire.Field, d pbwire.Depth) error {
		switch f.Num {
		case 2:
			if err := wantBytes(f, "dim"); err != nil {
				return err
			}
			if err := w.spend(8); err != nil {
				return err
			}
			var size int64
			err := walk(f.Bytes, f.Off, d, func(f pbwire.Field, _ pbwire.Depth) error {
				if f.Num == 1 {
					size = f.Int()
				}
				return nil
			})
			s.dims = append(s.dims, size)
			return err
		case 3:
			s.unknownRank = f.Bool()
		}
		return nil
	})
	return s, err
}
