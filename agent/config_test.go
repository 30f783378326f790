package agent

import (
	"strings"
	"testing"
	"time"
)

func TestMasterURL(t *testing.T) {
	for in, want := range map[string]string{
		"10.0.0.1:5050":                "http://10.0.0.1:5050/agora/v1/agent",
		"master.example":               "http://master.example:5050/agora/v1/agent",
		"http://m:8080":                "http://m:8080/agora/v1/agent",
		"https://m:8443/prefix/":       "https://m:8443/prefix/agora/v1/agent",
		" http://[::1]:5050?x=1#frag ": "http://[::1]:5050/agora/v1/agent",
	} {
		u, err := masterURL(in)
		if err != nil || u.String() != want {
			t.Errorf("masterURL(%q) = %v, %v; want %s", in, u, err, want)
		}
	}
	if u, err := masterURL("zk://zk1:2181,zk2:2181/agora"); err != nil || u != nil {
		t.Errorf("masterURL(zk://...) = %v, %v; want no fixed endpoint and no error", u, err)
	}
	for _, in := range []string{"", "zk://", "zk://zk1:99999/agora", "ftp://m:21", "http://:5050", "m:0", "m:99999", "m:port"} {
		if _, err := masterURL(in); err == nil {
			t.Errorf("masterURL(%q) accepted", in)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	ok := Config{Master: "m:5050"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("minimal config: %v", err)
	}
	for name, tc := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"no master":      {func(c *Config) { c.Master = "" }, "master"},
		"port":           {func(c *Config) { c.Port = 70000 }, "port"},
		"ip":             {func(c *Config) { c.IP = "not-an-ip" }, "ip"},
		"resources":      {func(c *Config) { c.Resources = "cpus:x" }, "--resources"},
		"attributes":     {func(c *Config) { c.Attributes = "rack" }, "--attributes"},
		"backoff":        {func(c *Config) { c.Backoff, c.BackoffMax = time.Minute, time.Second }, "backoff"},
		"negative grace": {func(c *Config) { c.KillGracePeriod = -time.Second }, "grace"},
		"ping timeouts":  {func(c *Config) { c.MaxPingTimeouts = -1 }, "ping timeouts"},
	} {
		c := ok
		tc.mod(&c)
		err := c.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: Validate() = %v, want an error about %q", name, err, tc.want)
		}
	}
	if _, err := New(Config{Master: "m:5050", Resources: "cpus:x"}); err == nil {
		t.Error("New accepted an invalid config")
	}
}

func TestEnvironmentRejectsSecrets(t *testing.T) {
	a := &Agent{cfg: Config{Port: 5051}, ip: "127.0.0.1"}
	ti := shellTask("t", "true")
	ti.Command.Environment = nil
	ex := &executor{id: "t"}
	tk := &task{key: taskKey{"fw", "t"}, info: ti, executor: ex}
	if _, err := a.environment(tk); err != nil {
		t.Fatal(err)
	}
	ti.Command.Environment = secretEnv()
	if _, err := a.environment(tk); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Fatalf("secret accepted: %v", err)
	}
}

func TestCheckID(t *testing.T) {
	for id, valid := range map[string]bool{
		"web.1234-abcd": true, "": false, ".": false, "..": false, "a/b": false, strings.Repeat("x", 256): false,
	} {
		if (checkID(id) == nil) != valid {
			t.Errorf("checkID(%.20q) valid = %v, want %v", id, !valid, valid)
		}
	}
}
