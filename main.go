// Command modelpeek shows ML model files as interactive graphs in the
// browser, from a tray icon or a terminal.
//
//	modelpeek [--no-browser] [FILE...]                 tray app (headless if no tray)
//	modelpeek serve [--addr ADDR] [--no-browser] [FILE...]
//	modelpeek inspect [--json] FILE
//	modelpeek diff [--json] A B
//	modelpeek version
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"

	"github.com/modelpeek/modelpeek/app"
	"github.com/modelpeek/modelpeek/desktop/autostart"
	"github.com/modelpeek/modelpeek/desktop/instance"
	"github.com/modelpeek/modelpeek/desktop/integrate"
	"github.com/modelpeek/modelpeek/internal/hugepages"
	"github.com/modelpeek/modelpeek/internal/version"
	"github.com/modelpeek/modelpeek/model"
	"github.com/modelpeek/modelpeek/model/all"
	"github.com/modelpeek/modelpeek/packaging"
	"github.com/modelpeek/modelpeek/server"
	"github.com/modelpeek/modelpeek/tray"
)

const usage = `modelpeek shows ML model files as interactive graphs in the browser.

Usage:
  modelpeek [--no-browser] [--new-instance] [--compare A B | FILE...]
        tray app; without a system tray it runs like "serve"; a second
        launch hands its files to the running one (unless --new-instance)
  modelpeek serve [--addr 127.0.0.1:0] [--no-browser] [--watch-stdin] [--compare A B | FILE...]
        serve the viewer until interrupted; the first output line is
        "modelpeek: serving http://HOST:PORT/..."
  modelpeek inspect [--json] FILE
        print a summary of a model file
  modelpeek diff [--json] A B
        compare two models; exit 0 equal, 1 different, 2 error
  modelpeek autostart enable|disable|status
        start at login (quietly, without opening the browser)
  modelpeek integrate [--uninstall]
        register file types and the menu entry for this user
  modelpeek version

Environment:
  MODELPEEK_MAX_UPLOAD   largest file the page may upload (default 8G;
                         suffixes K, M, G, T)
  MODELPEEK_LOG          debug or info for more log output on stderr
                         (error for less)
  MODELPEEK_HUGEPAGES    0: never ask Linux for huge pages while a big
                         model is read (default: ask where it is safe)

Flags:
  --addr ADDR      loopback address to listen on (port 0: a free port)
  --no-browser     do not open the browser
  --compare        open the two files in the viewer's compare view
  --watch-stdin    (serve) quit when standard input closes: a program that
                   starts modelpeek keeps the pipe open while it lives
  --json           (inspect, diff) print the summary or the changes as JSON
  --tensor NAME    (inspect) print one tensor's statistics as JSON
  --dim NAME=N     (inspect, diff) evaluate the cost with the symbolic
                   dimension NAME (batch, n_tokens, ...) set to N (default 1)
  -h, --help       show this help
`

func main() {
	log := newLogger(os.Stderr)
	installLogger(log)
	os.Exit(runLogged(os.Args[1:], os.Stdout, os.Stderr, log))
}

// run executes one command line with a logger of its own on stderr and
// returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	return runLogged(args, stdout, stderr, newLogger(stderr))
}

// runLogged executes one command line, logging to log, and returns the
// exit status.
func runLogged(args []string, stdout, stderr io.Writer, log *slog.Logger) int {
	if len(args) > 0 {
		switch args[0] {
		case "serve":
			return cmdServe(args[1:], stdout, stderr, false, log)
		case "inspect":
			return cmdInspect(args[1:], stdout, stderr)
		case "diff":
			return cmdDiff(args[1:], stdout, stderr)
		case "version":
			if len(args) > 1 {
				return badUsage(stderr, "version takes no arguments")
			}
			fmt.Fprintln(stdout, "modelpeek", version.String())
			return 0
		case "autostart":
			return cmdAutostart(args[1:], stdout, stderr)
		case "integrate":
			return cmdIntegrate(args[1:], stdout, stderr)
		case "help":
			fmt.Fprint(stdout, usage)
			return 0
		}
	}
	return cmdServe(args, stdout, stderr, true, log)
}

