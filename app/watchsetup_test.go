package app

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/modelpeek/modelpeek/server"
)

// holdWatch makes ta's watch set-ups wait until the returned release is
// called; each set-up sends its key on entered first, and on ended once
// it is done. Release runs at the test's end at the latest (before the
// app is stopped).
func holdWatch(t *testing.T, ta *testApp) (entered, ended chan string, release func()) {
	entered, ended = make(chan string, 8), make(chan string, 8)
	held := make(chan struct{})
	var once sync.Once
	release = func() { once.Do(func() { close(held) }) }
	t.Cleanup(release)
	add := ta.addWatch
	ta.addWatch = func(key string, files []string) error {
		entered <- key
		<-held
		defer func() { ended <- key }()
		return add(key, files)
	}
	return entered, ended, release
}

// waitSetUp waits for a watch set-up of id to begin or end, as ch says
// (hang bound).
func waitSetUp(t *testing.T, ch chan string, id string) {
	t.Helper()
	select {
	case key := <-ch:
		if key != id {
			t.Fatalf("watch set-up for %s, want %s", key, id)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the model's watch set-up did not come")
	}
}

// watched reports whether the watcher holds key.
func watched(ta *testApp, key string) bool { return slices.Contains(ta.watcher.Keys(), key) }

// TestWarmDoesNotWaitForWatch: a watch set-up that does not end (a slow
// folder) holds up neither the load's publication nor its warm-up; the
// model is watched once it ends.
func TestWarmDoesNotWaitForWatch(t *testing.T) {
	ta := newTestApp(t, nil)
	entered, ended, release := holdWatch(t, ta)
	ids, err := ta.Open(ta.write(t, "m.fake", "FAKE\nnodes 300\n"))
	if err != nil {
		t.Fatal(err)
	}
	id := ids[0]
	waitSetUp(t, entered, id)
	waitWarm(t, ta, id, 1) // fails (rather than hangs) if the warm-up waits
	ta.waitInfo(t, id, func(i server.ModelInfo) bool { return i.Version == 1 && !i.Loading && i.Watching })
	if watched(ta, id) {
		t.Fatal("watched before its set-up ended")
	}
	release()
	waitSetUp(t, ended, id)
	if !watched(ta, id) {
		t.Fatal("not watched after its set-up ended")
	}
}

// duringSetUp opens a model in a new test app, runs op on it while the
// model's watch set-up is held, lets the set-up end and waits for op and
// the set-up (hang bounds).
func duringSetUp(t *testing.T, op func(l *library, id string) error) (*testApp, string) {
	t.Helper()
	ta := newTestApp(t, nil)
	entered, ended, release := holdWatch(t, ta)
	ids, err := ta.Open(ta.write(t, "m.fake", "FAKE\nnodes 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	id := ids[0]
	waitSetUp(t, entered, id)
	done := make(chan error, 1)
	go func() { done <- op((*library)(ta.App), id) }()
	// Let op get as far as it can before the set-up ends (a change made
	// at once would be undone by the set-up).
	time.Sleep(20 * time.Millisecond)
	release()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call made during the watch set-up did not return")
	}
	waitSetUp(t, ended, id)
	return ta, id
}

// TestClosedDuringWatchSetUpNotWatched: a model closed while its watch
// is being set up ends up unwatched.
func TestClosedDuringWatchSetUpNotWatched(t *testing.T) {
	ta, id := duringSetUp(t, (*library).Close)
	if watched(ta, id) {
		t.Error("a closed model is still watched")
	}
}

// TestUnwatchedDuringWatchSetUp: a model whose watching is turned off
// while its watch is being set up ends up unwatched; turned on again, it
// is watched.
func TestUnwatchedDuringWatchSetUp(t *testing.T) {
	ta, id := duringSetUp(t, func(l *library, id string) error { return l.SetModelWatching(id, false) })
	if watched(ta, id) {
		t.Error("a model no longer watching is still watched")
	}
	if err := (*library)(ta.App).SetModelWatching(id, true); err != nil {
		t.Fatal(err)
	}
	if !watched(ta, id) {
		t.Error("a model watching again is not watched")
	}
}
