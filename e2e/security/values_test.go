package security

import (
	"encoding/json"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestValueRouteAttacks sends hostile requests to the tensor value routes
// (statistics, channels, value pages, .npy download, parameters) of the
// real binary: foreign sites and requests without a session are refused,
// names that climb out of the graph or name files find nothing, offsets
// and counts out of range are refused or cut to one page, a tensor name
// made of SSE control sequences comes back escaped (JSON) or replaced (the
// download's file name), and a burst of whole-tensor reads is answered,
// each at once or with 503, never hanging.
func TestValueRouteAttacks(t *testing.T) {
	plain, hostile := modelDir(t)
	p := start(t, plain, hostile)
	cookie := p.session(t)
	cookieLine := "Cookie: " + cookie.Name + "=" + cookie.Value + "\r\n"
	id := modelID(t, p, cookieLine, "plain.safetensors")
	hid := modelID(t, p, cookieLine, filepath.Base(hostile))
	get := func(path, headers string) string {
		return "GET " + path + " HTTP/1.1\r\nHost: {addr}\r\n" + headers + "Connection: close\r\n\r\n"
	}
	w := "/api/models/{id}/values/layer.weight"
	notFound := []int{http.StatusNotFound, http.StatusBadRequest, http.StatusMovedPermanently, http.StatusTemporaryRedirect, http.StatusPermanentRedirect}
	attacks := []webAttack{
		{"stats, Sec-Fetch-Site cross-site", get("/api/models/{id}/stats/layer.weight", "{cookie}Sec-Fetch-Site: cross-site\r\n"), []int{403}},
		{"npy, Origin evil.com", get("/api/models/{id}/npy/layer.weight", "{cookie}Origin: http://evil.com\r\n"), []int{403}},
		{"values, no cookie", get(w, ""), []int{403}},
		{"params, no cookie", get("/api/models/{id}/paramcount", ""), []int{403}},
		{"channels, Host evil.com", "GET /api/models/{id}/channels/layer.weight HTTP/1.1\r\nHost: evil.com\r\n{cookie}Connection: close\r\n\r\n", []int{403}},
		{"stats name ../../etc/passwd (encoded)", get("/api/models/{id}/stats/..%2f..%2f..%2f..%2fetc%2fpasswd", "{cookie}"), notFound},
		{"stats name ../../etc/passwd (raw)", get("/api/models/{id}/stats/../../../../etc/passwd", "{cookie}"), notFound},
		{"npy name /etc/passwd", get("/api/models/{id}/npy//etc/passwd", "{cookie}"), notFound},
		{"npy name %252e%252e (double-encoded)", get("/api/models/{id}/npy/%252e%252e%252f%252e%252e%252fetc%252fpasswd", "{cookie}"), notFound},
		{"values name with NUL", get("/api/models/{id}/values/layer.weight%00.txt", "{cookie}"), notFound},
		{"channels ?path=../../etc", get("/api/models/{id}/channels/layer.weight?path=../../etc/passwd", "{cookie}"), notFound},
		{"stats ?path deep", get("/api/models/{id}/stats/layer.weight?path="+strings.Repeat("0.0/", 100), "{cookie}"), notFound},
		{"stats of a guessed model", get("/api/models/0000000000000000/stats/layer.weight", "{cookie}"), []int{404}},
		{"values offset -1", get(w+"?offset=-1", "{cookie}"), []int{400}},
		{"values offset 2^63-1", get(w+"?offset=9223372036854775807", "{cookie}"), []int{400}},
		{"values offset 1e30", get(w+"?offset=1000000000000000000000000000000", "{cookie}"), []int{400}},
		{"values offset past the end", get(w+"?offset=3", "{cookie}"), []int{400}},
		{"values count 2^63-1", get(w+"?count=9223372036854775807", "{cookie}"), []int{200}},
		{"values count -5", get(w+"?count=-5", "{cookie}"), []int{400}},
		{"values count 0x10", get(w+"?count=0x10", "{cookie}"), []int{400}},
		{"channels axis -1", get("/api/models/{id}/channels/layer.weight?axis=-1", "{cookie}"), []int{400}},
		{"channels axis 2^70", get("/api/models/{id}/channels/layer.weight?axis=1180591620717411303424", "{cookie}"), []int{400}},
		{"channels of a 1-D tensor", get("/api/models/{id}/channels/layer.weight", "{cookie}"), []int{422}},
		{"POST on stats", "POST /api/models/{id}/stats/layer.weight HTTP/1.1\r\nHost: {addr}\r\n{cookie}Sec-Fetch-Site: same-origin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", []int{405, 404}},
		{"hostile tensor name: stats", get("/api/models/{hid}/stats/"+url.PathEscape(hostileName), "{cookie}"), []int{200}},
		{"hostile tensor name: npy", get("/api/models/{hid}/npy/"+url.PathEscape(hostileName), "{cookie}"), []int{200}},
		{"control: values of layer.weight", get(w+"?offset=1&count=1", "{cookie}"), []int{200}},
		{"control: params", get("/api/models/{id}/paramcount", "{cookie}"), []int{200}},
	}
	repl := strings.NewReplacer("{addr}", p.addr, "{cookie}", cookieLine, "{id}", id, "{hid}", hid)
	table := &reportTable{}
	for _, a := range attacks {
		resp := p.raw(t, repl.Replace(a.req))
		table.add("%-44s -> %d %s", a.name, resp.status, strings.TrimSpace(firstLine(resp.body)))
		if !slices.Contains(a.want, resp.status) {
			t.Errorf("%s: status %d (%v), want one of %v; body %q", a.name, resp.status, resp.err, a.want, firstLine(resp.body))
		}
		if strings.Contains(resp.body, passwdMarker) {
			t.Errorf("%s: the answer holds /etc/passwd", a.name)
		}
		if loc := resp.header.Get("Location"); loc != "" && (!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\")) {
			t.Errorf("%s: redirect off this origin: Location %q", a.name, loc)
		}
		if strings.Contains(resp.body, "\nevent: pwned") {
			t.Errorf("%s: the tensor name came back unescaped", a.name)
		}
		if cd := resp.header.Get("Content-Disposition"); strings.ContainsAny(cd, "\r\n\\") || strings.Count(cd, `"`) > 2 {
			t.Errorf("%s: Content-Disposition %q", a.name, cd)
		}
		if strings.HasPrefix(a.name, "values count 2^63") {
			var page struct{ Count int64 }
			if json.Unmarshal([]byte(resp.body), &page) != nil || page.Count != 2 {
				t.Errorf("%s: %q, want the tensor's 2 values", a.name, firstLine(resp.body))
			}
		}
	}
	table.log(t)
	burst(t, p, repl.Replace(get("/api/models/{id}/stats/layer.weight", "{cookie}")))
	if modelID(t, p, cookieLine, "plain.safetensors") != id {
		t.Error("an attack closed the model")
	}
}

// burst sends 24 whole-tensor reads at once: each is answered with 200
// or 503 (read slots full), within a hang bound of 10x a read's few
// milliseconds plus connection setup under load.
func burst(t *testing.T, p *app, req string) {
	t.Helper()
	var wg sync.WaitGroup
	codes := make([]int, 24)
	start := time.Now()
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = p.raw(t, req).status
		}()
	}
	wg.Wait()
	counts := map[int]int{}
	for _, c := range codes {
		counts[c]++
	}
	t.Logf("burst of %d stats reads: %v in %v", len(codes), counts, time.Since(start))
	if counts[200]+counts[503] != len(codes) || counts[200] == 0 {
		t.Errorf("burst answers %v, want only 200 and 503", counts)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("burst took %v", d)
	}
}
