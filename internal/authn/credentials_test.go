package authn

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseCredentialsJSON(t *testing.T) {
	c, err := ParseCredentials([]byte(`{"credentials": [
	  {"principal": "marathon", "secret": "s3cret"},
	  {"principal": "ci", "token": "tok-123"},
	  {"principal": "ops", "secret": "pw", "token": "tok-456"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Credential{{"marathon", "s3cret", ""}, {"ci", "", "tok-123"}, {"ops", "pw", "tok-456"}}
	if len(c.List) != len(want) {
		t.Fatalf("got %d credentials", len(c.List))
	}
	for i := range want {
		if c.List[i] != want[i] {
			t.Errorf("credentials[%d] = %+v, want %+v", i, c.List[i].Principal, want[i].Principal)
		}
	}
}

func TestParseCredentialsText(t *testing.T) {
	c, err := ParseCredentials([]byte("# operators\nmarathon  s3cret\n\n\tchronos other\n"))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.List) != 2 || c.List[0] != (Credential{Principal: "marathon", Secret: "s3cret"}) ||
		c.List[1] != (Credential{Principal: "chronos", Secret: "other"}) {
		t.Errorf("got %v", c)
	}
}

func TestParseCredentialsErrors(t *testing.T) {
	for _, tt := range []struct{ doc, want string }{
		{``, "no credentials"},
		{`{"credentials": []}`, "no credentials"},
		{`{}`, `missing "credentials"`},
		{`{"credentials": [{"principal": "a", "secret": "b"}], "extra": 1}`, `unknown field "extra"`},
		{`{"credentials": [{"principal": "a", "secrets": "b"}]}`, `unknown field "secrets"`},
		{`{"credentials": [{"principal": "", "secret": "b"}]}`, "credentials[0].principal is empty"},
		{`{"credentials": [{"principal": "a"}]}`, `credentials[0] (principal "a"): needs a secret or a token`},
		{`{"credentials": [{"principal": "a:b", "secret": "c"}]}`, `must not contain ':'`},
		{`{"credentials": [{"principal": "a", "secret": "b"}, {"principal": "a", "secret": "c"}]}`, `credentials[1].principal "a": already given in credentials[0]`},
		{`{"credentials": [{"principal": "a", "token": "t"}, {"principal": "b", "token": "t"}]}`, "credentials[1].token: same token as credentials[0]"},
		{`{"credentials": [`, "invalid JSON"},
		{"alice pw extra-secret\n", "line 1: want \"principal secret\", found 3 fields"},
		{"alice\n", "line 1"},
	} {
		_, err := ParseCredentials([]byte(tt.doc))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseCredentials(%q) = %v, want an error containing %q", tt.doc, err, tt.want)
		}
		if err != nil && strings.Contains(err.Error(), "extra-secret") {
			t.Errorf("error %q repeats a secret", err)
		}
	}
}

func TestLoadCredentials(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, []byte("a b\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{path, "file://" + path} {
		if c, err := LoadCredentials(v); err != nil || len(c.List) != 1 {
			t.Errorf("LoadCredentials(%s) = %v, %v", v, c, err)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad")
	_ = os.WriteFile(bad, []byte("a\n"), 0o600)
	if _, err := LoadCredentials(bad); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("LoadCredentials(bad) = %v, want an error naming the file", err)
	}
}

func TestStringRedacts(t *testing.T) {
	c := &Credentials{List: []Credential{{"marathon", "hunter2", "tok-xyz"}, {"ci", "", "tok-abc"}}}
	for _, s := range []string{c.String(), fmt.Sprint(c.List[0]), fmt.Sprintf("%v %+v %#v", c.List[0], c.List[1], c.List[0])} {
		for _, secret := range []string{"hunter2", "tok-xyz", "tok-abc"} {
			if strings.Contains(s, secret) {
				t.Errorf("%q shows %q", s, secret)
			}
		}
		if !strings.Contains(s, "marathon") && !strings.Contains(s, "ci") {
			t.Errorf("%q hides the principal", s)
		}
	}
}

func FuzzParseCredentials(f *testing.F) {
	f.Add([]byte(`{"credentials":[{"principal":"p","secret":"s"}]}`))
	f.Add([]byte(`{"credentials":[{"principal":"p","token":"t"}]}`))
	f.Add([]byte("p s\n# c\nq t\n"))
	f.Add([]byte("p\n"))
	f.Add([]byte(`{"credentials":null}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseCredentials(data)
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("parsed credentials fail Validate: %v", err)
		}
		_ = NewStatic(c)
	})
}
