package tray

import "fyne.io/systray"

// LabelComparePrevious is the submenu listing, by name, the models whose
// previous version is kept; it shows while there is one.
const LabelComparePrevious = "Compare with previous version"

// buildCompare adds the "Compare with previous version" submenu with a
// pool of n items (hidden until a model has a previous version).
func (m *menu) buildCompare(n int) {
	sub := systray.AddMenuItem(LabelComparePrevious, "Show what changed since the model's previous version")
	sub.Hide()
	m.compare = newItem(sub, LabelComparePrevious, "", false)
	m.compare.hidden = true
	for range n {
		mi := sub.AddSubMenuItem("", "")
		mi.Hide()
		it := newItem(mi, "", "", false)
		it.hidden = true
		m.compareBy = append(m.compareBy, it)
	}
	m.compareIDs = make([]string, n)
}

// applyCompareLocked lists the models of st that have a previous version
// in the submenu. m.mu must be held.
func (m *menu) applyCompareLocked(st State) {
	k := 0
	for _, mi := range st.Models {
		if mi.Previous == 0 || k == len(m.compareBy) {
			continue
		}
		title := mi.Name
		if title == "" {
			title = mi.Path
		}
		it := m.compareBy[k]
		it.setTitle(menuLabel(title))
		it.setTooltip(mi.Path)
		it.setVisible(true)
		m.compareIDs[k] = mi.ID
		k++
	}
	for ; k < len(m.compareBy); k++ {
		m.compareBy[k].setVisible(false)
		m.compareIDs[k] = ""
	}
	m.compare.setVisible(len(m.compareBy) > 0 && m.compareIDs[0] != "")
}
