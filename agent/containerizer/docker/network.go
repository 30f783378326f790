package docker

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/docker/docker/api/types/network"
)

// agentEndpoint points MESOS_AGENT_ENDPOINT at the network's gateway when
// it names the agent by a loopback or unspecified address, which inside a
// BRIDGE or USER network would be the container itself: an executor there
// reaches the agent through the gateway (the agent listens on 0.0.0.0 by
// default).
func (d *Containerizer) agentEndpoint(ctx context.Context, cs *createSpec) error {
	if cs.network == "host" || cs.network == "none" {
		return nil
	}
	for i, kv := range cs.config.Env {
		v, ok := strings.CutPrefix(kv, "MESOS_AGENT_ENDPOINT=")
		if !ok {
			continue
		}
		host, port, err := net.SplitHostPort(v)
		ip := net.ParseIP(host)
		if err != nil || ip == nil || !(ip.IsLoopback() || ip.IsUnspecified()) {
			return nil
		}
		gw, err := d.gateway(ctx, cs.network)
		if err != nil {
			return fmt.Errorf("cannot find the gateway of Docker network %q, through which the container reaches the agent: %w", cs.network, err)
		}
		cs.config.Env[i] = "MESOS_AGENT_ENDPOINT=" + net.JoinHostPort(gw, port)
	}
	return nil
}

func (d *Containerizer) gateway(ctx context.Context, name string) (string, error) {
	d.mu.Lock()
	gw, ok := d.gateways[name]
	d.mu.Unlock()
	if ok {
		return gw, nil
	}
	n, err := d.cli.NetworkInspect(ctx, name, network.InspectOptions{})
	if err != nil {
		return "", err
	}
	if gw = networkGateway(n); gw == "" {
		return "", errors.New("the network has no IPv4 gateway")
	}
	d.mu.Lock()
	d.gateways[name] = gw
	d.mu.Unlock()
	return gw, nil
}

// networkGateway is the IPv4 gateway of a network: the one its IPAM
// configuration names, else the address of its bridge interface on this
// host (the default bridge names none), else the subnet's first address,
// which is what the engine picks.
func networkGateway(n network.Inspect) string {
	for _, c := range n.IPAM.Config {
		if ip := net.ParseIP(c.Gateway); ip != nil && ip.To4() != nil {
			return ip.String()
		}
	}
	if ifname := n.Options["com.docker.network.bridge.name"]; ifname != "" {
		if iface, err := net.InterfaceByName(ifname); err == nil {
			addrs, _ := iface.Addrs()
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok && ipn.IP.To4() != nil {
					return ipn.IP.String()
				}
			}
		}
	}
	for _, c := range n.IPAM.Config {
		if _, sub, err := net.ParseCIDR(c.Subnet); err == nil && sub.IP.To4() != nil {
			ip := sub.IP.To4()
			return net.IPv4(ip[0], ip[1], ip[2], ip[3]+1).String()
		}
	}
	return ""
}
