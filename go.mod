module github.com/modelpeek/modelpeek

go 1.26.0

require (
	fyne.io/systray v1.12.2
	github.com/chromedp/cdproto v0.159.2
	github.com/chromedp/chromedp v0.23.0
	github.com/evanw/esbuild v0.28.2
	github.com/fsnotify/fsnotify v1.10.1
	github.com/godbus/dbus/v5 v5.2.4
	github.com/google/flatbuffers v25.12.19+incompatible
	go.uber.org/goleak v1.3.0
	golang.org/x/sync v0.25.0
	golang.org/x/sys v0.50.0
	google.golang.org/protobuf v1.36.12
)

require github.com/go-json-experiment/json v0.0.0-20260213210345-44df1a37e875 // indirect

// updatemaxprocs=0: since Go 1.25 the runtime re-reads the cgroup CPU
// limit about once a second to update GOMAXPROCS, and that wakes the
// tray app at rest. modelpeek never needs GOMAXPROCS to follow a limit
// changed while it runs; the limit at start is still honoured.
godebug updatemaxprocs=0
