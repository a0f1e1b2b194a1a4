package server

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/modelpeek/modelpeek/model"
)

// TestTokenExchangeNamesFirstModel checks that the redirect of a token
// exchange names the first open model when the URL names none, keeps a
// model the URL names, and names none when no model is open.
func TestTokenExchangeNamesFirstModel(t *testing.T) {
	lib := newFakeLib()
	_, addr := startServer(t, lib, nil)
	first := lib.List()[0].ID
	for target, want := range map[string]string{"/?token=tok": first, "/?token=tok&expand=all": first, "/?model=other&token=tok": "other"} {
		req, _ := http.NewRequest("GET", "http://"+addr+target, nil)
		resp, _ := do(t, req)
		loc, err := url.Parse(resp.Header.Get("Location"))
		if resp.StatusCode != http.StatusSeeOther || err != nil || loc.Query().Get("model") != want || loc.Query().Has("token") {
			t.Errorf("%s: %d to %q, want model=%s", target, resp.StatusCode, resp.Header.Get("Location"), want)
		}
	}
	empty := &fakeLib{models: map[string]*model.Model{}, watching: map[string]bool{}}
	_, addr2 := startServer(t, empty, nil)
	req, _ := http.NewRequest("GET", "http://"+addr2+"/?token=tok", nil)
	if resp, _ := do(t, req); resp.Header.Get("Location") != "/?" && resp.Header.Get("Location") != "/" {
		t.Errorf("no model open: redirect to %q", resp.Header.Get("Location"))
	}
}
