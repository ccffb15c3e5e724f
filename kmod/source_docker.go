package kmod

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// dockerSource is the rules dockerd creates at start for its default
// bridge network, while docker.service (Debian's docker.io, Docker CE's
// docker-ce) is enabled and /etc/docker/daemon.json does not turn its
// iptables rules off. What the rules are follows libnetwork as vendored by
// Docker 20.10.24 (Debian 12's docker.io); see dockerRules.
type dockerSource struct{}

const (
	dockerName       = "docker"
	dockerDaemonJSON = "/etc/docker/daemon.json"
	// dockerDefaults is where Debian's docker.service (docker.io) takes
	// DOCKER_OPTS, extra dockerd flags, from.
	dockerDefaults = "/etc/default/docker"
)

// dockerUnits are the units that start dockerd: the service, or its socket
// (socket activation starts the service at the first API call).
var dockerUnits = []string{"docker.service", "docker.socket"}

func (dockerSource) Name() string { return dockerName }
func (dockerSource) manager()     {}

// dockerConfig is what daemon.json says about the firewall; a key left out
// is dockerd's default.
type dockerConfig struct {
	IPTables      *bool  `json:"iptables"`
	IP6Tables     *bool  `json:"ip6tables"`
	IPMasq        *bool  `json:"ip-masq"`
	UserlandProxy *bool  `json:"userland-proxy"`
	ICC           *bool  `json:"icc"`
	IPv6          bool   `json:"ipv6"`
	Bridge        string `json:"bridge"`
	// FirewallBackend "nftables" (Docker 28) makes dockerd write nft
	// tables of its own instead of iptables rules: not read.
	FirewallBackend string `json:"firewall-backend"`
}

func isTrue(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// parseDockerConfig reads daemon.json. dockerd refuses to start on a file
// it cannot decode, so neither does this: an error, not a guess.
func parseDockerConfig(data []byte) (dockerConfig, error) {
	var c dockerConfig
	if len(bytes.TrimSpace(data)) == 0 {
		return c, nil // dockerd takes an empty file as no configuration
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return c, fmt.Errorf("line %d: %w", lineAt(data, se.Offset), err)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return c, fmt.Errorf("line %d: %w", lineAt(data, te.Offset), err)
		}
		return c, err
	}
	if dec.More() {
		return c, errors.New("more than one JSON value")
	}
	return c, nil
}

// lineAt is the 1-based line of a byte offset.
func lineAt(data []byte, off int64) int {
	off = min(max(off, 0), int64(len(data)))
	return 1 + bytes.Count(data[:off], []byte("\n"))
}

// parseDockerDefaults reads the firewall flags of the last DOCKER_OPTS
// assignment of /etc/default/docker (a shell file systemd reads as
// KEY=value lines).
func parseDockerDefaults(data []byte) (dockerConfig, error) {
	var opts string
	eachLine(data, func(line []byte, _ int) {
		l := strings.TrimSpace(string(line))
		l = strings.TrimPrefix(l, "export ")
		if v, ok := strings.CutPrefix(l, "DOCKER_OPTS="); ok {
			opts = strings.Trim(v, `"'`)
		}
	})
	var c dockerConfig
	words := strings.Fields(opts)
	for i, w := range words {
		name, value, hasValue := strings.Cut(w, "=")
		if !hasValue && (name == "--bridge" || name == "-b") && i+1 < len(words) {
			value = words[i+1]
		}
		b := value != "false" // a bare boolean flag is true
		switch name {
		case "--iptables":
			c.IPTables = &b
		case "--ip6tables":
			c.IP6Tables = &b
		case "--ip-masq":
			c.IPMasq = &b
		case "--userland-proxy":
			c.UserlandProxy = &b
		case "--icc":
			c.ICC = &b
		case "--ipv6":
			c.IPv6 = b
		case "--bridge", "-b":
			c.Bridge = value
		}
	}
	return c, nil
}

