package kmod

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// firewalldSetting is one key of firewalld.conf and the line that sets it.
type firewalldSetting struct {
	Value string
	Line  int
}

// firewalldConf is /etc/firewalld/firewalld.conf: KEY=value lines, '#'
// comments. A key set twice keeps its last value, as firewalld's reader
// does.
type firewalldConf map[string]firewalldSetting

// maxFirewalldKeys bounds the keys kept from one firewalld.conf: firewalld
// knows about twenty, the rest are ignored.
const maxFirewalldKeys = 256

// parseFirewalldConf reads firewalld.conf. Lines without '=' are ignored
// (firewalld logs and skips them), so it never fails.
func parseFirewalldConf(data []byte) (firewalldConf, error) {
	conf := firewalldConf{}
	eachLine(data, func(raw []byte, num int) {
		line := strings.TrimSpace(string(raw))
		if line == "" || line[0] == '#' {
			return
		}
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || key == "" {
			return
		}
		if _, seen := conf[key]; !seen && len(conf) >= maxFirewalldKeys {
			return
		}
		conf[key] = firewalldSetting{Value: strings.TrimSpace(value), Line: num}
	})
	return conf, nil
}

// get is a key's value, def when unset.
func (c firewalldConf) get(key, def string) (string, int) {
	if s, ok := c[key]; ok {
		return s.Value, s.Line
	}
	return def, 0
}

// yes reports whether a boolean key is on; firewalld takes yes and true in
// any case.
func (c firewalldConf) yes(key string, def bool) (bool, int) {
	v, line := c.get(key, "")
	if line == 0 {
		return def, 0
	}
	switch strings.ToLower(v) {
	case "yes", "true":
		return true, line
	case "no", "false":
		return false, line
	}
	return def, line
}

// fwElement is one element of a firewalld XML file (zone, policy, service,
// helper, ipset), with its parent's name: a <log> under <rule> is a rich
// rule's, a <limit> under <log> that log's rate.
type fwElement struct {
	Name   string
	Parent string
	Attrs  map[string]string
	Line   int
	// Rule is the index in fwDoc.Elements of the <rule> holding the
	// element, -1 outside rich rules.
	Rule int
}

// fwDoc is a parsed firewalld XML file: its root element (index 0) and
// every element below, in document order.
type fwDoc struct {
	Elements []fwElement
}

// Root is the root element's name ("zone", "service"...), "" for none.
func (d fwDoc) Root() string {
	if len(d.Elements) == 0 {
		return ""
	}
	return d.Elements[0].Name
}

// attr is an attribute of the root element.
func (d fwDoc) attr(name string) string {
	if len(d.Elements) == 0 {
		return ""
	}
	return d.Elements[0].Attrs[name]
}

// Bounds of one firewalld XML file: real ones hold a few dozen elements,
// a few levels deep.
const (
	maxFirewalldElements = 100000
	maxFirewalldDepth    = 32
	maxFirewalldAttrs    = 32
)

// parseFirewalldXML reads one firewalld XML file. Text is ignored
// (descriptions); what matters is elements and attributes. Errors name the
// line.
func parseFirewalldXML(data []byte) (fwDoc, error) {
	var doc fwDoc
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	// firewalld writes utf-8; other declared charsets are read as is.
	dec.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil }
	var stack []int // indexes of the open elements
	rule := -1
	for {
		line, _ := dec.InputPos()
		tok, err := dec.RawToken()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return doc, fmt.Errorf("line %d: %w", line, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) == 0 && len(doc.Elements) > 0 {
				return doc, fmt.Errorf("line %d: second root element <%s>", line, t.Name.Local)
			}
			if len(stack) >= maxFirewalldDepth {
				return doc, fmt.Errorf("line %d: elements nested deeper than %d", line, maxFirewalldDepth)
			}
			if len(doc.Elements) >= maxFirewalldElements {
				return doc, fmt.Errorf("line %d: more than %d elements", line, maxFirewalldElements)
			}
			e := fwElement{Name: t.Name.Local, Line: line, Rule: rule}
			if len(stack) > 0 {
				e.Parent = doc.Elements[stack[len(stack)-1]].Name
			}
			if len(t.Attr) > 0 {
				e.Attrs = make(map[string]string, min(len(t.Attr), maxFirewalldAttrs))
				for i, a := range t.Attr {
					if i == maxFirewalldAttrs {
						break
					}
					e.Attrs[a.Name.Local] = a.Value
				}
			}
			if e.Name == "rule" && len(stack) == 1 {
				rule = len(doc.Elements)
				e.Rule = rule
			}
			stack = append(stack, len(doc.Elements))
			doc.Elements = append(doc.Elements, e)
		case xml.EndElement:
			if len(stack) == 0 {
				return doc, fmt.Errorf("line %d: unexpected </%s>", line, t.Name.Local)
			}
			if doc.Elements[stack[len(stack)-1]].Name != t.Name.Local {
				return doc, fmt.Errorf("line %d: </%s> closes <%s>", line, t.Name.Local, doc.Elements[stack[len(stack)-1]].Name)
			}
			if stack[len(stack)-1] == rule {
				rule = -1
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		return doc, fmt.Errorf("<%s> is not closed", doc.Elements[stack[len(stack)-1]].Name)
	}
	if len(doc.Elements) == 0 {
		return doc, errors.New("no root element")
	}
	return doc, nil
}
