package assets

import (
	"bytes"
	"encoding/binary"
	"image/png"
	"io/fs"
	"strconv"
	"strings"
	"testing"
)

func TestWebHasIndex(t *testing.T) {
	b, err := fs.ReadFile(Web, "index.html")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("<html")) {
		t.Fatalf("index.html does not look like HTML: %.80q", b)
	}
}

func TestIconsDecode(t *testing.T) {
	for _, name := range []string{"icon-16.png", "icon-32.png", "icon-256.png", "tray-stopped-22.png", "tray-template-22.png"} {
		b, err := Icon(name)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		want, _ := strconv.Atoi(name[strings.LastIndex(name, "-")+1 : strings.Index(name, ".")])
		if img.Bounds().Dx() != want || img.Bounds().Dy() != want {
			t.Errorf("%s is %v, want %dpx square", name, img.Bounds(), want)
		}
	}
}

func TestICO(t *testing.T) {
	b, err := Icon("modelpeek.ico")
	if err != nil {
		t.Fatal(err)
	}
	var hdr [3]uint16
	if err := binary.Read(bytes.NewReader(b), binary.LittleEndian, &hdr); err != nil {
		t.Fatal(err)
	}
	if hdr[0] != 0 || hdr[1] != 1 || hdr[2] == 0 {
		t.Fatalf("bad ICO header %v", hdr)
	}
	for i := 0; i < int(hdr[2]); i++ {
		e := b[6+16*i:]
		size := binary.LittleEndian.Uint32(e[8:])
		off := binary.LittleEndian.Uint32(e[12:])
		if int(off)+int(size) > len(b) {
			t.Fatalf("entry %d out of bounds", i)
		}
		if _, err := png.Decode(bytes.NewReader(b[off : off+size])); err != nil {
			t.Fatalf("entry %d: %v", i, err)
		}
	}
}
