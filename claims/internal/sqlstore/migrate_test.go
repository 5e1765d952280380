package sqlstore

import (
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
)

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"a = ? AND b IN (?, ?)", "a = $1 AND b IN ($2, $3)"},
		{"ünï ? ?", "ünï $1 $2"},
	} {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestLoadMigrations(t *testing.T) {
	tests := []struct {
		name  string
		files fstest.MapFS
		want  string // versions in order, or the error text
	}{
		{"ordered by number", fstest.MapFS{"0010_b.sql": {Data: []byte("B")}, "0002_a.sql": {Data: []byte("A")}, "README": {}}, "2:a 10:b"},
		{"no number", fstest.MapFS{"init.sql": {}}, "NNNN_name.sql"},
		{"zero", fstest.MapFS{"0000_x.sql": {}}, "NNNN_name.sql"},
		{"duplicate version", fstest.MapFS{"0001_a.sql": {}, "001_b.sql": {}}, "share version 1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := loadMigrations(tc.files)
			var got string
			if err != nil {
				got = err.Error()
			} else {
				var parts []string
				for _, m := range ms {
					parts = append(parts, strconv.Itoa(m.version)+":"+m.name)
				}
				got = strings.Join(parts, " ")
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
