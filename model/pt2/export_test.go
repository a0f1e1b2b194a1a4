package pt2

// Helpers for the external tests (package pt2_test, which may import
// model/pytorch).
var (
	ZipBytes     = zipBytes
	Stored       = stored
	TorchSaveZip = torchSaveZip
	Archive      = pt2Archive
	ProgramJSON  = programJSON
)

// StoredBytes is a stored entry holding data.
func StoredBytes(name string, data []byte) entry { return entry{name: name, data: data, store: true} }
