package zkurl

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want URL
	}{
		{"zk://127.0.0.1:2181/mesos", URL{Servers: []string{"127.0.0.1:2181"}, Path: "/mesos"}},
		{"zk://a:1,b:2,c:3/marathon/state", URL{Servers: []string{"a:1", "b:2", "c:3"}, Path: "/marathon/state"}},
		{"zk://zk1/mesos/", URL{Servers: []string{"zk1:2181"}, Path: "/mesos"}},
		{"zk://zk1:2181", URL{Servers: []string{"zk1:2181"}, Path: "/"}},
		{"zk://bob:s3cr@t@zk1:2181,zk2:2181/chronos", URL{Servers: []string{"zk1:2181", "zk2:2181"}, Path: "/chronos", Auth: "bob:s3cr@t"}},
		{"zk://[::1]:2181/x", URL{Servers: []string{"[::1]:2181"}, Path: "/x"}},
		{"zk://[::1]/x", URL{Servers: []string{"[::1]:2181"}, Path: "/x"}},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		again, err := Parse(got.String())
		if err != nil || !reflect.DeepEqual(again, got) {
			t.Errorf("round trip of %q via %q = %+v, %v", tt.in, got.String(), again, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://zk:2181/mesos", "must start with zk://"},
		{"zk:///mesos", "no servers"},
		{"zk://a:2181,,b:2181/m", "empty server"},
		{"zk://a:99999/m", "port must be"},
		{"zk://a:x/m", "port must be"},
		{"zk://bob@a:2181/m", "credentials must be user:pass"},
		{"zk://a:2181/m//n", "empty, . or .. segment"},
		{"zk://a:2181/m/../n", "empty, . or .. segment"},
		{"zk://a:2181/m?x=1", "query"},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) error = %v, want containing %q", tt.in, err, tt.want)
		}
	}
}

func TestRedacted(t *testing.T) {
	u, err := Parse("zk://bob:secret@zk1:2181/m")
	if err != nil {
		t.Fatal(err)
	}
	if got := u.Redacted(); strings.Contains(got, "secret") || got != "zk://bob:xxxxx@zk1:2181/m" {
		t.Errorf("Redacted() = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"zk://a:1/b", "zk://u:p@a,b:2/c/d", "zk://[::1]:5/", "zk://", "zk://a:0/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			return
		}
		again, err := Parse(u.String())
		if err != nil {
			t.Fatalf("Parse(%q) ok but Parse(String()=%q): %v", s, u.String(), err)
		}
		if !reflect.DeepEqual(again, u) {
			t.Fatalf("round trip %q: %+v != %+v", s, again, u)
		}
	})
}
