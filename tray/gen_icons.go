//go:build ignore

// gen_icons draws the tray icons (a small graph: three nodes and two
// edges) in one color per state and writes them to icons/ as PNG (Linux,
// macOS), ICO with PNG payloads (Windows) and a black template PNG for the
// macOS menu bar. Run it from this directory: go run gen_icons.go
package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

var states = map[string]color.NRGBA{
	"running": {0x1e, 0x88, 0xe5, 0xff}, // blue
	"stopped": {0x8a, 0x8a, 0x8a, 0xff}, // grey
	"error":   {0xe5, 0x39, 0x35, 0xff}, // red
}

func main() {
	for name, c := range states {
		p32 := encode(draw(32, c, name == "error"))
		write(name+".png", p32)
		write(name+".ico", ico(map[int][]byte{
			16: encode(draw(16, c, name == "error")),
			32: p32,
			48: encode(draw(48, c, name == "error")),
		}))
	}
	// macOS templates: black with alpha; the system tints them. Stopped
	// is drawn faint so the two states stay apart in the menu bar.
	write("template.png", encode(draw(32, color.NRGBA{0, 0, 0, 0xff}, false)))
	write("template-stopped.png", encode(draw(32, color.NRGBA{0, 0, 0, 0x70}, false)))
}

// draw renders the glyph at size px: a node on top linked to two nodes
// below; with bad set, a cross replaces the lower-right node.
func draw(size int, c color.NRGBA, bad bool) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, size, size))
	s := float64(size)
	top := [2]float64{0.5 * s, 0.22 * s}
	left := [2]float64{0.22 * s, 0.76 * s}
	right := [2]float64{0.78 * s, 0.76 * s}
	r := 0.16 * s
	w := math.Max(1.2, 0.08*s)
	for y := 0; y < size; y++ {
		for x := 0; x < size; x++ {
			// Supersample 4x4 for smooth edges.
			hits := 0
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					px := float64(x) + (float64(sx)+0.5)/4
					py := float64(y) + (float64(sy)+0.5)/4
					if inside(px, py, top, left, right, r, w, bad) {
						hits++
					}
				}
			}
			if hits > 0 {
				a := uint8(int(c.A) * hits / 16)
				img.SetNRGBA(x, y, color.NRGBA{c.R, c.G, c.B, a})
			}
		}
	}
	return img
}

func inside(px, py float64, top, left, right [2]float64, r, w float64, bad bool) bool {
	if dist(px, py, top) <= r || dist(px, py, left) <= r {
		return true
	}
	if segDist(px, py, top, left) <= w/2 || segDist(px, py, top, right) <= w/2 {
		if !bad || dist(px, py, right) > r {
			return true
		}
	}
	if !bad {
		return dist(px, py, right) <= r
	}
	// A cross in place of the lower-right node.
	a := [2]float64{right[0] - r, right[1] - r}
	b := [2]float64{right[0] + r, right[1] + r}
	c := [2]float64{right[0] - r, right[1] + r}
	d := [2]float64{right[0] + r, right[1] - r}
	return segDist(px, py, a, b) <= w*0.75 || segDist(px, py, c, d) <= w*0.75
}

func dist(px, py float64, p [2]float64) float64 { return math.Hypot(px-p[0], py-p[1]) }

func segDist(px, py float64, a, b [2]float64) float64 {
	dx, dy := b[0]-a[0], b[1]-a[1]
	t := ((px-a[0])*dx + (py-a[1])*dy) / (dx*dx + dy*dy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(px-(a[0]+t*dx), py-(a[1]+t*dy))
}

func encode(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// ico packs PNG images into an ICO container (ICONDIR + ICONDIRENTRY
// records, PNG payloads, supported since Windows Vista).
func ico(imgs map[int][]byte) []byte {
	sizes := []int{16, 32, 48}
	var b bytes.Buffer
	le := binary.LittleEndian
	binary.Write(&b, le, [3]uint16{0, 1, uint16(len(sizes))})
	offset := 6 + 16*len(sizes)
	for _, sz := range sizes {
		data := imgs[sz]
		binary.Write(&b, le, struct {
			W, H, Colors, Reserved uint8
			Planes, BPP            uint16
			Size, Offset           uint32
		}{uint8(sz), uint8(sz), 0, 0, 1, 32, uint32(len(data)), uint32(offset)})
		offset += len(data)
	}
	for _, sz := range sizes {
		b.Write(imgs[sz])
	}
	return b.Bytes()
}

func write(name string, data []byte) {
	path := filepath.Join("icons", name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Println("wrote", path, len(data), "bytes")
}