// merge overrides c with the flags set in flags: dockerd refuses a flag
// that daemon.json also sets, so either one says.
func (c dockerConfig) merge(flags dockerConfig) dockerConfig {
	for _, f := range []struct{ dst, src **bool }{{&c.IPTables, &flags.IPTables}, {&c.IP6Tables, &flags.IP6Tables},
		{&c.IPMasq, &flags.IPMasq}, {&c.UserlandProxy, &flags.UserlandProxy}, {&c.ICC, &flags.ICC}} {
		if *f.src != nil {
			*f.dst = *f.src
		}
	}
	c.IPv6 = c.IPv6 || flags.IPv6
	if flags.Bridge != "" {
		c.Bridge = flags.Bridge
	}
	return c
}

// dockerState is whether Docker manages the firewall on this host, and how.
type dockerState struct {
	on     bool
	path   string // the file that switches it on: daemon.json, else the unit's link
	config dockerConfig
	err    error
	// errPath is the file err is about.
	errPath string
}

func (s *Snapshot) docker() dockerState {
	var link string
	for _, u := range dockerUnits {
		if link = s.enabledUnitLink(u); link != "" {
			break
		}
	}
	if link == "" {
		return dockerState{}
	}
	c, exists, err := readSourceFile(s, dockerName, dockerDaemonJSON, parseDockerConfig)
	st := dockerState{on: true, path: link, config: c, err: err}
	if exists {
		st.path = dockerDaemonJSON
	}
	if flags, set, ferr := readSourceFile(s, dockerName, dockerDefaults, parseDockerDefaults); ferr != nil {
		st.err, st.errPath = ferr, dockerDefaults
	} else if set && flags != (dockerConfig{}) {
		st.config = st.config.merge(flags)
		if !exists {
			st.path = dockerDefaults
		}
	}
	if err != nil {
		st.err, st.errPath = err, dockerDaemonJSON
	}
	c = st.config
	if err == nil && (!isTrue(c.IPTables, true) || c.FirewallBackend == "nftables") {
		st.on = false
	}
	return st
}

func (dockerSource) Files(s *Snapshot, spec RequirementSpec) []string {
	if !spec.WantsManager(dockerName) {
		return nil
	}
	out := []string{dockerDaemonJSON, dockerDefaults}
	for _, u := range dockerUnits {
		if link := s.enabledUnitLink(u); link != "" {
			out = append(out, link)
		}
	}
	return out
}

func (dockerSource) enabled(s *Snapshot, _ string) bool {
	st := s.docker()
	return st.on || st.err != nil
}

func (dockerSource) Require(s *Snapshot, spec RequirementSpec, backend string, set *RequirementSet) {
	if !spec.WantsManager(dockerName) {
		return
	}
	st := s.docker()
	if st.err != nil {
		sourceFileError(spec, set, st.errPath, st.err)
		return
	}
	if !st.on {
		return
	}
	// The bridge driver modprobes bridge and br_netfilter when iptables
	// is on (bridge.go configure): without br_netfilter, traffic between
	// containers on one bridge passes the iptables rules by (icc=false,
	// published ports between containers). bridge is its dependency.
	// Every start also modprobes nf_conntrack_netlink (libnetwork/ns),
	// which dockerd uses to flush a UDP port's conntrack entries.
	// xfrm_user/xfrm_algo (encrypted overlay), ip_vs (swarm services) and
	// overlay (a storage driver) are not the firewall's.
	requireModules(set, dockerName, st.path, "br_netfilter", "nf_conntrack_netlink")
	c := st.config
	r := runtimeRuleset(FormatIptables, "ipv4", dockerRules("ipv4", c))
	requireModules(set, dockerName, st.path, s.RulesetModules(r, backend)...)
	// Docker 20.10 takes ip6tables only with experimental on, and its
	// default is off before Docker 27 (not known here: the version is not
	// read), so only an explicit "ip6tables": true adds the IPv6 rules.
	if isTrue(c.IP6Tables, false) {
		r := runtimeRuleset(FormatIptables, "ipv6", dockerRules("ipv6", c))
		requireModules(set, dockerName, st.path, s.RulesetModules(r, backend)...)
	}
}

