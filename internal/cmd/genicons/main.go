// Command genicons draws every icon modelpeek ships: the application icon
// (a small layered graph on a rounded tile) at every size the packages
// need, as PNGs, a Windows .ico and a macOS .icns, into packaging/icons; and
// the tray icons (three nodes, one colour per viewer state) as PNG, ICO and
// macOS template PNGs, into tray/icons. Run it from the module root:
//
//	go run ./internal/cmd/genicons
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/png"
	"log"
	"os"
	"path/filepath"
)

func main() {
	if err := chdirModuleRoot(); err != nil {
		log.Fatal(err)
	}
	writeAppIcons()
	writeTrayIcons()
}

// chdirModuleRoot moves to the directory holding go.mod, so the generator
// runs the same from the root and from go generate in tray/.
func chdirModuleRoot() error {
	dir, err := os.Getwd()
	if err != nil {
		return err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return os.Chdir(dir)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return fmt.Errorf("go.mod not found above %s", dir)
		}
		dir = parent
	}
}

func encode(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// write writes a tray icon file.
func write(name string, data []byte) {
	path := filepath.Join("tray", "icons", name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", path, len(data), "bytes")
}

// ico packs PNG images into an ICO container (PNG-compressed entries are
// valid since Windows Vista).
func ico(images [][]byte, sizes []int) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, uint16(len(images))})
	offset := 6 + 16*len(images)
	for i, img := range images {
		dim := byte(sizes[i])
		if sizes[i] >= 256 {
			dim = 0
		}
		b.Write([]byte{dim, dim, 0, 0})
		binary.Write(&b, binary.LittleEndian, [2]uint16{1, 32})
		binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(len(img)), uint32(offset)})
		offset += len(img)
	}
	for _, img := range images {
		b.Write(img)
	}
	return b.Bytes()
}

// icns packs PNG renderings into an Apple icon family: the "icns" header,
// then one (type, length, PNG) entry per size, big-endian lengths that
// include the 8-byte entry header.
func icns(types map[string]int) ([]byte, error) {
	var body bytes.Buffer
	for _, typ := range []string{"ic07", "ic08", "ic09"} {
		var img bytes.Buffer
		if err := png.Encode(&img, drawApp(types[typ])); err != nil {
			return nil, err
		}
		body.WriteString(typ)
		binary.Write(&body, binary.BigEndian, uint32(8+img.Len()))
		body.Write(img.Bytes())
	}
	var out bytes.Buffer
	out.WriteString("icns")
	binary.Write(&out, binary.BigEndian, uint32(8+body.Len()))
	out.Write(body.Bytes())
	return out.Bytes(), nil
}
