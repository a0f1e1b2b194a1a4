package tray

import (
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"sync"

	"fyne.io/systray"
)

// Menu labels. Tests find items by these.
const (
	LabelNoModels    = "No models open"
	LabelOpen        = "Open model…"
	LabelRecent      = "Recent"
	LabelNoRecent    = "(empty)"
	LabelClearRecent = "Clear"
	LabelBrowser     = "Open viewer in browser"
	LabelStart       = "Start viewer"
	LabelStop        = "Stop viewer"
	LabelWatch       = "Watch for changes"
	LabelAutostart   = "Start at login"
	LabelAbout       = "About modelpeek"
	LabelQuit        = "Quit modelpeek"
)

// item wraps a systray item and remembers what was last set, so applying
// a State only talks to the tray host about what really changed.
type item struct {
	mi       *systray.MenuItem
	title    string
	tooltip  string
	hidden   bool
	disabled bool
	checked  bool
}

func newItem(mi *systray.MenuItem, title, tooltip string, checked bool) *item {
	return &item{mi: mi, title: title, tooltip: tooltip, checked: checked}
}

func (it *item) setTitle(s string) {
	if it.title != s {
		it.title = s
		it.mi.SetTitle(s)
	}
}

func (it *item) setTooltip(s string) {
	if it.tooltip != s {
		it.tooltip = s
		it.mi.SetTooltip(s)
	}
}

func (it *item) setVisible(on bool) {
	if it.hidden == !on {
		return
	}
	it.hidden = !on
	if on {
		it.mi.Show()
	} else {
		it.mi.Hide()
	}
}

func (it *item) setEnabled(on bool) {
	if it.disabled == !on {
		return
	}
	it.disabled = !on
	if on {
		it.mi.Enable()
	} else {
		it.mi.Disable()
	}
}

func (it *item) setChecked(on bool) {
	if it.checked == on {
		return
	}
	it.checked = on
	if on {
		it.mi.Check()
	} else {
		it.mi.Uncheck()
	}
}

// menu is the tray menu. It is built once; dynamic parts (open models,
// recent files) are fixed pools of items shown and hidden as needed,
// because systray cannot remove items cleanly.
type menu struct {
	// mu guards every item and the fields below; every call into systray
	// that changes the menu happens with mu held.
	mu          sync.Mutex
	models      []*item
	modelIDs    []string // model ID per models slot
	moreModels  *item
	noModels    *item
	compare     *item   // the "Compare with previous version" submenu
	compareBy   []*item // its items, a pool like models
	compareIDs  []string
	open        *item
	recent      *item
	recentItems []*item
	recentPaths []string // path per recentItems slot
	noRecent    *item
	clearRecent *item
	browser     *item
	startStop   *item
	watch       *item
	autostart   *item
	about       *item
	quit        *item
	icon        iconState
	tip         string
	version     string
}

// build creates every item (hidden where the State will decide) and
// applies st. Called once, from onReady.
func (m *menu) build(st State, maxModels, maxRecent int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	hidden := func(mi *systray.MenuItem) *item {
		mi.Hide()
		it := newItem(mi, "", "", false)
		it.hidden = true
		return it
	}
	for i := 0; i < maxModels; i++ {
		m.models = append(m.models, hidden(systray.AddMenuItem("", "")))
	}
	m.modelIDs = make([]string, maxModels)
	m.moreModels = hidden(systray.AddMenuItem("", "Show all open models in the viewer"))
	m.noModels = newItem(systray.AddMenuItem(LabelNoModels, ""), LabelNoModels, "", false)
	m.noModels.setEnabled(false)
	m.buildCompare(maxModels)
	systray.AddSeparator()

	m.open = newItem(systray.AddMenuItem(LabelOpen, "Choose model files to open"), LabelOpen, "", false)
	rec := systray.AddMenuItem(LabelRecent, "Recently opened models")
	m.recent = newItem(rec, LabelRecent, "", false)
	for i := 0; i < maxRecent; i++ {
		m.recentItems = append(m.recentItems, hidden(rec.AddSubMenuItem("", "")))
	}
	m.recentPaths = make([]string, maxRecent)
	m.noRecent = newItem(rec.AddSubMenuItem(LabelNoRecent, ""), LabelNoRecent, "", false)
	m.noRecent.setEnabled(false)
	rec.AddSeparator()
	m.clearRecent = newItem(rec.AddSubMenuItem(LabelClearRecent, "Forget the recent files"), LabelClearRecent, "", false)
	systray.AddSeparator()

	m.browser = newItem(systray.AddMenuItem(LabelBrowser, ""), LabelBrowser, "", false)
	m.startStop = newItem(systray.AddMenuItem(LabelStart, ""), LabelStart, "", false)
	systray.AddSeparator()
	m.watch = newItem(systray.AddMenuItemCheckbox(LabelWatch, "Reload models when their files change", false), LabelWatch, "", false)
	m.autostart = newItem(systray.AddMenuItemCheckbox(LabelAutostart, "Start modelpeek when you log in", false), LabelAutostart, "", false)
	systray.AddSeparator()
	m.about = newItem(systray.AddMenuItem(LabelAbout, ""), LabelAbout, "", false)
	m.quit = newItem(systray.AddMenuItem(LabelQuit, "Stop the viewer and quit"), LabelQuit, "", false)
	m.icon = -1
	m.applyLocked(st)
}

