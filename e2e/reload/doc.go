// Package reload holds the end-to-end tests of live reload: the real
// modelpeek binary serves a model file from a temporary directory, a
// headless Chromium shows it, and the tests rewrite the file the ways
// editors and exporters do (rename over, truncate in place, delete and
// recreate, symlink swap, half-written, garbage) and check what the page
// shows: the new node count without a page load, the viewport kept, the
// change highlight and summary, the error banner, and the save-to-screen
// latency. The package has no code of its own outside its tests.
package reload
