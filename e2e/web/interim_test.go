//go:build unix

package web

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/modelpeek/modelpeek/e2e/internal/fixture"
)

// TestInterimView opens a graph with every group open while its layout
// is held back (a proxy in front of the server keeps the expand=all
// answer until released): the page shows the default view the server has
// already laid out, says every node is on its way, stays "loading", and
// when the full view arrives draws it and drops the note.
func TestInterimView(t *testing.T) {
	lib := fixture.NewLibrary()
	id := lib.Add("transformer.onnx", fixture.Transformer(3000))
	e := startServer(t, lib)
	ctx := newBrowser(t)
	first := navigate(t, ctx, e, "model="+id) // lays out the default view
	release := make(chan struct{})
	proxy := holdingProxy(t, e.url, release)
	run(t, ctx, 30*time.Second, chromedp.Navigate(proxy+"/?token=webtest-token&model="+id+"&expand=all"))
	var interim struct {
		Note  string `json:"note"`
		Nodes int    `json:"nodes"`
		State string `json:"state"`
	}
	const read = `(() => { const g = document.getElementById('graph'); const v = modelpeek.view();
	  return {note: g.dataset.interim ? getComputedStyle(g, '::after').content : '', nodes: v ? v.nodes.length : 0, state: g.dataset.state}; })()`
	deadline := time.Now().Add(30 * time.Second) // hang bound: shows after 0.3 s
	for interim.Note == "" && time.Now().Before(deadline) {
		eval(t, ctx, read, &interim)
		time.Sleep(20 * time.Millisecond)
	}
	if !strings.Contains(interim.Note, "Laying out every node") || interim.State != "loading" || interim.Nodes == 0 {
		t.Fatalf("while the full view is held: %+v; want the default view drawn, the note, state loading", interim)
	}
	shot(t, ctx, "interim-view")
	close(release)
	st := waitGraph(t, ctx, 60*time.Second, func(s graphState) bool { return s.State != "loading" })
	if st.State != "ready" || st.Nodes <= first.Nodes {
		t.Fatalf("after the full view arrived: %+v; the default view had %d nodes", st, first.Nodes)
	}
	eval(t, ctx, read, &interim)
	if interim.Note != "" {
		t.Errorf("the note stays after the full view: %q", interim.Note)
	}
}

// TestInterimViewArrivesLate opens a graph with every group open while
// neither view is laid out yet (a big model still being read or
// prepared): the proxy answers the page's ?cached=1 requests "not laid
// out" (204) until told otherwise and holds the full view meanwhile. The
// page keeps asking, and shows the default view once it is there.
func TestInterimViewArrivesLate(t *testing.T) {
	lib := fixture.NewLibrary()
	id := lib.Add("transformer.onnx", fixture.Transformer(3000))
	e := startServer(t, lib)
	ctx := newBrowser(t)
	navigate(t, ctx, e, "model="+id) // lays out the default view
	release, laidOut := make(chan struct{}), make(chan struct{})
	var asked atomic.Int32
	proxy := holdingProxy(t, e.url, release, func(w http.ResponseWriter) bool {
		asked.Add(1)
		select {
		case <-laidOut:
			return false
		default:
			w.WriteHeader(http.StatusNoContent)
			return true
		}
	})
	run(t, ctx, 30*time.Second, chromedp.Navigate(proxy+"/?token=webtest-token&model="+id+"&expand=all"))
	deadline := time.Now().Add(30 * time.Second) // hang bound: asks every 0.4 s
	for asked.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if n := asked.Load(); n < 3 {
		t.Fatalf("the page asked for the interim view %d times while there was none, want it to keep asking", n)
	}
	close(laidOut)
	var interim string
	for interim == "" && time.Now().Before(deadline) {
		eval(t, ctx, `document.getElementById('graph').dataset.interim || ''`, &interim)
		time.Sleep(20 * time.Millisecond)
	}
	if interim == "" {
		t.Fatal("no interim view once the default view was laid out")
	}
	close(release)
	if st := waitGraph(t, ctx, 60*time.Second, func(s graphState) bool { return s.State != "loading" }); st.State != "ready" {
		t.Fatalf("after the full view arrived: %+v", st)
	}
	n := asked.Load()
	time.Sleep(time.Second)
	if m := asked.Load(); m != n {
		t.Errorf("the page went on asking for an interim view after the full one: %d more times", m-n)
	}
}

// holdingProxy serves target through a proxy that holds every graph
// request with every group open (not the ?cached=1 ones) until release
// is closed, and returns its URL. Each ?cached=1 request goes to cached
// first, if given, which answers it itself when it returns true.
func holdingProxy(t *testing.T, target string, release <-chan struct{}, cached ...func(http.ResponseWriter) bool) string {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = u.Host // the server admits only its own Host
	}, ErrorLog: log.New(io.Discard, "", 0)} // streams cut at the end

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		q := req.URL.Query()
		if q.Get("cached") == "1" && len(cached) > 0 && cached[0](w) {
			return
		}
		if strings.HasSuffix(req.URL.Path, "/graph") && q.Get("expand") == "all" && q.Get("cached") == "" {
			select {
			case <-release:
			case <-req.Context().Done():
				return
			}
		}
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections() // the page's event stream never ends by itself
		srv.Close()
	})
	return srv.URL
}
