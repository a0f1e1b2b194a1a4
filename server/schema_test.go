package server

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSchemaRoute asks for operator schemas over the API: Conv at opset
// 13 is its version 11 with its inputs, attributes and page; the default
// domain has two spellings; bad or unknown questions are clear errors.
func TestSchemaRoute(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	for _, c := range []struct {
		path  string
		code  int
		since int64
	}{
		{"/api/schema?op=Conv&version=13", http.StatusOK, 11},
		{"/api/schema?domain=ai.onnx&op=Conv&version=10", http.StatusOK, 1},
		{"/api/schema?domain=ai.onnx.ml&op=LinearClassifier", http.StatusOK, 1},
		{"/api/schema?op=Conv", http.StatusOK, 11},
		{"/api/schema?op=Conv&version=x", http.StatusBadRequest, 0},
		{"/api/schema?op=Conv&version=-1", http.StatusBadRequest, 0},
		{"/api/schema", http.StatusBadRequest, 0},
		{"/api/schema?op=" + strings.Repeat("A", 300), http.StatusBadRequest, 0},
		{"/api/schema?op=NoSuchOp", http.StatusNotFound, 0},
		{"/api/schema?op=Conv&domain=com.example", http.StatusNotFound, 0},
	} {
		resp, body := do(t, authed(t, s, addr, "GET", c.path, nil))
		if resp.StatusCode != c.code {
			t.Fatalf("%s: %d %s, want %d", c.path, resp.StatusCode, body, c.code)
		}
		if c.code != http.StatusOK {
			if !strings.Contains(body, `"error"`) {
				t.Errorf("%s: no error message: %s", c.path, body)
			}
			continue
		}
		var got struct {
			Name       string
			Since      int64
			Versions   []int64
			URL        string
			TableOpset int64 `json:"table_opset"`
			Inputs     []struct{ Name, Option string }
			Attributes []struct {
				Name    string
				Default any
			}
		}
		if err := json.Unmarshal([]byte(body), &got); err != nil {
			t.Fatalf("%s: %v", c.path, err)
		}
		if got.Since != c.since || len(got.Versions) == 0 || !strings.HasPrefix(got.URL, "https://onnx.ai/onnx/operators/onnx_") || got.TableOpset < got.Since {
			t.Errorf("%s: since %d versions %v url %q", c.path, got.Since, got.Versions, got.URL)
		}
		if got.Name == "Conv" && (len(got.Inputs) != 3 || got.Inputs[2].Name != "B" || got.Inputs[2].Option != "optional" || !hasAttr(got.Attributes, "group", 1.0)) {
			t.Errorf("%s: Conv schema %s", c.path, body)
		}
	}
}

// TestSchemaRouteTFLite asks for TFLite builtin operators' options:
// CONV_2D's table with its fields and the enums they use; an operator
// without options has none; an unknown one is 404.
func TestSchemaRouteTFLite(t *testing.T) {
	s, addr := startServer(t, newFakeLib(), nil)
	resp, body := do(t, authed(t, s, addr, "GET", "/api/schema?domain=tflite&op=CONV_2D", nil))
	var got struct {
		Name, Options string
		Code          int
		Fields        []struct{ Name, Type string }
		Enums         map[string][]string
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal([]byte(body), &got) != nil {
		t.Fatalf("CONV_2D: %d %s", resp.StatusCode, body)
	}
	if got.Name != "CONV_2D" || got.Code != 3 || got.Options != "Conv2DOptions" || len(got.Fields) < 6 ||
		got.Fields[3].Name != "fused_activation_function" || len(got.Enums["ActivationFunctionType"]) < 6 || len(got.Enums["Padding"]) != 2 {
		t.Errorf("CONV_2D: %s", body)
	}
	resp, body = do(t, authed(t, s, addr, "GET", "/api/schema?domain=tflite&op=RELU", nil))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `"fields":[]`) {
		t.Errorf("RELU: %d %s", resp.StatusCode, body)
	}
	if resp, body := do(t, authed(t, s, addr, "GET", "/api/schema?domain=tflite&op=Conv", nil)); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown op: %d %s", resp.StatusCode, body)
	}
}

func hasAttr(attrs []struct {
	Name    string
	Default any
}, name string, def any) bool {
	for _, a := range attrs {
		if a.Name == name {
			return a.Default == def
		}
	}
	return false
}

// FuzzSchemaQuery feeds arbitrary query strings to the schema route: it
// answers 200 with JSON, 400 or 404, never panics.
func FuzzSchemaQuery(f *testing.F) {
	for _, q := range []string{"op=Conv&version=13", "domain=ai.onnx.ml&op=TreeEnsembleClassifier", "op=%00&version=99999999999999999999", "op=Conv&op=Relu&version=", "", "domain=tflite&op=CONV_2D", "domain=tflite&op=RELU"} {
		f.Add(q)
	}
	r := &run{s: &Server{}}
	f.Fuzz(func(t *testing.T, query string) {
		req := httptest.NewRequest("GET", "/api/schema", nil)
		req.URL.RawQuery = query
		w := httptest.NewRecorder()
		r.handleSchema(w, req)
		switch w.Code {
		case http.StatusOK:
			if !json.Valid(w.Body.Bytes()) {
				t.Fatalf("%q: invalid JSON %s", query, w.Body.String())
			}
		case http.StatusBadRequest, http.StatusNotFound:
		default:
			t.Fatalf("%q: status %d", query, w.Code)
		}
	})
}