func badUsage(stderr io.Writer, msg string) int {
	fmt.Fprintf(stderr, "modelpeek: %s\n\n%s", msg, usage)
	return 2
}

// parseFlags parses flags and positional arguments in any order ("--"
// ends flags). It returns the positional arguments, or an exit status.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer) ([]string, int, bool) {
	fs.SetOutput(io.Discard)
	var rest []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, usage)
				return nil, 0, false
			}
			return nil, badUsage(stderr, err.Error()), false
		}
		args = fs.Args()
		if len(args) == 0 {
			return rest, 0, true
		}
		rest = append(rest, args[0])
		args = args[1:]
	}
}

// cmdServe runs the viewer until SIGINT/SIGTERM or Quit; with withTray it
// shows the tray icon when a tray host is available.
func cmdServe(args []string, stdout, stderr io.Writer, withTray bool, log *slog.Logger) int {
	opts, files, code, ok := parseServeFlags(args, stdout, stderr, withTray)
	if !ok {
		return code
	}
	if len(files) > 0 {
		// A mistyped name is said at once in the terminal, and a command
		// line none of whose files can be read serves nothing.
		files = readableFiles(files, stderr)
		if len(files) == 0 {
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// After the first signal, a second one kills the process the default
	// way, whatever is still running.
	context.AfterFunc(ctx, stop)
	if opts.watchStdin {
		go quitOnEOF(os.Stdin, stop)
	}

	maxUpload, err := uploadLimit()
	if err != nil {
		fmt.Fprintf(stderr, "modelpeek: %v\n", err)
		return 2
	}
	// The tray app is one per session: a later launch hands its files to
	// the running one and exits.
	var single *singleInstance
	switch {
	case withTray && opts.newInstance:
		single = newSingleInstance(ctx, log)
	case withTray:
		var forwarded bool
		single, forwarded = acquireInstance(ctx, files, opts.noBrowser, opts.compare, log)
		if forwarded {
			fmt.Fprintln(stderr, "modelpeek: handed over to the running modelpeek")
			return 0
		}
		defer single.close()
	}
	heap := hugePages(log)
	if len(files) > 0 {
		// The files are read as soon as the app is up: reserve the heap's
		// range for their burst meanwhile (hugepages.Heap.Reserve).
		go heap.Reserve()
	}
	a, err := app.New(ctx, app.Options{
		Addr:      opts.addr,
		Version:   version.String(),
		Registry:  all.Registry(),
		Logger:    log,
		Autostart: autostart.For(autostart.Config{}),
		HugePages: heap,
		Server: func(c *server.Config) {
			c.MaxUpload = maxUpload
			c.UploadQuota = 2 * maxUpload
		},
	})
	if err != nil {
		fmt.Fprintf(stderr, "modelpeek: %v\n", err)
		return 1
	}
	if err := a.StartViewer(); err != nil {
		fmt.Fprintf(stderr, "modelpeek: %v\n", err)
		a.Quit()
		a.Wait()
		return 1
	}
	show, pair := openInitial(a, files, opts.compare, stderr, log)
	fmt.Fprintf(stdout, "modelpeek: serving %s\n", a.State().URL)
	if f, ok := stdout.(*os.File); ok {
		f.Sync()
	}
	switch {
	case opts.noBrowser:
	case pair != nil:
		showCompare(a, pair, stderr, log)
	default:
		showPage(a, show, stderr, log)
	}
	if withTray {
		runTray(a, single, opts.noBrowser, stderr, log)
	}
	if err := a.Wait(); err != nil {
		fmt.Fprintf(stderr, "modelpeek: %v\n", err)
		return 1
	}
	return 0
}

// serveOptions are the flags of serve and of the tray app.
type serveOptions struct {
	addr        string
	noBrowser   bool
	watchStdin  bool
	newInstance bool
	compare     bool // the two files are compared
}

// parseServeFlags parses serve's flags, or the tray app's (which has no
// --addr: it always picks a free port, and it has --new-instance).
func parseServeFlags(args []string, stdout, stderr io.Writer, withTray bool) (serveOptions, []string, int, bool) {
	o := serveOptions{addr: "127.0.0.1:0"}
	name := "serve"
	if withTray {
		name = "modelpeek"
	}
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.BoolVar(&o.noBrowser, "no-browser", false, "")
	fs.BoolVar(&o.compare, "compare", false, "")
	if withTray {
		fs.BoolVar(&o.newInstance, "new-instance", false, "")
	} else {
		fs.StringVar(&o.addr, "addr", o.addr, "")
		fs.BoolVar(&o.watchStdin, "watch-stdin", false, "")
	}
	files, code, ok := parseFlags(fs, args, stdout, stderr)
	if !ok {
		return o, nil, code, false
	}
	if o.compare && len(files) != 2 {
		return o, nil, badUsage(stderr, "--compare takes exactly two files, A and B"), false
	}
	return o, files, 0, true
}

// openInitial opens the command line's files (or the bundled sample when
// there are none) and returns the model to show first and, with
// --compare, the pair to compare.
func openInitial(a *app.App, files []string, compare bool, stderr io.Writer, log *slog.Logger) (show string, pair []string) {
	if len(files) == 0 {
		id, err := a.OpenSample()
		if err != nil {
			log.Warn("cannot open the bundled sample", "err", err)
		}
		return id, nil
	}
	ids, err := a.Open(files...)
	if err != nil {
		fmt.Fprintf(stderr, "modelpeek: %s\n", errorLine(err))
	}
	if len(ids) > 0 {
		show = ids[0]
	}
	if compare && len(ids) == 2 {
		pair = ids
	}
	return show, pair
}

// runTray runs the tray loop until the app quits or the tray cannot run;
// without a tray the app goes on serving, as serve does.
func runTray(a *app.App, single *singleInstance, noBrowser bool, stderr io.Writer, log *slog.Logger) {
	single.ready(a)
	instance.InstallOpenFileHandler(func(paths []string) {
		single.handle(instance.Request{Paths: paths})
	})
	// The app's context ends on Quit from any source (menu, signal, a
	// second launch, the page), which ends the tray loop at once.
	var lostOnce sync.Once
	err := tray.Run(a.Context(), a, tray.Options{
		Logger: log,
		// The tray host went away: the icon is gone (until a host
		// comes back), so say so and show the page, which has Quit.
		// Said once: a host that comes and goes opens no more pages.
		HostLost: func() {
			lostOnce.Do(func() {
				fmt.Fprintln(stderr, noTrayLine)
				if !noBrowser {
					showPage(a, "", stderr, log)
				}
			})
		},
	})
	switch {
	case errors.Is(err, tray.ErrNoTray):
		// The browser was opened before (unless --no-browser), as
		// serve does.
		fmt.Fprintln(stderr, noTrayLine)
	case err != nil:
		fmt.Fprintf(stderr, "modelpeek: tray: %v; serving without it (Ctrl+C to quit)\n", err)
	default:
		a.Quit() // the tray ended: the user quit
	}
}

// readableFiles prints one line on stderr for each of files that does not
// exist or cannot be looked at ("modelpeek: typo.onnx: no such file") and
// returns the others. It only stats: opening a FIFO or a device here would
// block before the viewer serves (the app's loader opens them, where a
// stuck open cannot hold up Quit). A file that holds no model it knows is
// kept: the page shows why, with the formats modelpeek reads.
func readableFiles(files []string, stderr io.Writer) []string {
	var ok []string
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			fmt.Fprintf(stderr, "modelpeek: %s\n", errorLine(&model.FileError{Path: f, Err: err}))
			continue
		}
		ok = append(ok, f)
	}
	return ok
}

