package authn

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Credential is one entry of a credentials file. Secret is the password
// of HTTP Basic (and of Mesos's framework and agent authentication);
// Token, an Agora extension, is a bearer token for the same principal.
// An entry has a secret, a token, or both.
type Credential struct {
	Principal string `json:"principal"`
	Secret    string `json:"secret,omitempty"`
	Token     string `json:"token,omitempty"`
}

// String redacts the secret and token so a credential can be logged.
func (c Credential) String() string {
	return fmt.Sprintf("{principal:%s secret:%s token:%s}", c.Principal, redact(c.Secret), redact(c.Token))
}

// GoString redacts too, so %#v does not print secrets either.
func (c Credential) GoString() string { return "authn.Credential" + c.String() }

func redact(s string) string {
	if s == "" {
		return "(none)"
	}
	return "(redacted)"
}

// Credentials is a parsed credentials file.
type Credentials struct {
	List []Credential
}

// String redacts every secret.
func (c *Credentials) String() string {
	var b strings.Builder
	b.WriteString("[")
	for i, e := range c.List {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString(e.String())
	}
	b.WriteString("]")
	return b.String()
}

// LoadCredentials reads the file named by Mesos's --credentials flag (a
// path or a file:// URL).
func LoadCredentials(value string) (*Credentials, error) {
	path := strings.TrimPrefix(value, "file://")
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	c, err := ParseCredentials(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// ParseCredentials reads either Mesos format: JSON
// {"credentials":[{"principal":"p","secret":"s"}]} (Agora also accepts
// "token" in an entry), or the legacy text form with one "principal
// secret" pair per line. Blank lines and lines starting with # are
// skipped in the text form.
func ParseCredentials(data []byte) (*Credentials, error) {
	trimmed := bytes.TrimSpace(data)
	var c *Credentials
	var err error
	if len(trimmed) > 0 && trimmed[0] == '{' {
		c, err = parseJSON(trimmed)
	} else {
		c, err = parseText(data)
	}
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func parseJSON(data []byte) (*Credentials, error) {
	var doc struct {
		Credentials *[]Credential `json:"credentials"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("credentials: invalid JSON: %w", err)
	}
	if doc.Credentials == nil {
		return nil, fmt.Errorf(`credentials: missing "credentials" list`)
	}
	return &Credentials{List: *doc.Credentials}, nil
}

func parseText(data []byte) (*Credentials, error) {
	c := &Credentials{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			// The line may hold a secret: say what is wrong, not what it says.
			return nil, fmt.Errorf("credentials: line %d: want \"principal secret\", found %d fields", n, len(f))
		}
		c.List = append(c.List, Credential{Principal: f[0], Secret: f[1]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("credentials: %w", err)
	}
	return c, nil
}

// Validate checks every entry has a principal and a secret or token, and
// that no principal or token appears twice (a token must name one
// principal).
func (c *Credentials) Validate() error {
	if len(c.List) == 0 {
		return fmt.Errorf("credentials: no credentials")
	}
	principals := map[string]int{}
	tokens := map[string]int{}
	for i, e := range c.List {
		switch {
		case e.Principal == "":
			return fmt.Errorf("credentials[%d].principal is empty", i)
		case e.Secret == "" && e.Token == "":
			return fmt.Errorf("credentials[%d] (principal %q): needs a secret or a token", i, e.Principal)
		case strings.ContainsAny(e.Principal, ":\r\n"):
			// Basic splits user:password at the first colon.
			return fmt.Errorf("credentials[%d].principal %q: must not contain ':' or a newline", i, e.Principal)
		}
		if j, dup := principals[e.Principal]; dup {
			return fmt.Errorf("credentials[%d].principal %q: already given in credentials[%d]", i, e.Principal, j)
		}
		principals[e.Principal] = i
		if e.Token != "" {
			if j, dup := tokens[e.Token]; dup {
				return fmt.Errorf("credentials[%d].token: same token as credentials[%d]", i, j)
			}
			tokens[e.Token] = i
		}
	}
	return nil
}
