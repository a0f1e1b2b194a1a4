// Package web drives the browser viewer (assets/web) end to end in
// headless Chromium with chromedp: every format of the corpus drawn, the
// viewer's interactions, drag-and-drop, the built binary serving the
// bundled sample, the compact view drawn as the JSON one, the page before
// its graph, the page-load benchmark and issue 26's speed table
// (TestSpeedTable, MODELPEEK_WEB_BENCH=1). It holds tests only.
package web
