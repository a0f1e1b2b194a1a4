package layout

import "unicode/utf8"

// TextMetric is the fixed text metric node sizes are computed with. The
// browser must draw node text with the same numbers, which are also sent in
// every View as "metric":
//
//	font        "12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"
//	charWidth   7   px per character (every Unicode code point counts as one)
//	lineHeight  16  px per text line (the label is line 0, then Lines)
//	padX        8   px between the box edge and the text, left and right
//	padY        6   px between the box edge and the text, top and bottom
//
// A box is max(MinWidth, 2*padX + charWidth*longestLine) wide and
// 2*padY + lineHeight*lines tall. Text longer than MaxChars characters is
// cut by the layout (ending in "…") before sizing, so the browser draws the
// strings it receives as they are; it may clip at the box edge if its font
// is wider than charWidth.
type TextMetric struct {
	Font       string  `json:"font"`
	CharWidth  float64 `json:"charWidth"`
	LineHeight float64 `json:"lineHeight"`
	PadX       float64 `json:"padX"`
	PadY       float64 `json:"padY"`
	// MinWidth is the smallest box width.
	MinWidth float64 `json:"minWidth"`
	// MaxChars is the longest text line, in characters.
	MaxChars int `json:"maxChars"`
}

// Metric returns the text metric every layout uses (see TextMetric).
func Metric() TextMetric {
	return TextMetric{
		Font:       "12px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace",
		CharWidth:  7,
		LineHeight: 16,
		PadX:       8,
		PadY:       6,
		MinWidth:   48,
		MaxChars:   40,
	}
}

// size returns the box size for a label and further lines.
func (m TextMetric) size(label string, lines []string) (w, h float64) {
	longest := utf8.RuneCountInString(label)
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > longest {
			longest = n
		}
	}
	w = 2*m.PadX + m.CharWidth*float64(longest)
	if w < m.MinWidth {
		w = m.MinWidth
	}
	h = 2*m.PadY + m.LineHeight*float64(1+len(lines))
	return w, h
}

// clip cuts s to at most max characters, ending in "…" when cut.
func clip(s string, max int) string {
	if max < 2 || utf8.RuneCountInString(s) <= max {
		return s
	}
	n := 0
	for i := range s {
		if n == max-1 {
			return s[:i] + "…"
		}
		n++
	}
	return s
}
