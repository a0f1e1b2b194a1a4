// Package web drives the browser viewer (assets/web) end to end in
// headless Chromium with chromedp: every format of the corpus drawn, the
// viewer's interactions, drag-and-drop, the built binary serving the
// bundled sample, and the page-load benchmark. It holds tests only.
package web
