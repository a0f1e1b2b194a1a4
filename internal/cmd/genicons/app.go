package main

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"path/filepath"
)

// appSizes are the sizes of the application icon the packages need.
var appSizes = []int{16, 22, 24, 32, 48, 64, 128, 256, 512}

// writeAppIcons writes the application icon: PNGs at every size, a
// multi-size Windows .ico and a macOS .icns, into packaging/icons.
func writeAppIcons() {
	dir := filepath.Join("packaging", "icons")
	var icoImages [][]byte
	var icoSizes []int
	for _, s := range appSizes {
		var buf bytes.Buffer
		if err := png.Encode(&buf, drawApp(s)); err != nil {
			log.Fatal(err)
		}
		name := filepath.Join(dir, fmt.Sprintf("modelpeek-%d.png", s))
		if err := os.WriteFile(name, buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
		if s == 16 || s == 24 || s == 32 || s == 48 || s == 64 || s == 256 {
			icoImages = append(icoImages, buf.Bytes())
			icoSizes = append(icoSizes, s)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "modelpeek.ico"), ico(icoImages, icoSizes), 0o644); err != nil {
		log.Fatal(err)
	}
	icnsData, err := icns(map[string]int{"ic07": 128, "ic08": 256, "ic09": 512})
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "modelpeek.icns"), icnsData, 0o644); err != nil {
		log.Fatal(err)
	}
}

// drawApp renders the application icon at size s with simple anti-aliasing by
// supersampling.
func drawApp(s int) image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, s, s))
	const ss = 4
	tile := color.NRGBA{0x25, 0x63, 0xeb, 0xff}
	node := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	edge := color.NRGBA{0xbf, 0xdb, 0xfe, 0xff}
	// Shapes in unit coordinates.
	nodes := [][2]float64{{0.25, 0.3}, {0.5, 0.3}, {0.75, 0.3}, {0.5, 0.72}}
	inside := func(x, y float64) color.NRGBA {
		// rounded tile
		r := 0.2
		dx := math.Max(math.Max(r-x, x-(1-r)), 0)
		dy := math.Max(math.Max(r-y, y-(1-r)), 0)
		if dx*dx+dy*dy > r*r || x < 0 || y < 0 || x > 1 || y > 1 {
			return color.NRGBA{}
		}
		for _, n := range nodes {
			if math.Abs(x-n[0]) < 0.09 && math.Abs(y-n[1]) < 0.07 {
				return node
			}
		}
		for _, n := range nodes[:3] {
			// segment from n to the bottom node
			ax, ay, bx, by := n[0], n[1], nodes[3][0], nodes[3][1]
			t := ((x-ax)*(bx-ax) + (y-ay)*(by-ay)) / ((bx-ax)*(bx-ax) + (by-ay)*(by-ay))
			t = math.Max(0, math.Min(1, t))
			px, py := ax+t*(bx-ax), ay+t*(by-ay)
			if math.Hypot(x-px, y-py) < 0.03 {
				return edge
			}
		}
		return tile
	}
	for py := 0; py < s; py++ {
		for px := 0; px < s; px++ {
			var r, g, b, a float64
			for sy := 0; sy < ss; sy++ {
				for sx := 0; sx < ss; sx++ {
					c := inside((float64(px)+(float64(sx)+0.5)/ss)/float64(s), (float64(py)+(float64(sy)+0.5)/ss)/float64(s))
					fa := float64(c.A) / 255
					r += float64(c.R) * fa
					g += float64(c.G) * fa
					b += float64(c.B) * fa
					a += fa
				}
			}
			if a == 0 {
				continue
			}
			img.SetNRGBA(px, py, color.NRGBA{uint8(r / a), uint8(g / a), uint8(b / a), uint8(a / (ss * ss) * 255)})
		}
	}
	return img
}
