package pt2_test

import (
	"testing"

	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/pt2"
	"github.com/modelpeek/modelpeek/model/pytorch"
)

// TestDetectAgreement checks that exactly one of pt2 and pytorch claims
// each archive, whatever order the entries come in.
func TestDetectAgreement(t *testing.T) {
	small := pt2.ZipBytes(t, pt2.Stored("serialized_exported_program.json", pt2.ProgramJSON()), pt2.StoredBytes("serialized_state_dict.json", pt2.TorchSaveZip(t)))
	cases := []struct {
		name string
		data []byte
		pt2  bool
	}{
		{"pt2 archive", pt2.Archive(t), true},
		{"pt2 archive, byteorder first", pt2.Archive(t, pt2.Stored("package/byteorder", "little")), true},
		{"pt2 archive, weights first", pt2.ZipBytes(t, pt2.Stored("package/data/weights/weight_0", "x"), pt2.Stored("package/archive_format", "pt2")), true},
		{"old layout with a state dict inside the head", small, true},
		{"torch.save", pt2.TorchSaveZip(t), false},
		{"pt2 archive without a root folder", pt2.ZipBytes(t, pt2.Stored("byteorder", "little"), pt2.Stored("models/m.json", "{}")), true},
		{"torch.save saved as models.pt", pt2.ZipBytes(t, pt2.Stored("models/data.pkl", "\x80\x02}."), pt2.Stored("models/data/0", "x")), false},
		{"TorchScript saved as data.pt", pt2.ZipBytes(t, pt2.Stored("data/data.pkl", "\x80\x02}."), pt2.Stored("data/constants/0", "x"), pt2.Stored("data/code/__torch__.py", "")), false},
		{"torch.save rooted at package/", pt2.ZipBytes(t, pt2.Stored("package/data.pkl", "\x80\x02}."), pt2.Stored("package/data/0", "x")), false},
	}
	for _, c := range cases {
		head := c.data[:min(len(c.data), model.SniffLen)]
		mine, theirs := pt2.Detect(head, int64(len(c.data))) != model.No, pytorch.Detect(head, int64(len(c.data))) != model.No
		if mine != c.pt2 || theirs == c.pt2 {
			t.Errorf("%s: pt2 claims %v, pytorch claims %v", c.name, mine, theirs)
		}
	}
}
