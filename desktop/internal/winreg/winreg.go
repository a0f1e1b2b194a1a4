// Package winreg is the small slice of the Windows registry (under
// HKEY_CURRENT_USER) that autostart and file associations use, behind an
// interface so their logic is tested on any OS with Fake.
package winreg

import (
	"errors"
	"sort"
	"strings"
)

// Registry reads and writes values under HKEY_CURRENT_USER. Keys are paths
// like `Software\Classes\.onnx`; the name "" is a key's default value.
type Registry interface {
	GetString(key, name string) (string, error)
	SetString(key, name, value string) error
	GetBinary(key, name string) ([]byte, error)
	DeleteValue(key, name string) error
	// DeleteTree removes a key and everything under it.
	DeleteTree(key string) error
}

// ErrNoValue is returned for a value or key that does not exist.
var ErrNoValue = errors.New("registry value does not exist")

// ErrUnsupported is returned by System on other operating systems.
var ErrUnsupported = errors.New("the Windows registry is not available on this system")

// Fake is an in-memory Registry for tests: key + `\` + name → data.
type Fake map[string][]byte

// GetString implements Registry.
func (f Fake) GetString(k, n string) (string, error) {
	v, ok := f[k+`\`+n]
	if !ok {
		return "", ErrNoValue
	}
	return string(v), nil
}

// GetBinary implements Registry.
func (f Fake) GetBinary(k, n string) ([]byte, error) {
	v, ok := f[k+`\`+n]
	if !ok {
		return nil, ErrNoValue
	}
	return v, nil
}

// SetString implements Registry.
func (f Fake) SetString(k, n, v string) error { f[k+`\`+n] = []byte(v); return nil }

// DeleteValue implements Registry.
func (f Fake) DeleteValue(k, n string) error {
	if _, ok := f[k+`\`+n]; !ok {
		return ErrNoValue
	}
	delete(f, k+`\`+n)
	return nil
}

// DeleteTree implements Registry.
func (f Fake) DeleteTree(k string) error {
	for p := range f {
		if strings.HasPrefix(p, k+`\`) {
			delete(f, p)
		}
	}
	return nil
}

// Keys lists the stored value paths, sorted (for test failure messages).
func (f Fake) Keys() []string {
	var ks []string
	for k := range f {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
