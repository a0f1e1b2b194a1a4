// Package packaging_test checks the desktop integration files that the
// packages install: they must validate with the freedesktop tools, agree
// with each other, and the icons must be what their names say.
package packaging_test

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/modelpeek/modelpeek/internal/testenv"
	"github.com/modelpeek/modelpeek/model/all"
	"github.com/modelpeek/modelpeek/packaging"
)

const id = "io.github.modelpeek.modelpeek"

func TestDesktopFileValidates(t *testing.T) {
	v := testenv.LookPath(t, "desktop-file-validate", "desktop-file-utils")
	out, err := exec.Command(v, filepath.Join("linux", id+".desktop")).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("error:")) || bytes.Contains(out, []byte("warning:")) {
		t.Fatalf("desktop-file-validate: %v\n%s", err, out)
	}
}

func TestMetainfoValidates(t *testing.T) {
	v := testenv.LookPath(t, "appstreamcli", "appstream")
	out, err := exec.Command(v, "validate", "--no-net", filepath.Join("linux", id+".metainfo.xml")).CombinedOutput()
	if err != nil {
		t.Fatalf("appstreamcli validate: %v\n%s", err, out)
	}
}

type mimeInfo struct {
	Types []struct {
		Type  string `xml:"type,attr"`
		Globs []struct {
			Pattern string `xml:"pattern,attr"`
		} `xml:"glob"`
	} `xml:"mime-type"`
}

func TestMimeTypesAgree(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("linux", id+"-mime.xml"))
	if err != nil {
		t.Fatal(err)
	}
	var mi mimeInfo
	if err := xml.Unmarshal(data, &mi); err != nil {
		t.Fatalf("mime XML: %v", err)
	}
	var declared, globs []string
	for _, m := range mi.Types {
		declared = append(declared, m.Type)
		for _, g := range m.Globs {
			globs = append(globs, g.Pattern)
		}
	}
	// Every extension the format registry claims for the desktop has a
	// glob: a new decoder's extension is declared here too, or this fails.
	// HDF5 files have the system's own type (shared-mime-info).
	for _, ext := range packaging.DesktopExtensions(all.Registry().Extensions()) {
		if ext == ".h5" || ext == ".hdf5" {
			continue
		}
		if !slices.Contains(globs, "*"+ext) {
			t.Errorf("mime XML lacks glob *%s (the %s decoder claims it)", ext, ext)
		}
	}
	for _, g := range globs {
		if !slices.Contains(all.Registry().Extensions(), strings.TrimPrefix(g, "*")) {
			t.Errorf("mime XML glob %s is no registered decoder's extension", g)
		}
	}
	desktop, _ := os.ReadFile(filepath.Join("linux", id+".desktop"))
	m := regexp.MustCompile(`(?m)^MimeType=(.*)$`).FindSubmatch(desktop)
	if m == nil {
		t.Fatal("desktop file has no MimeType")
	}
	for _, mt := range strings.Split(strings.TrimSuffix(string(m[1]), ";"), ";") {
		if !slices.Contains(declared, mt) && mt != "application/x-hdf5" {
			t.Errorf("desktop MimeType %s is not declared in the mime XML", mt)
		}
	}
	if !bytes.Contains(desktop, []byte("\nExec=modelpeek %F\n")) {
		t.Errorf("desktop Exec must be %q (many files per launch)", "modelpeek %F")
	}
	if p := testenv.LookPathOptional("update-mime-database"); p != "" {
		base := t.TempDir()
		dir := filepath.Join(base, "mime")
		os.MkdirAll(filepath.Join(dir, "packages"), 0o755)
		os.WriteFile(filepath.Join(dir, "packages", id+".xml"), data, 0o644)
		cmd := exec.Command(p, dir)
		cmd.Env = append(os.Environ(), "XDG_DATA_HOME="+base)
		if out, err := cmd.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
			t.Errorf("update-mime-database: %v %s", err, out)
		}
	}
}

func TestIcons(t *testing.T) {
	for _, s := range []int{16, 22, 24, 32, 48, 64, 128, 256, 512} {
		f, err := os.Open(filepath.Join("icons", fmt.Sprintf("modelpeek-%d.png", s)))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if b := img.Bounds(); b.Dx() != s || b.Dy() != s {
			t.Errorf("modelpeek-%d.png is %v", s, b)
		}
	}
	ico, err := os.ReadFile(filepath.Join("icons", "modelpeek.ico"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ico) < 6 || binary.LittleEndian.Uint16(ico[2:]) != 1 || binary.LittleEndian.Uint16(ico[4:]) == 0 {
		t.Fatalf("modelpeek.ico has no ICO header")
	}
	n := int(binary.LittleEndian.Uint16(ico[4:]))
	for i := 0; i < n; i++ {
		e := ico[6+16*i:]
		size, off := binary.LittleEndian.Uint32(e[8:]), binary.LittleEndian.Uint32(e[12:])
		if _, err := png.Decode(bytes.NewReader(ico[off : off+size])); err != nil {
			t.Errorf("ico entry %d: %v", i, err)
		}
	}
	icns, err := os.ReadFile(filepath.Join("icons", "modelpeek.icns"))
	if err != nil {
		t.Fatal(err)
	}
	if string(icns[:4]) != "icns" || int(binary.BigEndian.Uint32(icns[4:])) != len(icns) {
		t.Fatal("modelpeek.icns header is wrong")
	}
}

func TestMacAppBundle(t *testing.T) {
	testenv.LookPath(t, "python3", "python3")
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.WriteFile(bin, []byte("#!/bin/sh\n"), 0o755)
	app := filepath.Join(dir, "modelpeek.app")
	if out, err := exec.Command("bash", "macos/make-app.sh", bin, app, "1.2.3").CombinedOutput(); err != nil {
		t.Fatalf("make-app.sh: %v\n%s", err, out)
	}
	plist, err := os.ReadFile(filepath.Join(app, "Contents", "Info.plist"))
	if err != nil {
		t.Fatal(err)
	}
	// Well-formed XML with the keys a tray-only document viewer needs.
	dec := xml.NewDecoder(bytes.NewReader(plist))
	var keys []string
	for {
		tok, err := dec.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("Info.plist is not well-formed: %v", err)
			}
			break
		}
		if se, ok := tok.(xml.StartElement); ok && se.Name.Local == "key" {
			var k string
			dec.DecodeElement(&k, &se)
			keys = append(keys, k)
		}
	}
	for _, k := range []string{"CFBundleExecutable", "CFBundleIdentifier", "LSUIElement", "CFBundleDocumentTypes", "UTImportedTypeDeclarations", "CFBundleShortVersionString"} {
		if !slices.Contains(keys, k) {
			t.Errorf("Info.plist lacks %s", k)
		}
	}
	if !bytes.Contains(plist, []byte("<string>1.2.3</string>")) || bytes.Contains(plist, []byte("@")) {
		t.Error("Info.plist placeholders not filled")
	}
	for _, f := range []string{"MacOS/modelpeek", "Resources/modelpeek.icns", "PkgInfo"} {
		if _, err := os.Stat(filepath.Join(app, "Contents", f)); err != nil {
			t.Error(err)
		}
	}
}

func TestWinresConfig(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("windows", "winres.json"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg map[string]map[string]map[string]any
	if err := json.Unmarshal(data, &cfg); err != nil {
		t.Fatalf("winres.json: %v", err)
	}
	icon, _ := cfg["RT_GROUP_ICON"]["APP"]["0000"].(string)
	if _, err := os.Stat(filepath.Join("windows", icon)); err != nil {
		t.Fatalf("winres icon %q: %v", icon, err)
	}
}
