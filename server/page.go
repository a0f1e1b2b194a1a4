package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io/fs"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// The content policy, with a place for the hashes of the entry page's
// inline blocks (see indexPage).
const (
	policyHead = "default-src 'self'; "
	policyTail = "style-src 'self'; img-src 'self' data: blob:; font-src 'self'; connect-src 'self'; worker-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
	// inlineLimit is the largest file written into the entry page.
	inlineLimit = 512 << 10
)

// indexPage is the viewer's entry page as served at / and /index.html:
// index.html with the scripts it names written into it. A cold browser
// pays a round trip of tens of milliseconds per file before it can draw
// (issue 26); written in, the scripts need none, and the prefetch script
// asks for the graph as soon as the page's first bytes arrive. The
// content policy allows exactly these inline scripts, by hash, and no
// other. The style sheets it names become one, page.css, asked for in
// place of the first: one request instead of five, which also left the
// graph's and the model list's requests waiting for one of the browser's
// six connections to the server. (Written in as <style>, the sheets were
// fine in the browser but hid the page's nodes from chromedp's DOM
// queries, which the browser tests rely on.)
type indexPage struct {
	html   []byte // nil: serve index.html from the files as it is
	policy string
	css    []byte // page.css: the page's style sheets joined; nil: none
}

// joinedCSS is the path of the page's style sheets joined into one.
const joinedCSS = "page.css"

// inlineRE matches the tags the entry page inlines: classic and module
// scripts by src.
var inlineRE = regexp.MustCompile(`<script( type="module")? src="([\w./-]+)"></script>`)

// sheetRE matches the entry page's style sheet links.
var sheetRE = regexp.MustCompile(`<link rel="stylesheet" href="([\w./-]+)">\n?`)

// composeIndex builds the entry page from web. Without web or its
// index.html the page is served from the files, under the strict policy.
func composeIndex(web fs.FS) (indexPage, error) {
	strict := indexPage{policy: contentPolicy(nil)}
	if web == nil {
		return strict, nil
	}
	src, err := fs.ReadFile(web, "index.html")
	if err != nil {
		return strict, nil
	}
	// The sheets are joined first: the scripts written in after could
	// hold text shaped like a link.
	html, css, err := joinSheets(web, string(src))
	if err != nil {
		return strict, err
	}
	var scripts []string
	var failed error
	html = inlineRE.ReplaceAllStringFunc(html, func(tag string) string {
		m := inlineRE.FindStringSubmatch(tag)
		body, err := fs.ReadFile(web, m[2])
		if err != nil && failed == nil {
			failed = fmt.Errorf("entry page: %w", err)
		}
		// A script that could end its own block stays a request.
		if err != nil || len(body) > inlineLimit || endsScript(body) {
			return tag
		}
		scripts = append(scripts, hashOf(body))
		return "<script" + m[1] + ">" + string(body) + "</script>"
	})
	if failed != nil {
		return strict, failed
	}
	return indexPage{html: []byte(html), policy: contentPolicy(scripts), css: css}, nil
}

// joinSheets replaces the style sheet links of html by one link to
// joinedCSS, where the first was, and returns the sheets joined in their
// order. The cascade is the same: the sheets apply in that order either
// way, and they hold no url() or @import a new location could change.
func joinSheets(web fs.FS, html string) (string, []byte, error) {
	if _, err := fs.Stat(web, joinedCSS); err == nil {
		return html, nil, nil // a file of that name: leave the sheets alone
	}
	var css []byte
	var failed error
	first := true
	html = sheetRE.ReplaceAllStringFunc(html, func(tag string) string {
		m := sheetRE.FindStringSubmatch(tag)
		body, err := fs.ReadFile(web, m[1])
		if err != nil && failed == nil {
			failed = fmt.Errorf("entry page: %w", err)
		}
		css = append(css, "/* "+m[1]+" */\n"...)
		css = append(css, body...)
		css = append(css, '\n')
		if !first {
			return ""
		}
		first = false
		return `<link rel="stylesheet" href="` + joinedCSS + `">` + tag[len(strings.TrimRight(tag, "\n")):]
	})
	return html, css, failed
}

// endsScript reports whether body holds "</script" in any case: written
// into the page, it would end its block early. (Lowering the whole body
// first, as strings.ToLower did, was half the page's composition.)
func endsScript(body []byte) bool {
	for i := 0; ; i += 2 {
		j := bytes.Index(body[i:], []byte("</"))
		if j < 0 {
			return false
		}
		i += j
		if rest := body[i+2:]; len(rest) >= 6 && bytes.EqualFold(rest[:6], []byte("script")) {
			return true
		}
	}
}

// hashOf is a CSP source expression allowing exactly body inline.
func hashOf(body []byte) string {
	sum := sha256.Sum256(body)
	return "'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) + "'"
}

// contentPolicy is the Content-Security-Policy: same-origin only, and
// inline scripts only with the given hashes.
func contentPolicy(scripts []string) string {
	return policyHead + "script-src " + strings.Join(append([]string{"'self'"}, scripts...), " ") + "; " + policyTail
}

// serveCSS answers with the page's joined style sheets.
func serveCSS(w http.ResponseWriter, req *http.Request, css []byte) {
	serveBytes(w, req, "text/css; charset=utf-8", css)
}

// serveIndex answers with the composed entry page.
func serveIndex(w http.ResponseWriter, req *http.Request, page []byte) {
	serveBytes(w, req, "text/html; charset=utf-8", page)
}

// serveBytes answers with b, of the given content type.
func serveBytes(w http.ResponseWriter, req *http.Request, contentType string, b []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	if req.Method != http.MethodHead {
		w.Write(b)
	}
}
