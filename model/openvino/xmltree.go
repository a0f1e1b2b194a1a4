package openvino

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
)

// Bounds of the XML reader: hostile files may nest deeply or pile up
// attributes; every structure is bounded before it grows.
const (
	maxDepth     = 256     // element nesting
	maxAttrs     = 4096    // attributes of one element
	maxElements  = 4 << 20 // elements in a file
	maxText      = 4096    // text kept per element (dims, names)
	maxXMLSize   = 128 << 20
	textElements = "dim"
)

// elem is one XML element: its name, attributes, children and (short) text.
type elem struct {
	name  string
	attrs []xml.Attr
	kids  []*elem
	text  []byte
}

// attr returns the value of an attribute, "" when absent.
func (e *elem) attr(name string) string {
	v, _ := e.lookup(name)
	return v
}

// lookup returns an attribute's value and whether it is present.
func (e *elem) lookup(name string) (string, bool) {
	for _, a := range e.attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// child returns the first child element named name, or nil.
func (e *elem) child(name string) *elem {
	for _, k := range e.kids {
		if k.name == name {
			return k
		}
	}
	return nil
}

// children returns the child elements named name.
func (e *elem) children(name string) []*elem {
	var out []*elem
	for _, k := range e.kids {
		if k.name == name {
			out = append(out, k)
		}
	}
	return out
}

// parseXML reads a document into a tree, refusing documents that nest
// deeper than maxDepth, carry more than maxAttrs attributes on an element
// or more than maxElements elements.
func parseXML(r io.Reader) (*elem, error) {
	d := xml.NewDecoder(r)
	d.Strict = true
	var stack []*elem
	var root *elem
	count := 0
	for {
		tok, err := d.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if count++; count > maxElements {
				return nil, fmt.Errorf("more than %d XML elements", maxElements)
			}
			if len(stack) >= maxDepth {
				return nil, fmt.Errorf("XML elements nested more than %d deep", maxDepth)
			}
			if len(t.Attr) > maxAttrs {
				return nil, fmt.Errorf("element <%s> has %d attributes, more than %d", t.Name.Local, len(t.Attr), maxAttrs)
			}
			e := &elem{name: t.Name.Local, attrs: t.Attr}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, e)
			} else if root != nil {
				return nil, errors.New("malformed XML: more than one root element")
			} else {
				root = e
			}
			stack = append(stack, e)
		case xml.EndElement:
			if len(stack) == 0 || stack[len(stack)-1].name != t.Name.Local {
				return nil, fmt.Errorf("malformed XML: unexpected </%s>", t.Name.Local)
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) > 0 {
				e := stack[len(stack)-1]
				if e.name == textElements && len(e.text)+len(t) <= maxText {
					e.text = append(e.text, bytes.TrimSpace(t)...)
				}
			}
		}
	}
	if root == nil {
		return nil, errors.New("the file holds no XML element")
	}
	if len(stack) > 0 {
		return nil, errors.New("malformed XML: the document ends inside an element")
	}
	return root, nil
}
