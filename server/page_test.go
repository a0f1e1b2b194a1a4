package server

import (
	"crypto/sha256"
	"encoding/base64"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
)

// TestComposeIndexInlines checks that the entry page carries its scripts,
// that the policy allows exactly those blocks by hash, that a script that
// cannot be written in safely stays a request, and that the style sheets
// become one request, page.css, holding them in their order.
func TestComposeIndexInlines(t *testing.T) {
	web := fstest.MapFS{
		"index.html": {Data: []byte(`<head><script src="js/pre.js"></script><link rel="stylesheet" href="a.css">` +
			"\n" + `<link rel="stylesheet" href="css/b.css">` + "\n" +
			`<script type="module" src="bundle.js"></script><script src="evil.js"></script></head>`)},
		"js/pre.js": {Data: []byte(`window.x = 1;`)},
		"a.css":     {Data: []byte(`body{margin:0}`)},
		"css/b.css": {Data: []byte(`p{margin:1px}`)},
		"bundle.js": {Data: []byte(`console.log("b")`)},
		"evil.js":   {Data: []byte(`document.write("</SCRIPT><script>alert(1)")`)},
	}
	p, err := composeIndex(web)
	if err != nil {
		t.Fatal(err)
	}
	page := string(p.html)
	for _, want := range []string{`<script>window.x = 1;</script><link rel="stylesheet" href="page.css">` + "\n" + `<script type="module">`,
		`<script type="module">console.log("b")</script>`, `<script src="evil.js"></script>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
	}
	if n := strings.Count(page, "stylesheet"); n != 1 {
		t.Errorf("%d style sheet links, want 1:\n%s", n, page)
	}
	css := string(p.css)
	if a, b := strings.Index(css, "body{margin:0}"), strings.Index(css, "p{margin:1px}"); a < 0 || b < a {
		t.Errorf("page.css does not hold a.css then b.css:\n%s", css)
	}
	blocks := regexp.MustCompile(`<(script)[^>]*>([^<]+)</script>`).FindAllStringSubmatch(page, -1)
	if len(blocks) != 2 {
		t.Fatalf("%d inline blocks, want 2: %q", len(blocks), blocks)
	}
	for _, b := range blocks {
		sum := sha256.Sum256([]byte(b[2]))
		h := "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
		if !strings.Contains(p.policy, b[1]+"-src 'self' ") || !strings.Contains(p.policy, h) {
			t.Errorf("policy %q does not allow the %s block %q", p.policy, b[1], b[2])
		}
	}
	if strings.Contains(p.policy, "unsafe-inline") || !strings.Contains(p.policy, "style-src 'self';") || !strings.Contains(p.policy, "frame-ancestors 'none'") {
		t.Errorf("policy %q", p.policy)
	}
}

// TestComposeIndexSheetNamedLikeJoined leaves the style sheets alone when
// the files hold a page.css of their own.
func TestComposeIndexSheetNamedLikeJoined(t *testing.T) {
	web := fstest.MapFS{
		"index.html": {Data: []byte(`<link rel="stylesheet" href="a.css"><link rel="stylesheet" href="page.css">`)},
		"a.css":      {Data: []byte(`body{margin:0}`)},
		"page.css":   {Data: []byte(`p{margin:1px}`)},
	}
	p, err := composeIndex(web)
	if err != nil {
		t.Fatal(err)
	}
	if string(p.html) != string(web["index.html"].Data) || p.css != nil {
		t.Errorf("page %q, joined %q; want the page as it is", p.html, p.css)
	}
}

// TestComposeIndexMissingSheet serves the page as it is, under the strict
// policy, when a style sheet it names is missing.
func TestComposeIndexMissingSheet(t *testing.T) {
	web := fstest.MapFS{"index.html": {Data: []byte(`<link rel="stylesheet" href="gone.css">`)}}
	p, err := composeIndex(web)
	if err == nil || p.html != nil || p.css != nil {
		t.Fatalf("composeIndex = %q, %q, %v; want an error and the page served as it is", p.html, p.css, err)
	}
}

// TestComposeIndexMissingFile keeps the page as it is, under the strict
// policy, when a file it names is missing.
func TestComposeIndexMissingFile(t *testing.T) {
	web := fstest.MapFS{"index.html": {Data: []byte(`<script src="gone.js"></script>`)}}
	p, err := composeIndex(web)
	if err == nil || p.html != nil {
		t.Fatalf("composeIndex = %q, %v; want an error and the page served as it is", p.html, err)
	}
	if p.policy != contentPolicy(nil) {
		t.Errorf("policy %q", p.policy)
	}
}

// TestServeJoinedSheets asks the server for its entry page and the one
// style sheet it names, with the headers every answer carries.
func TestServeJoinedSheets(t *testing.T) {
	web := fstest.MapFS{
		"index.html": {Data: []byte(`<head><link rel="stylesheet" href="a.css"><link rel="stylesheet" href="b.css"></head>`)},
		"a.css":      {Data: []byte(`body{margin:0}`)},
		"b.css":      {Data: []byte(`p{margin:1px}`)},
	}
	s, addr := startServer(t, newFakeLib(), func(c *Config) { c.Web = web })
	resp, page := do(t, authed(t, s, addr, "GET", "/", nil))
	if resp.StatusCode != 200 || !strings.Contains(page, `<link rel="stylesheet" href="page.css">`) || strings.Contains(page, "a.css") {
		t.Fatalf("entry page %d: %s", resp.StatusCode, page)
	}
	resp, css := do(t, authed(t, s, addr, "GET", "/page.css", nil))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/css; charset=utf-8" ||
		!strings.Contains(css, "body{margin:0}") || !strings.Contains(css, "p{margin:1px}") {
		t.Fatalf("page.css %d %q: %s", resp.StatusCode, resp.Header.Get("Content-Type"), css)
	}
	checkHeaders(t, "page.css", resp.Header)
	if resp, _ := do(t, authed(t, s, addr, "GET", "/a.css", nil)); resp.StatusCode != 200 {
		t.Errorf("a.css: %d; the sheets stay files too", resp.StatusCode)
	}
}

// TestEndsScript finds a block's end in any case, and only there.
func TestEndsScript(t *testing.T) {
	for body, want := range map[string]bool{
		`a</script>`: true, `</SCRIPT`: true, `x</ScRiPt y`: true, `</scrip`: false,
		`</ script>`: false, `<script>`: false, `</`: false, ``: false, `a</b></script`: true,
	} {
		if got := endsScript([]byte(body)); got != want {
			t.Errorf("endsScript(%q) = %v, want %v", body, got, want)
		}
	}
}

// TestComposeIndexScriptKeepsLinkText: a script written into the page
// keeps text shaped like a style sheet link; only the page's own links
// are joined.
func TestComposeIndexScriptKeepsLinkText(t *testing.T) {
	const js = `const tag = '<link rel="stylesheet" href="a.css">';`
	web := fstest.MapFS{
		"index.html": {Data: []byte(`<link rel="stylesheet" href="a.css"><script src="x.js"></script>`)},
		"a.css":      {Data: []byte(`body{margin:0}`)},
		"x.js":       {Data: []byte(js)},
	}
	p, err := composeIndex(web)
	if err != nil {
		t.Fatal(err)
	}
	if want := `<link rel="stylesheet" href="page.css"><script>` + js + `</script>`; string(p.html) != want {
		t.Errorf("page %q, want %q", p.html, want)
	}
}
