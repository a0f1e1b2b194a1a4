package desktopentry

import "testing"

func TestExec(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{
		{[]string{"/usr/bin/modelpeek", "--no-browser"}, "/usr/bin/modelpeek --no-browser"},
		{[]string{"/opt/model peek/mp"}, `"/opt/model peek/mp"`},
		{[]string{`/a"b`}, `"/a\\"b"`},
		{[]string{`/a$b`}, `"/a\\$b"`},
		{[]string{`/a\b`}, `"/a\\\\b"`},
		{[]string{"/100%/x"}, `"/100%%/x"`},
	} {
		if got := Exec(c.argv...); got != c.want {
			t.Errorf("Exec(%q) = %s, want %s", c.argv, got, c.want)
		}
	}
}
