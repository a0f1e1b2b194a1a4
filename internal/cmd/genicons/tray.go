package main

import (
	"image"
	"image/color"
	"math"
)

// trayStates are the tray icon colours, one per viewer state.
var trayStates = map[string]color.NRGBA{
	"running": {0x1e, 0x88, 0xe5, 0xff}, // blue
	"stopped": {0x8a, 0x8a, 0x8a, 0xff}, // grey
	"error":   {0xe5, 0x39, 0x35, 0xff}, // red
}

// writeTrayIcons writes the tray icons into tray/icons: PNG (Linux,
// macOS), ICO with PNG payloads (Windows) and black template PNGs for the
// macOS menu bar.
func writeTrayIcons() {
	for name, c := range trayStates {
		p32 := encode(drawTray(32, c, name == "error"))
		write(name+".png", p32)
		write(name+".ico", ico([][]byte{
			encode(drawTray(16, c, name == "error")),
			p32,
			encode(drawTray(48, c, name == "error")),
		}, []int{16, 32, 48}))
	}
	// macOS templates: black with alpha; the system tints them. Stopped
	// is drawn faint so the two states stay apart in the menu bar.
	write("template.png", encode(drawTray(32, color.NRGBA{0, 0, 0, 0xff}, false)))
	write("template-stopped.png", encode(drawTray(32, color.NRGBA{0, 0, 0, 0x70}, false)))
}

// drawTray renders the tray glyph at size px: a node on top linked to two nodes
// below; with bad set, a cross replaces the lower-right node.
func drawTray(size int, c color.NRGBA, bad bool) *image.NRGBA {
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
