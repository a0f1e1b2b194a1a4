package darknet

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// section is one `[type]` block of a .cfg with its options in file order.
type section struct {
	typ  string // without brackets, as written
	opts []option
	line int
}

// option is one key=value line.
type option struct{ key, value string }

// maxSections bounds the layer count (real networks have a few hundred).
const maxSections = 1 << 16

// parseCfg splits a .cfg into sections as darknet's read_cfg does: blanks
// are removed from every line, lines starting with '#' or ';' are
// comments, '[' opens a section, other lines are key=value options.
func parseCfg(data []byte) ([]section, error) {
	var secs []section
	for i, raw := range strings.Split(string(data), "\n") {
		line := stripBlanks(raw)
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: section header %.40q has no closing bracket", i+1, line)
			}
			if len(secs) >= maxSections {
				return nil, fmt.Errorf("more than %d sections", maxSections)
			}
			secs = append(secs, section{typ: line[1 : len(line)-1], line: i + 1})
		default:
			if len(secs) == 0 {
				return nil, errors.New("the file must start with a [net] section")
			}
			k, v, ok := strings.Cut(line, "=")
			if !ok {
				continue // darknet reports and ignores such lines
			}
			s := &secs[len(secs)-1]
			s.opts = append(s.opts, option{k, v})
		}
	}
	if len(secs) == 0 {
		return nil, errors.New("no sections")
	}
	if t := secs[0].typ; t != "net" && t != "network" {
		return nil, fmt.Errorf("the first section is [%.40s], not [net] or [network]", t)
	}
	return secs, nil
}

// stripBlanks removes every space, tab, CR and LF, as darknet's strip().
func stripBlanks(s string) string {
	if !strings.ContainsAny(s, " \t\r\n") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ' ' && c != '\t' && c != '\r' && c != '\n' {
			b.WriteByte(c)
		}
	}
	return b.String()
}

// find returns the first value of key.
func (s *section) find(key string) (string, bool) {
	for _, o := range s.opts {
		if o.key == key {
			return o.value, true
		}
	}
	return "", false
}

// int returns key as C atoi would read it, or def when absent.
func (s *section) int(key string, def int) int {
	v, ok := s.find(key)
	if !ok {
		return def
	}
	return atoi(v)
}

// atoi reads a leading optionally signed decimal, 0 when there is none,
// clamped to ±2^31 like a C int.
func atoi(s string) int {
	i, neg := 0, false
	if i < len(s) && (s[i] == '-' || s[i] == '+') {
		neg = s[i] == '-'
		i++
	}
	n := 0
	for ; i < len(s) && s[i] >= '0' && s[i] <= '9'; i++ {
		if n < 1<<31 {
			n = n*10 + int(s[i]-'0')
		}
	}
	if neg {
		return -n
	}
	return n
}

// ints reads a comma-separated list of C ints.
func ints(s string) []int {
	var out []int
	for _, f := range strings.Split(s, ",") {
		if f != "" {
			out = append(out, atoi(f))
		}
	}
	return out
}

// value types an option value for display: int, float, lists of them,
// or the text.
func value(v string) (i int64, f float64, is []int64, fs []float64, kind string) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		return n, 0, nil, nil, "int"
	}
	if x, err := strconv.ParseFloat(v, 64); err == nil {
		return 0, x, nil, nil, "float"
	}
	parts := strings.Split(v, ",")
	if len(parts) < 2 {
		return 0, 0, nil, nil, "string"
	}
	allInt := true
	for _, p := range parts {
		if p == "" {
			continue
		}
		if n, err := strconv.ParseInt(p, 10, 64); err == nil && allInt {
			is = append(is, n)
			fs = append(fs, float64(n))
			continue
		}
		x, err := strconv.ParseFloat(p, 64)
		if err != nil {
			return 0, 0, nil, nil, "string"
		}
		allInt = false
		fs = append(fs, x)
	}
	if allInt {
		return 0, 0, is, nil, "ints"
	}
	return 0, 0, nil, fs, "floats"
}