// dockerRules is the rule set dockerd 20.10 creates for family at start,
// with its default bridge docker0 and one container publishing a TCP port
// (docker run -p 8080:80), as iptables-save prints it. Each rule says the
// libnetwork function (drivers/bridge, iptables) that adds it.
func dockerRules(family string, c dockerConfig) string {
	masq := isTrue(c.IPMasq, true)
	hairpin := !isTrue(c.UserlandProxy, true)
	icc := isTrue(c.ICC, true)
	// The default bridge's own rules exist unless "bridge": "none"; in
	// ip6tables only when it has IPv6 ("ipv6": true).
	bridge := c.Bridge != "none" && (family == "ipv4" || c.IPv6)
	subnet, loopback, ctr := "172.17.0.0/16", "127.0.0.0/8", "172.17.0.2"
	host := "/32"
	if family == "ipv6" {
		subnet, loopback, ctr, host = "fd00:d0c::/64", "::1/128", "fd00:d0c::2", "/128"
	}
	var b strings.Builder
	w := func(lines ...string) {
		for _, l := range lines {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	// setupIPChains: the nat DOCKER chain.
	w("*nat", ":PREROUTING ACCEPT [0:0]", ":INPUT ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]", ":POSTROUTING ACCEPT [0:0]", ":DOCKER - [0:0]")
	if bridge {
		// ProgramChain (iptables.go), for the nat chain.
		w("-A PREROUTING -m addrtype --dst-type LOCAL -j DOCKER")
		if hairpin {
			w("-A OUTPUT -m addrtype --dst-type LOCAL -j DOCKER")
		} else {
			w("-A OUTPUT ! -d " + loopback + " -m addrtype --dst-type LOCAL -j DOCKER")
		}
		// setupIPTablesInternal: natRule, hpNatRule, skipDNAT.
		if masq {
			w("-A POSTROUTING -s " + subnet + " ! -o docker0 -j MASQUERADE")
		}
		if hairpin {
			w("-A POSTROUTING -o docker0 -m addrtype --src-type LOCAL -j MASQUERADE")
		} else if masq {
			w("-A DOCKER -i docker0 -j RETURN")
		}
		// Forward (iptables.go): the published port.
		w("-A POSTROUTING -s " + ctr + host + " -d " + ctr + host + " -p tcp -m tcp --dport 80 -j MASQUERADE")
		if hairpin {
			w("-A DOCKER -p tcp -m tcp --dport 8080 -j DNAT --to-destination " + dockerAddrPort(family, ctr))
		} else {
			w("-A DOCKER ! -i docker0 -p tcp -m tcp --dport 8080 -j DNAT --to-destination " + dockerAddrPort(family, ctr))
		}
	}
	w("COMMIT")
	// setupIPChains: the filter chains; arrangeUserFilterRule (libnetwork
	// firewall_linux.go): DOCKER-USER, IPv4 only in 20.10.
	w("*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
		":DOCKER - [0:0]", ":DOCKER-ISOLATION-STAGE-1 - [0:0]", ":DOCKER-ISOLATION-STAGE-2 - [0:0]")
	if family == "ipv4" {
		w(":DOCKER-USER - [0:0]", "-A FORWARD -j DOCKER-USER")
	}
	if bridge {
		// setupIPTables: EnsureJumpRule to the isolation chain;
		// ProgramChain, for the filter chain.
		w("-A FORWARD -j DOCKER-ISOLATION-STAGE-1",
			"-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT",
			"-A FORWARD -o docker0 -j DOCKER",
			// setupIPTablesInternal: outRule; setIcc.
			"-A FORWARD -i docker0 ! -o docker0 -j ACCEPT")
		if icc {
			w("-A FORWARD -i docker0 -o docker0 -j ACCEPT")
		} else {
			w("-A FORWARD -i docker0 -o docker0 -j DROP")
		}
		// Forward (iptables.go): the published port.
		w("-A DOCKER -d "+ctr+host+" ! -i docker0 -o docker0 -p tcp -m tcp --dport 80 -j ACCEPT",
			// setINC (setupNetworkIsolationRules).
			"-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2",
			"-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP")
	}
	// setupIPChains, arrangeUserFilterRule: AddReturnRule.
	w("-A DOCKER-ISOLATION-STAGE-1 -j RETURN", "-A DOCKER-ISOLATION-STAGE-2 -j RETURN")
	if family == "ipv4" {
		w("-A DOCKER-USER -j RETURN")
	}
	w("COMMIT")
	return b.String()
}

func dockerAddrPort(family, addr string) string {
	if family == "ipv6" {
		return "[" + addr + "]:80"
	}
	return addr + ":80"
}