// applyLocked makes the menu, icon and tooltip show st. m.mu must be held.
func (m *menu) applyLocked(st State) {
	for i, it := range m.models {
		if i < len(st.Models) {
			mi := st.Models[i]
			title := mi.Name
			if title == "" {
				title = mi.Path
			}
			title = menuLabel(title)
			if mi.Error != "" {
				title += " (error)"
			}
			it.setTitle(title)
			tip := mi.Path
			if mi.Error != "" {
				tip += ": " + mi.Error
			}
			it.setTooltip(tip)
			it.setVisible(true)
			m.modelIDs[i] = mi.ID
		} else {
			it.setVisible(false)
			m.modelIDs[i] = ""
		}
	}
	if extra := len(st.Models) - len(m.models); extra > 0 {
		m.moreModels.setTitle(fmt.Sprintf("%d more…", extra))
		m.moreModels.setVisible(true)
	} else {
		m.moreModels.setVisible(false)
	}
	m.noModels.setVisible(len(st.Models) == 0)
	m.applyCompareLocked(st)

	for i, it := range m.recentItems {
		if i < len(st.Recent) {
			p := st.Recent[i]
			it.setTitle(menuLabel(shortPath(p)))
			it.setTooltip(p)
			it.setVisible(true)
			m.recentPaths[i] = p
		} else {
			it.setVisible(false)
			m.recentPaths[i] = ""
		}
	}
	m.noRecent.setVisible(len(st.Recent) == 0)
	m.clearRecent.setEnabled(len(st.Recent) > 0)

	if st.Running {
		m.startStop.setTitle(LabelStop)
		m.browser.setTooltip(displayURL(st.URL))
	} else {
		m.startStop.setTitle(LabelStart)
		m.browser.setTooltip("Starts the viewer and opens it")
	}
	m.watch.setChecked(st.Watching)
	m.autostart.setChecked(st.Autostart)
	m.version = st.Version
	m.about.setTooltip("modelpeek " + st.Version)

	if ic := stateIcon(st); ic != m.icon {
		m.icon = ic
		setIcon(ic)
	}
	if tip := tooltip(st); tip != m.tip {
		m.tip = tip
		systray.SetTooltip(tip)
	}
}

// setIcon shows ic; on macOS the running and stopped states use the
// monochrome template images the menu bar tints (other systems use the
// regular icon), the error state stays red everywhere.
func setIcon(ic iconState) {
	switch ic {
	case iconRunning:
		systray.SetTemplateIcon(iconTemplateRunning, iconBytes(ic))
	case iconStopped:
		systray.SetTemplateIcon(iconTemplateStopped, iconBytes(ic))
	default:
		systray.SetIcon(iconBytes(ic))
	}
}

// tooltip describes st in one line: address (or why there is none) and
// how many models are open.
func tooltip(st State) string {
	var b strings.Builder
	b.WriteString("modelpeek")
	switch {
	case st.Err != "":
		b.WriteString(" — " + st.Err)
	case st.Running:
		b.WriteString(" — " + displayURL(st.URL))
	default:
		b.WriteString(" — viewer stopped")
	}
	switch n := len(st.Models); n {
	case 0:
		b.WriteString(" — no models open")
	case 1:
		b.WriteString(" — 1 model open")
	default:
		fmt.Fprintf(&b, " — %d models open", n)
	}
	return b.String()
}

// displayURL drops the query and fragment (the launch token) from u.
func displayURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	p.RawQuery, p.Fragment = "", ""
	return p.String()
}

// menuLabel makes s, a file name or path, show as it is in a menu label.
// dbusmenu (Linux and the BSDs) takes a single "_" as the mark of the next
// letter's keyboard mnemonic and hides it, so every "_" is doubled there;
// Windows menus do the same with "&". macOS menus have no mnemonics.
// Tooltips are plain text and need no escaping.
func menuLabel(s string) string {
	return escapeMnemonics(runtime.GOOS, s)
}

// escapeMnemonics escapes the mnemonic marker of goos's menus in s.
func escapeMnemonics(goos, s string) string {
	switch goos {
	case "darwin":
		return s
	case "windows":
		return strings.ReplaceAll(s, "&", "&&")
	default:
		return strings.ReplaceAll(s, "_", "__")
	}
}

// shortPath shows the last two elements of a path, enough to tell recent
// files apart without a very wide menu.
func shortPath(p string) string {
	p = strings.ReplaceAll(p, `\`, "/")
	parts := strings.Split(strings.TrimRight(p, "/"), "/")
	if len(parts) <= 2 {
		return p
	}
	return "…/" + strings.Join(parts[len(parts)-2:], "/")
}
