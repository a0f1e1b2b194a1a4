//go:build !linux

package hugepages

// osSystem is a system without transparent huge pages: no burst advises.
type osSystem struct{}

func (osSystem) thpMode() string                      { return "" }
func (osSystem) overcommit() int                      { return -1 }
func (osSystem) available() int64                     { return 0 }
func (osSystem) reserve(int64) (lo, hi uintptr)       { return 0, 0 }
func (osSystem) advise(lo, hi uintptr, on bool) error { return nil }