// showPage opens the viewer (at model id when not "") in the browser.
// When no browser can be opened it says, in one line, where to go; the
// opener's own chatter is only logged (MODELPEEK_LOG=debug).
func showPage(a *app.App, id string, stderr io.Writer, log *slog.Logger) {
	err := a.Show(id)
	if err == nil {
		return
	}
	log.Debug("cannot open the browser", "err", err)
	if u := a.State().URL; u != "" {
		fmt.Fprintf(stderr, "modelpeek: open this URL in your browser: %s\n", u)
	} else {
		fmt.Fprintf(stderr, "modelpeek: %s\n", errorLine(err))
	}
}

// showCompare opens the viewer's compare view of the pair of model IDs,
// like showPage.
func showCompare(a *app.App, pair []string, stderr io.Writer, log *slog.Logger) {
	if err := a.ShowCompare(pair[0], pair[1]); err != nil {
		log.Debug("cannot open the browser", "err", err)
		fmt.Fprintf(stderr, "modelpeek: %s\n", errorLine(err))
	}
}

// noTrayLine is said on stderr when the tray app runs without a tray.
const noTrayLine = "modelpeek: no system tray available; serving without one (Ctrl+C to quit)"

// cmdAutostart turns start at login on or off, or reports it.
func cmdAutostart(args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		return badUsage(stderr, "autostart takes one of: enable, disable, status")
	}
	b := autostart.For(autostart.Config{})
	var err error
	switch args[0] {
	case "enable":
		err = b.Enable()
	case "disable":
		err = b.Disable()
	case "status":
	case "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		return badUsage(stderr, "autostart takes one of: enable, disable, status")
	}
	if err != nil {
		fmt.Fprintf(stderr, "modelpeek: start at login: %v\n", err)
		return 1
	}
	st, err := b.Status()
	if err != nil {
		fmt.Fprintf(stderr, "modelpeek: start at login: %v\n", err)
		return 1
	}
	state := "disabled"
	if st.Enabled {
		state = "enabled"
	}
	fmt.Fprintf(stdout, "start at login: %s", state)
	if st.Where != "" {
		fmt.Fprintf(stdout, " (%s)", st.Where)
	}
	if st.Detail != "" {
		fmt.Fprintf(stdout, ": %s", st.Detail)
	}
	fmt.Fprintln(stdout)
	return 0
}

