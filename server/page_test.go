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
// that the policy allows exactly those blocks by hash, and that a script
// that cannot be written in safely, and style sheets, stay requests.
func TestComposeIndexInlines(t *testing.T) {
	web := fstest.MapFS{
		"index.html": {Data: []byte(`<head><script src="js/pre.js"></script><link rel="stylesheet" href="a.css">` +
			`<script type="module" src="bundle.js"></script><script src="evil.js"></script></head>`)},
		"js/pre.js": {Data: []byte(`window.x = 1;`)},
		"a.css":     {Data: []byte(`body{margin:0}`)},
		"bundle.js": {Data: []byte(`console.log("b")`)},
		"evil.js":   {Data: []byte(`document.write("</SCRIPT><script>alert(1)")`)},
	}
	p, err := composeIndex(web)
	if err != nil {
		t.Fatal(err)
	}
	page := string(p.html)
	for _, want := range []string{`<script>window.x = 1;</script>`, `<link rel="stylesheet" href="a.css">`,
		`<script type="module">console.log("b")</script>`, `<script src="evil.js"></script>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s:\n%s", want, page)
		}
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
