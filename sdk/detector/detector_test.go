package detector

import (
	"testing"
)

func TestParseMasterInfo(t *testing.T) {
	for _, tc := range []struct {
		name, data, want string
	}{
		{"address ip", `{"id":"x","ip":16777343,"port":5050,"pid":"master@127.0.0.1:5050","hostname":"h","address":{"ip":"10.0.0.2","hostname":"h","port":5051}}`, "http://10.0.0.2:5051"},
		{"pid", `{"id":"x","port":5050,"pid":"master@10.1.2.3:5050","hostname":"h"}`, "http://10.1.2.3:5050"},
		{"packed ip", `{"id":"x","ip":16777343,"port":5050}`, "http://127.0.0.1:5050"},
		{"hostname", `{"id":"x","hostname":"m1.example","port":5050}`, "http://m1.example:5050"},
		{"wildcard address falls back", `{"ip":33554442,"port":5050,"address":{"ip":"0.0.0.0","port":5050}}`, "http://10.0.0.2:5050"},
		{"ipv6", `{"port":5050,"address":{"ip":"::1","port":5050}}`, "http://[::1]:5050"},
	} {
		u, err := ParseMasterInfo([]byte(tc.data))
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if u.String() != tc.want {
			t.Errorf("%s: %s, want %s", tc.name, u, tc.want)
		}
	}
}

func TestParseMasterInfoErrors(t *testing.T) {
	for _, data := range []string{``, `[]`, `{"ip":1}`, `{"port":0,"hostname":"h"}`, `{"port":70000,"hostname":"h"}`, `{"port":5050}`, `{"port":"x","hostname":"h"}`} {
		if u, err := ParseMasterInfo([]byte(data)); err == nil {
			t.Errorf("%q: got %s, want an error", data, u)
		}
	}
}

func TestDetectBadURL(t *testing.T) {
	if _, err := Detect(t.Context(), "http://x:1/agora", nil); err == nil {
		t.Fatal("Detect accepted a non-zk URL")
	}
	if !IsZK(" zk://h:1/a") || IsZK("h:5050") {
		t.Fatal("IsZK")
	}
}

func FuzzParseMasterInfo(f *testing.F) {
	f.Add([]byte(`{"id":"x","ip":16777343,"port":5050,"pid":"master@127.0.0.1:5050","address":{"ip":"127.0.0.1","port":5050}}`))
	f.Add([]byte(`{"port":5050,"hostname":"h"}`))
	f.Add([]byte(`{"ip":-1,"port":1e9}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		u, err := ParseMasterInfo(data)
		if err == nil && (u.Host == "" || u.Scheme != "http") {
			t.Fatalf("%q: %v", data, u)
		}
	})
}
