package pki

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Join obtains an agent certificate from the master at masterURL with a
// join token. It downloads the CA certificate, refuses it unless its
// fingerprint is the token's, and only then sends the token's secret
// and a CSR for key over a connection that trusts that CA alone and
// whose server must hold a master certificate. hostname names the
// agent; hosts become SANs. It returns the certificate and the CA in PEM.
func Join(ctx context.Context, masterURL, token string, key crypto.Signer, hostname string, hosts []string) (certPEM, caPEM []byte, err error) {
	return JoinAs(ctx, masterURL, token, key, Identity{Role: RoleAgent, Name: hostname}, hosts)
}

// JoinAs is Join for any identity a token may issue: a framework joins
// as Identity{RoleFramework, "marathon"}. The master refuses an identity
// whose role is not the token's.
func JoinAs(ctx context.Context, masterURL, token string, key crypto.Signer, id Identity, hosts []string) (certPEM, caPEM []byte, err error) {
	if err := id.Validate(); err != nil {
		return nil, nil, fmt.Errorf("pki: join: %w", err)
	}
	t, err := ParseToken(token)
	if err != nil {
		return nil, nil, err
	}
	base, err := httpsURL(masterURL)
	if err != nil {
		return nil, nil, err
	}
	caPEM, err = FetchCA(ctx, base, t.Fingerprint)
	if err != nil {
		return nil, nil, err
	}
	ca, _ := ParseCert(caPEM) // FetchCA parsed it
	csr, err := NewCSR(id, hosts, key, rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	pool := (&CA{Cert: ca}).Pool()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: ClientConfig(pool, nil, RoleMaster, nil)}}
	defer client.CloseIdleConnections()
	resp, err := postCert(ctx, client, base+PathJoin, JoinRequest{Token: t.Encode(), CSR: string(csr)})
	if err != nil {
		return nil, nil, fmt.Errorf("pki: join: %w", err)
	}
	return []byte(resp.Certificate), caPEM, nil
}

// FetchCA downloads the CA certificate from base and checks it against
// fingerprint. The download itself is not verified (the agent trusts
// nothing yet); the fingerprint check is what makes it safe.
func FetchCA(ctx context.Context, base, fingerprint string) ([]byte, error) {
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		MinVersion:         tls.VersionTLS12,
		InsecureSkipVerify: true, // verified below by fingerprint
	}}}
	defer client.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+PathCA, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("pki: fetching the CA: %w", err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, fmt.Errorf("pki: fetching the CA: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("pki: fetching the CA: %s: %s", resp.Status, strings.TrimSpace(string(data)))
	}
	ca, err := ParseCert(data)
	if err != nil {
		return nil, fmt.Errorf("pki: fetching the CA: %w", err)
	}
	if got := Fingerprint(ca); got != fingerprint {
		return nil, fmt.Errorf("pki: the master's CA has fingerprint %s but the join token names %s: wrong cluster or an impostor", got, fingerprint)
	}
	return data, nil
}

// SignFunc turns a PEM CSR into a PEM certificate.
type SignFunc func(ctx context.Context, csrPEM []byte) (certPEM []byte, err error)

// RemoteSigner renews through the master at masterURL, using client,
// whose transport must present the current certificate (ClientConfig
// with the node's CertStore).
func RemoteSigner(client *http.Client, masterURL string) SignFunc {
	return func(ctx context.Context, csrPEM []byte) ([]byte, error) {
		base, err := httpsURL(masterURL)
		if err != nil {
			return nil, err
		}
		resp, err := postCert(ctx, client, base+PathRenew, RenewRequest{CSR: string(csrPEM)})
		if err != nil {
			return nil, fmt.Errorf("pki: renew: %w", err)
		}
		return []byte(resp.Certificate), nil
	}
}

// LocalSigner signs with the CA directly: how a master renews its own
// serving certificate. The CSR's identity is kept.
func LocalSigner(ca *CA, lifetime time.Duration, now func() time.Time) SignFunc {
	return func(_ context.Context, csrPEM []byte) ([]byte, error) {
		req, err := ParseCSR(csrPEM)
		if err != nil {
			return nil, fmt.Errorf("pki: csr: %w", err)
		}
		return ca.Issue(req, now(), lifetime, rand.Reader)
	}
}

func httpsURL(raw string) (string, error) {
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("pki: master URL %q: %w", raw, err)
	}
	if u.Scheme != "https" {
		return "", fmt.Errorf("pki: master URL %q: joining needs https, which keeps the token secret", raw)
	}
	return "https://" + u.Host, nil
}

func postCert(ctx context.Context, client *http.Client, url string, body any) (*CertResponse, error) {
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(out)))
	}
	var cr CertResponse
	if err := json.Unmarshal(out, &cr); err != nil {
		return nil, fmt.Errorf("invalid response: %w", err)
	}
	if _, err := ParseCert([]byte(cr.Certificate)); err != nil {
		return nil, fmt.Errorf("invalid certificate in response: %w", err)
	}
	return &cr, nil
}
