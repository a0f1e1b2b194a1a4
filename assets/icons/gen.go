//go:build ignore

// gen draws modelpeek's icons: a small dataflow graph (three nodes, two
// edges) on a rounded tile. Run from assets/icons: go run gen.go
package main

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"log"
	"math"
	"os"
	"strconv"
)

type style struct {
	prefix   string
	tile, fg color.NRGBA
	noTile   bool
	sizes    []int
}

func main() {
	styles := []style{
		{prefix: "icon", tile: color.NRGBA{0x25, 0x63, 0xeb, 0xff}, fg: color.NRGBA{0xff, 0xff, 0xff, 0xff}, sizes: []int{16, 22, 24, 32, 48, 64, 128, 256, 512}},
		{prefix: "tray-stopped", tile: color.NRGBA{0x80, 0x80, 0x80, 0xff}, fg: color.NRGBA{0xff, 0xff, 0xff, 0xff}, sizes: []int{16, 22, 24, 32, 48, 64}},
		{prefix: "tray-template", fg: color.NRGBA{0, 0, 0, 0xff}, noTile: true, sizes: []int{16, 22, 32, 44}},
	}
	icoSizes := map[int][]byte{}
	for _, st := range styles {
		for _, n := range st.sizes {
			b := encode(draw(n, st))
			if err := os.WriteFile(st.prefix+"-"+strconv.Itoa(n)+".png", b, 0o644); err != nil {
				log.Fatal(err)
			}
			if st.prefix == "icon" && (n == 16 || n == 32 || n == 48 || n == 256) {
				icoSizes[n] = b
			}
		}
	}
	if err := os.WriteFile("modelpeek.ico", ico([]int{16, 32, 48, 256}, icoSizes), 0o644); err != nil {
		log.Fatal(err)
	}
}

func encode(img image.Image) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		log.Fatal(err)
	}
	return b.Bytes()
}

// draw renders with 4x4 supersampling.
func draw(n int, st style) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	s := float64(n)
	nodes := [][2]float64{{0.5, 0.24}, {0.28, 0.72}, {0.72, 0.72}}
	r := 0.14
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			var cov, fgCov float64
			for sy := 0; sy < 4; sy++ {
				for sx := 0; sx < 4; sx++ {
					px := (float64(x) + (float64(sx)+0.5)/4) / s
					py := (float64(y) + (float64(sy)+0.5)/4) / s
					inTile := st.noTile || roundRect(px, py, 0.04, 0.22)
					if inTile {
						cov++
					}
					on := false
					for _, c := range nodes {
						if math.Hypot(px-c[0], py-c[1]) < r {
							on = true
						}
					}
					for _, c := range nodes[1:] {
						if segDist(px, py, nodes[0], c) < 0.045 {
							on = true
						}
					}
					if on && inTile {
						fgCov++
					}
				}
			}
			cov /= 16
			fgCov /= 16
			var c color.NRGBA
			if st.noTile {
				c = st.fg
				c.A = uint8(255 * fgCov)
			} else if cov > 0 {
				f := fgCov / cov
				c = color.NRGBA{
					R: uint8(float64(st.tile.R)*(1-f) + float64(st.fg.R)*f),
					G: uint8(float64(st.tile.G)*(1-f) + float64(st.fg.G)*f),
					B: uint8(float64(st.tile.B)*(1-f) + float64(st.fg.B)*f),
					A: uint8(255 * cov),
				}
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func roundRect(x, y, margin, rad float64) bool {
	lo, hi := margin+rad, 1-margin-rad
	dx := math.Max(math.Max(lo-x, x-hi), 0)
	dy := math.Max(math.Max(lo-y, y-hi), 0)
	return x >= margin && x <= 1-margin && y >= margin && y <= 1-margin && math.Hypot(dx, dy) <= rad
}

func segDist(px, py float64, a, b [2]float64) float64 {
	vx, vy := b[0]-a[0], b[1]-a[1]
	t := ((px-a[0])*vx + (py-a[1])*vy) / (vx*vx + vy*vy)
	t = math.Max(0, math.Min(1, t))
	return math.Hypot(px-(a[0]+t*vx), py-(a[1]+t*vy))
}

// ico packs PNG images into a Windows .ico (PNG entries, Vista and later).
func ico(sizes []int, pngs map[int][]byte) []byte {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, [3]uint16{0, 1, uint16(len(sizes))})
	off := 6 + 16*len(sizes)
	for _, n := range sizes {
		dim := uint8(n)
		if n >= 256 {
			dim = 0
		}
		b.Write([]byte{dim, dim, 0, 0})
		binary.Write(&b, binary.LittleEndian, [2]uint16{1, 32})
		binary.Write(&b, binary.LittleEndian, [2]uint32{uint32(len(pngs[n])), uint32(off)})
		off += len(pngs[n])
	}
	for _, n := range sizes {
		b.Write(pngs[n])
	}
	return b.Bytes()
}
