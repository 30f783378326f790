// Package detector finds the leading Agora (or Mesos) master through
// ZooKeeper. Masters contend under the path of a "zk://host:port,.../path"
// URL with ephemeral sequential znodes "json.info_<10 digits>" holding their
// MasterInfo as JSON; the lowest sequence leads. Detect follows the leader
// as it changes; Leader resolves it once. Agents, the scheduler SDK and the
// CLI use it for "--master zk://...".
//
// It only detects: it never contends and never talks to a master.
package detector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/agoraproject/agora/internal/election"
	"github.com/agoraproject/agora/internal/zkurl"
)

// Prefix names the masters' election znodes, as in Mesos.
const Prefix = "json.info_"

// IsZK reports whether a --master value is a ZooKeeper URL.
func IsZK(master string) bool { return strings.HasPrefix(strings.TrimSpace(master), "zk://") }

// Detect follows the leading master of the election at zkURL. The channel
// gets the leader's base URL ("http://ip:port") at the start and each time
// the leader changes, nil while there is none (or when its znode cannot be
// read as a MasterInfo); it is closed when ctx ends. ZooKeeper outages are
// waited out; errors are only for a bad URL.
func Detect(ctx context.Context, zkURL string, log *zap.Logger) (<-chan *url.URL, error) {
	u, err := zkurl.Parse(zkURL)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = zap.NewNop()
	}
	raw, err := election.Detect(ctx, u.Servers, u.Path, Prefix, log)
	if err != nil {
		return nil, err
	}
	out := make(chan *url.URL)
	go func() {
		defer close(out)
		for data := range raw {
			var leader *url.URL
			if data != nil {
				if leader, err = ParseMasterInfo(data); err != nil {
					log.Warn("the leading master's znode is not a MasterInfo", zap.Error(err))
				}
			}
			select {
			case out <- leader:
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// Leader waits until a leader is known and returns its base URL; ctx bounds
// the wait.
func Leader(ctx context.Context, zkURL string, log *zap.Logger) (*url.URL, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch, err := Detect(ctx, zkURL, log)
	if err != nil {
		return nil, err
	}
	for {
		select {
		case u, ok := <-ch:
			if !ok {
				return nil, fmt.Errorf("no leading master under %s: %w", zkURL, ctx.Err())
			}
			if u != nil {
				return u, nil
			}
		case <-ctx.Done():
			return nil, fmt.Errorf("no leading master under %s: %w", zkURL, ctx.Err())
		}
	}
}

// masterInfo is the part of mesos.v1.MasterInfo's JSON a client needs.
type masterInfo struct {
	IP       json.Number `json:"ip"`
	Port     json.Number `json:"port"`
	Hostname string      `json:"hostname"`
	Pid      string      `json:"pid"`
	Address  *struct {
		Hostname string      `json:"hostname"`
		IP       string      `json:"ip"`
		Port     json.Number `json:"port"`
	} `json:"address"`
}

// ParseMasterInfo reads a master's election znode (MasterInfo as JSON) into
// its base URL. The advertised address.ip wins over hostnames, which need
// not resolve where the client runs; then the pid ("master@ip:port"), then
// the packed ip field.
func ParseMasterInfo(data []byte) (*url.URL, error) {
	var mi masterInfo
	if err := json.Unmarshal(data, &mi); err != nil {
		return nil, fmt.Errorf("master info: %w", err)
	}
	port, err := parsePort(mi.Port)
	if a := mi.Address; a != nil {
		if p, perr := parsePort(a.Port); perr == nil {
			port, err = p, nil
		}
	}
	var host string
	switch {
	case mi.Address != nil && usableHost(mi.Address.IP):
		host = mi.Address.IP
	case strings.HasPrefix(mi.Pid, "master@"):
		h, p, perr := net.SplitHostPort(strings.TrimPrefix(mi.Pid, "master@"))
		if perr == nil && usableHost(h) {
			host = h
			if n, perr := strconv.Atoi(p); perr == nil && n > 0 && n < 65536 && err != nil {
				port, err = n, nil
			}
		}
	}
	if host == "" {
		if ip, ierr := mi.IP.Int64(); ierr == nil && ip > 0 && ip <= 0xffffffff {
			// MasterInfo.ip is the IPv4 address in network byte order.
			host = net.IPv4(byte(ip), byte(ip>>8), byte(ip>>16), byte(ip>>24)).String()
		} else if mi.Address != nil && usableHost(mi.Address.Hostname) {
			host = mi.Address.Hostname
		} else if usableHost(mi.Hostname) {
			host = mi.Hostname
		}
	}
	if err != nil {
		return nil, errors.New("master info: no usable port")
	}
	if host == "" {
		return nil, errors.New("master info: no usable address")
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(host, strconv.Itoa(port))}, nil
}

func parsePort(n json.Number) (int, error) {
	p, err := strconv.Atoi(string(n))
	if err != nil || p < 1 || p > 65535 {
		return 0, errors.New("bad port")
	}
	return p, nil
}

func usableHost(h string) bool {
	return h != "" && h != "0.0.0.0" && !strings.ContainsAny(h, "/?#@ []") && len(h) < 256
}
