package autostart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// LaunchAgent is the macOS backend: ~/Library/LaunchAgents/<AppID>.plist
// with RunAtLoad, limited to GUI (Aqua) sessions, never kept alive (Quit
// must stay quit). Disable removes the file.
type LaunchAgent struct{ Config }

func (l LaunchAgent) path() (string, error) {
	home := l.Home
	if home == "" {
		h, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("find the home directory: %w", err)
		}
		home = h
	}
	return filepath.Join(home, "Library", "LaunchAgents", AppID+".plist"), nil
}

// Enable writes the LaunchAgent; launchd picks it up at the next login.
func (l LaunchAgent) Enable() error {
	p, err := l.path()
	if err != nil {
		return err
	}
	exe, args, err := l.command()
	if err != nil {
		return err
	}
	if err := writeFileAtomic(p, LaunchAgentPlist(exe, args), 0o644); err != nil {
		return fmt.Errorf("write LaunchAgent: %w", err)
	}
	return nil
}

// Disable removes the LaunchAgent; a missing one is fine.
func (l LaunchAgent) Disable() error {
	p, err := l.path()
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove LaunchAgent: %w", err)
	}
	return nil
}

// Status reports whether the LaunchAgent exists with RunAtLoad set.
func (l LaunchAgent) Status() (Status, error) {
	p, err := l.path()
	if err != nil {
		return Status{}, err
	}
	data, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		return Status{Where: p}, nil
	}
	if err != nil {
		return Status{}, fmt.Errorf("read LaunchAgent: %w", err)
	}
	d, err := parsePlistDict(data)
	if err != nil {
		return Status{Where: p, Detail: "unreadable: " + err.Error()}, nil
	}
	if d["RunAtLoad"] != "true" {
		return Status{Where: p, Detail: "RunAtLoad is not true"}, nil
	}
	return Status{Where: p, Enabled: true}, nil
}

// LaunchAgentPlist renders the property list for exe and args.
func LaunchAgentPlist(exe string, args []string) []byte {
	var b bytes.Buffer
	b.WriteString(xml.Header)
	b.WriteString(`<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">` + "\n")
	b.WriteString("<plist version=\"1.0\">\n<dict>\n")
	key := func(k string) { b.WriteString("\t<key>" + k + "</key>\n") }
	str := func(indent, s string) {
		b.WriteString(indent + "<string>")
		xml.EscapeText(&b, []byte(s))
		b.WriteString("</string>\n")
	}
	key("Label")
	str("\t", AppID)
	key("ProgramArguments")
	b.WriteString("\t<array>\n")
	for _, a := range append([]string{exe}, args...) {
		str("\t\t", a)
	}
	b.WriteString("\t</array>\n")
	key("RunAtLoad")
	b.WriteString("\t<true/>\n")
	key("KeepAlive")
	b.WriteString("\t<false/>\n")
	key("LimitLoadToSessionType")
	str("\t", "Aqua")
	key("ProcessType")
	str("\t", "Interactive")
	b.WriteString("</dict>\n</plist>\n")
	return b.Bytes()
}

// parsePlistDict reads the top-level dict of an XML plist into key → value
// text ("true"/"false" for booleans; array and dict values are skipped).
func parsePlistDict(data []byte) (map[string]string, error) {
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	out := map[string]string{}
	depth, inDict := 0, false
	var key string
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse plist: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			depth++
			if depth > 32 {
				return nil, errors.New("parse plist: nested too deeply")
			}
			switch {
			case t.Name.Local == "dict" && depth == 2:
				inDict = true
			case inDict && depth == 3 && t.Name.Local == "key":
				var s string
				if err := dec.DecodeElement(&s, &t); err != nil {
					return nil, fmt.Errorf("parse plist: %w", err)
				}
				key = s
				depth--
			case inDict && depth == 3 && (t.Name.Local == "true" || t.Name.Local == "false"):
				out[key] = t.Name.Local
			case inDict && depth == 3 && (t.Name.Local == "string" || t.Name.Local == "integer"):
				var s string
				if err := dec.DecodeElement(&s, &t); err != nil {
					return nil, fmt.Errorf("parse plist: %w", err)
				}
				out[key] = s
				depth--
			}
		case xml.EndElement:
			depth--
		}
	}
	if !inDict {
		return nil, errors.New("parse plist: no top-level dict")
	}
	return out, nil
}
