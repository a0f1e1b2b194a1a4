package main

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"sync"

	"github.com/modelpeek/modelpeek/app"
	"github.com/modelpeek/modelpeek/desktop/instance"
)

// singleInstance connects the instance package to the app: requests from
// later launches wait until the app is ready, then open their files and
// show the viewer.
type singleInstance struct {
	ctx     context.Context
	log     *slog.Logger
	primary *instance.Primary
	once    sync.Once
	isReady chan struct{}
	app     *app.App
}

// acquireInstance makes this process the primary instance, or forwards
// files to the running one (forwarded = true). Failing to set up single
// instance is not fatal: the app then runs on its own.
// With noBrowser, the running instance is asked not to show the viewer.
// With compare, the running instance is asked to compare the two files.
func acquireInstance(ctx context.Context, files []string, noBrowser, compare bool, log *slog.Logger) (*singleInstance, bool) {
	si := newSingleInstance(ctx, log)
	cwd, _ := os.Getwd()
	req := instance.Request{Paths: instance.Absolute(cwd, files), NoBrowser: noBrowser, Compare: compare}
	p, err := instance.Acquire(instance.Options{}, req, si.handle, log)
	if errors.Is(err, instance.ErrForwarded) {
		return nil, true
	}
	if err != nil {
		log.Warn("running without single-instance support", "err", err)
	}
	si.primary = p
	return si, false
}

// newSingleInstance returns a singleInstance that is not (yet) the primary:
// with --new-instance it only routes files opened through the OS (macOS
// open-file events) to this process's app.
func newSingleInstance(ctx context.Context, log *slog.Logger) *singleInstance {
	return &singleInstance{ctx: ctx, log: log, isReady: make(chan struct{})}
}

// ready hands the started app to waiting and later requests.
func (si *singleInstance) ready(a *app.App) {
	si.once.Do(func() {
		si.app = a
		close(si.isReady)
	})
}

// handle serves one later launch's request: open its files and show the
// viewer, unless it asked for no browser.
func (si *singleInstance) handle(r instance.Request) {
	select {
	case <-si.isReady:
	case <-si.ctx.Done():
		return
	}
	a := si.app
	if r.Quit {
		a.Quit()
		return
	}
	show := ""
	var ids []string
	if len(r.Paths) > 0 {
		var err error
		ids, err = a.Open(r.Paths...)
		if err != nil {
			si.log.Warn("opening files from another launch", "err", err)
		}
		if len(ids) > 0 {
			show = ids[0]
		}
	}
	if r.NoBrowser {
		return // the later launch said --no-browser
	}
	if r.Compare && len(ids) == 2 {
		if err := a.ShowCompare(ids[0], ids[1]); err != nil {
			si.log.Warn("showing the compare view", "err", err)
		}
		return
	}
	if err := a.Show(show); err != nil {
		si.log.Warn("showing the viewer", "err", err)
	}
}

func (si *singleInstance) close() {
	if si != nil && si.primary != nil {
		si.primary.Close()
	}
}
