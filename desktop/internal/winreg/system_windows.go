package winreg

import (
	"errors"

	"golang.org/x/sys/windows/registry"
)

type winRegistry struct{}

// System returns the current user's registry.
func System() (Registry, error) { return winRegistry{}, nil }

func open(key string, access uint32) (registry.Key, error) {
	k, err := registry.OpenKey(registry.CURRENT_USER, key, access)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, ErrNoValue
	}
	return k, err
}

func (winRegistry) GetString(key, name string) (string, error) {
	k, err := open(key, registry.QUERY_VALUE)
	if err != nil {
		return "", err
	}
	defer k.Close()
	s, _, err := k.GetStringValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return "", ErrNoValue
	}
	return s, err
}

func (winRegistry) GetBinary(key, name string) ([]byte, error) {
	k, err := open(key, registry.QUERY_VALUE)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	b, _, err := k.GetBinaryValue(name)
	if errors.Is(err, registry.ErrNotExist) {
		return nil, ErrNoValue
	}
	return b, err
}

func (winRegistry) SetString(key, name, value string) error {
	k, _, err := registry.CreateKey(registry.CURRENT_USER, key, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	return k.SetStringValue(name, value)
}

func (winRegistry) DeleteValue(key, name string) error {
	k, err := open(key, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer k.Close()
	if err := k.DeleteValue(name); errors.Is(err, registry.ErrNotExist) {
		return ErrNoValue
	}
	return err
}

func (winRegistry) DeleteTree(key string) error {
	k, err := open(key, registry.ENUMERATE_SUB_KEYS|registry.QUERY_VALUE)
	if errors.Is(err, ErrNoValue) {
		return nil
	}
	if err != nil {
		return err
	}
	subs, err := k.ReadSubKeyNames(-1)
	k.Close()
	if err != nil {
		return err
	}
	for _, s := range subs {
		if err := (winRegistry{}).DeleteTree(key + `\` + s); err != nil {
			return err
		}
	}
	return registry.DeleteKey(registry.CURRENT_USER, key)
}