// hugePages is the heap's huge pages for big loads, nil when
// MODELPEEK_HUGEPAGES=0.
func hugePages(log *slog.Logger) *hugepages.Heap {
	if os.Getenv("MODELPEEK_HUGEPAGES") == "0" {
		return nil
	}
	return hugepages.New(log)
}

// uploadLimit reads MODELPEEK_MAX_UPLOAD ("8G", "512M", "1000000").
func uploadLimit() (int64, error) {
	v := strings.TrimSpace(os.Getenv("MODELPEEK_MAX_UPLOAD"))
	if v == "" {
		return server.DefaultMaxUpload, nil
	}
	n, err := parseSize(v)
	if err != nil {
		return 0, fmt.Errorf("MODELPEEK_MAX_UPLOAD=%q: %w", v, err)
	}
	return n, nil
}

// parseSize parses a positive byte count with an optional K, M, G or T
// suffix (powers of 1024).
func parseSize(v string) (int64, error) {
	if v == "" {
		return 0, errors.New("empty size")
	}
	shift := 0
	switch strings.ToUpper(v[len(v)-1:]) {
	case "K":
		shift = 10
	case "M":
		shift = 20
	case "G":
		shift = 30
	case "T":
		shift = 40
	}
	if shift > 0 {
		v = v[:len(v)-1]
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 || n > (1<<62)>>shift {
		return 0, errors.New("want a positive size such as 8G or 500M")
	}
	return n << shift, nil
}

// cmdIntegrate registers (or with --uninstall, unregisters) file types and
// the menu entry for the current user. It only ever runs when asked.
func cmdIntegrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("integrate", flag.ContinueOnError)
	uninstall := fs.Bool("uninstall", false, "")
	rest, code, ok := parseFlags(fs, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(rest) > 0 {
		return badUsage(stderr, "integrate takes no arguments")
	}
	do := integrate.Install
	if *uninstall {
		do = integrate.Uninstall
	}
	did, err := do(integrate.Config{Extensions: packaging.DesktopExtensions(all.Registry().Extensions())})
	for _, line := range did {
		fmt.Fprintln(stdout, line)
	}
	if errors.Is(err, integrate.ErrNothingToDo) {
		fmt.Fprintf(stdout, "modelpeek: %v\n", err)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "modelpeek: integrate: %v\n", err)
		return 1
	}
	return 0
}
