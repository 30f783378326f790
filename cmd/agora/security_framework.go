package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/agoraproject/agora/sdk/scheduler"
)

// frameworkSecurityFlags are how the bundled frameworks reach a TLS,
// authenticating master, named as Marathon names them.
type frameworkSecurityFlags struct {
	principal  string
	secretFile string
	caFile     string
}

func bindFrameworkSecurityFlags(fs *flag.FlagSet) *frameworkSecurityFlags {
	f := &frameworkSecurityFlags{}
	fs.StringVar(&f.principal, "mesos_authentication_principal", "", "principal the framework authenticates to the master as (HTTP Basic)")
	fs.StringVar(&f.secretFile, "mesos_authentication_secret_file", "", "file holding the principal's secret")
	fs.StringVar(&f.caFile, "ssl_ca_file", "", "PEM CA the master's certificate must chain to (the master's <work_dir>/ca.crt); with it, a --master without a scheme is reached over https")
	return f
}

// hook returns what to change in the SDK client's configuration, or nil.
// The secret is read once, here, so a missing file fails at start.
func (f *frameworkSecurityFlags) hook() (func(*scheduler.Config), error) {
	if f.secretFile != "" && f.principal == "" {
		return nil, fmt.Errorf("--mesos_authentication_secret_file needs --mesos_authentication_principal")
	}
	var cred *scheduler.Credential
	if f.principal != "" {
		if f.secretFile == "" {
			return nil, fmt.Errorf("--mesos_authentication_principal needs --mesos_authentication_secret_file")
		}
		data, err := os.ReadFile(f.secretFile)
		if err != nil {
			return nil, fmt.Errorf("--mesos_authentication_secret_file: %w", err)
		}
		cred = &scheduler.Credential{Principal: f.principal, Secret: strings.TrimSpace(string(data))}
	}
	var tlsCfg *scheduler.TLS
	if f.caFile != "" {
		tlsCfg = &scheduler.TLS{CAFile: f.caFile}
	}
	if cred == nil && tlsCfg == nil {
		return nil, nil
	}
	return func(sc *scheduler.Config) {
		sc.Credential, sc.TLS = cred, tlsCfg
		if sc.Framework != nil && cred != nil && sc.Framework.GetPrincipal() == "" {
			p := cred.Principal
			sc.Framework.Principal = &p
		}
	}, nil
}
