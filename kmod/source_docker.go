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
// Docker 20.10.24 (Debian 12's docker.io), with the changes of later
// releases when dpkg names the installed one; see dockerRules and
// docs/correctness.md.
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
	// AllowDirectRouting (Docker 28.2) drops the raw-table rules that
	// keep other hosts from reaching containers' addresses directly.
	AllowDirectRouting *bool `json:"allow-direct-routing"`
	// FirewallBackend "nftables" (a key from Docker 29) makes dockerd
	// write nft tables of its own instead of iptables rules
	// (dockerNftRules).
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
		case "--allow-direct-routing":
			c.AllowDirectRouting = &b
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
		{&c.IPMasq, &flags.IPMasq}, {&c.UserlandProxy, &flags.UserlandProxy}, {&c.ICC, &flags.ICC},
		{&c.AllowDirectRouting, &flags.AllowDirectRouting}} {
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
	// rel is the installed release (dpkg), zero when unknown.
	rel release
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
	st := dockerState{on: true, path: link, config: c, err: err, rel: s.view.dockerRelease()}
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
	if err == nil && !isTrue(c.IPTables, true) {
		st.on = false
	}
	// dockerd before 29 refuses a daemon.json with the key: whatever dpkg
	// says (or not, for static binaries), this dockerd is 29 or later.
	if c.FirewallBackend != "" && !st.rel.atLeast(29, 0) {
		st.rel = release{29, 0}
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

// fileErrs: a daemon.json or /etc/default/docker that opens but does not
// parse is readable 0, as one that cannot be opened (dockerd refuses it).
func (dockerSource) fileErrs(s *Snapshot, spec RequirementSpec) map[string]error {
	if !spec.WantsManager(dockerName) {
		return nil
	}
	if st := s.docker(); st.err != nil {
		return map[string]error{st.errPath: st.err}
	}
	return nil
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
	c := st.config
	requireModules(set, dockerName, st.path, dockerModprobes(c, st.rel)...)
	if c.FirewallBackend == "nftables" {
		// One table per family, written by nft whatever iptables'
		// backend; ip6 while ip6tables is on (Config.IPv6).
		families := []string{"ipv4"}
		if dockerIP6Tables(c, st.rel) {
			families = append(families, "ipv6")
		}
		for _, family := range families {
			r := runtimeRuleset(FormatNftables, "", dockerNftRules(family, c))
			requireModules(set, dockerName, st.path, s.RulesetModules(r, backend)...)
		}
		return
	}
	if st.rel.atLeast(28, 0) {
		// setupIPChains (iptabler) checks, at every start and in each
		// family, for the FORWARD rules 28.0.0 matched on its ipsets
		// (iptables -C ... -m set --match-set docker-ext-bridges-v4):
		// parsing -m set makes the kernel load xt_set, though the rules
		// no longer exist.
		requireModules(set, dockerName, st.path, "xt_set")
	}
	r := runtimeRuleset(FormatIptables, "ipv4", dockerRules("ipv4", c, st.rel))
	requireModules(set, dockerName, st.path, s.RulesetModules(r, backend)...)
	if dockerIP6Tables(c, st.rel) {
		r := runtimeRuleset(FormatIptables, "ipv6", dockerRules("ipv6", c, st.rel))
		requireModules(set, dockerName, st.path, s.RulesetModules(r, backend)...)
	}
}

// dockerModprobes are the modules dockerd loads itself. Every start loads
// nf_conntrack_netlink (libnetwork/ns, which dockerd uses to flush a
// container's conntrack entries; from 27.5 only when a netfilter netlink
// socket cannot be opened, and the first flush at a container's start
// loads it then). The bridge driver loads br_netfilter, without which
// traffic between containers on one bridge passes the iptables rules by:
// at every start up to 27.2, from 27.3 only with icc off, from 27.4 also
// with the userland proxy off (enableBrNfCallIptables). The bridge module,
// br_netfilter's dependency, is loaded anyway by creating docker0.
// xfrm_user/xfrm_algo (encrypted overlay), ip_vs (swarm services) and
// overlay (a storage driver) are not the firewall's.
func dockerModprobes(c dockerConfig, rel release) []string {
	brNF := true
	switch {
	case rel.atLeast(27, 4):
		brNF = !isTrue(c.ICC, true) || !isTrue(c.UserlandProxy, true)
	case rel.atLeast(27, 3):
		brNF = !isTrue(c.ICC, true)
	}
	switch {
	case brNF:
		return []string{"br_netfilter", "nf_conntrack_netlink"}
	case c.Bridge != "none":
		return []string{"bridge", "nf_conntrack_netlink"}
	}
	return []string{"nf_conntrack_netlink"}
}

// dockerIP6Tables says whether dockerd writes ip6tables rules: "ip6tables"
// defaults to true from Docker 27. Before, it is off and 20.10 takes it
// only with experimental on; for an unknown release only an explicit true
// counts, so a 20.10 host is not asked for modules it never loads.
func dockerIP6Tables(c dockerConfig, rel release) bool {
	return isTrue(c.IP6Tables, rel.atLeast(27, 0))
}

// dockerRules is the rule set dockerd 20.10 creates for family at start,
// with its default bridge docker0 and one container publishing a TCP port
// (docker run -p 8080:80), as iptables-save prints it. Each rule says the
// libnetwork function (drivers/bridge, iptables) that adds it. Later
// releases renamed and split chains without new matches; what changes the
// modules is added by release: the raw table (28.0), DOCKER-USER in both
// families (27.0).
func dockerRules(family string, c dockerConfig, rel release) string {
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
	// Docker 28 drops packets for a container's address that do not come
	// from its bridge, in raw PREROUTING (28.0 per published port, 28.2
	// per endpoint, iptabler filterDirectAccess), unless direct routing
	// is allowed.
	if bridge && rel.atLeast(28, 0) && !isTrue(c.AllowDirectRouting, false) {
		w("*raw", ":PREROUTING ACCEPT [0:0]", ":OUTPUT ACCEPT [0:0]",
			"-A PREROUTING -d "+ctr+host+" ! -i docker0 -j DROP", "COMMIT")
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
	// firewall_linux.go): DOCKER-USER, IPv4 only in 20.10, both families
	// from 27.0 (setupUserChain).
	w("*filter", ":INPUT ACCEPT [0:0]", ":FORWARD DROP [0:0]", ":OUTPUT ACCEPT [0:0]",
		":DOCKER - [0:0]", ":DOCKER-ISOLATION-STAGE-1 - [0:0]", ":DOCKER-ISOLATION-STAGE-2 - [0:0]")
	user := family == "ipv4" || rel.atLeast(27, 0)
	if user {
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
	if user {
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

// dockerNftRules is the table dockerd creates for family with
// "firewall-backend": "nftables" (Docker 29, nftabler: its golden for the
// default options, with docker0 and a container publishing 8080:80), as
// nft -f reads it: the chains that are jumped to come first, and the base
// chains' priorities numeric as nftabler writes them (nft 1.0.6 refuses
// the name dstnat for the output hook). Only the
// statements that make the kernel load a module vary with the
// configuration: masquerading (ip-masq, and the hairpin rules without the
// userland proxy), the raw-table drop (allow-direct-routing), the bridge's
// own rules (bridge, ipv6). The base chains, with their fib and nat hooks,
// exist in every family.
func dockerNftRules(family string, c dockerConfig) string {
	hairpin := !isTrue(c.UserlandProxy, true)
	bridge := c.Bridge != "none" && (family == "ipv4" || c.IPv6)
	table, ip, loopback, subnet, ctr, dnat := "ip", "ip", "127.0.0.0/8", "172.17.0.0/16", "172.17.0.2", "172.17.0.2:80"
	if family == "ipv6" {
		table, ip, loopback, subnet, ctr, dnat = "ip6", "ip6", "::1", "fd00:d0c::/64", "fd00:d0c::2", "[fd00:d0c::2]:80"
	}
	var b strings.Builder
	chain := func(name string, lines ...string) {
		b.WriteString("\tchain " + name + " {\n")
		for _, l := range lines {
			b.WriteString("\t\t" + l + "\n")
		}
		b.WriteString("\t}\n")
	}
	b.WriteString("table " + table + " docker-bridges {\n")
	var dnatRules, rawRules []string
	if bridge {
		dnatRules = []string{`iifname != "docker0" tcp dport 8080 counter dnat to ` + dnat + ` comment "DNAT"`}
		if !isTrue(c.AllowDirectRouting, false) {
			rawRules = []string{ip + " daddr " + ctr + ` iifname != "docker0" counter drop comment "DROP DIRECT ACCESS"`}
		}
	}
	chain("nat-prerouting-and-output", dnatRules...)
	chain("raw-PREROUTING", append([]string{"type filter hook prerouting priority -300; policy accept;"}, rawRules...)...)
	jump := map[string]string{}
	if bridge {
		icc := "accept"
		if !isTrue(c.ICC, true) {
			icc = "drop"
		}
		chain("filter-forward-in__docker0", "ct state established,related counter accept",
			`iifname "docker0" counter `+icc+` comment "ICC"`,
			ip+" daddr "+ctr+" tcp dport 80 counter accept",
			`counter drop comment "UNPUBLISHED PORT DROP"`)
		chain("filter-forward-out__docker0", "ct state established,related counter accept", `counter accept comment "OUTGOING"`)
		var in, out []string
		if hairpin {
			in = []string{`fib saddr type local counter masquerade comment "MASQUERADE FROM HOST"`,
				ip + " saddr " + ctr + " " + ip + " daddr " + ctr + ` tcp dport 80 counter masquerade comment "MASQ TO OWN PORT"`}
		}
		if isTrue(c.IPMasq, true) {
			out = []string{`oifname != "docker0" ` + ip + " saddr " + subnet + ` counter masquerade comment "MASQUERADE"`}
		}
		chain("nat-postrouting-in__docker0", in...)
		chain("nat-postrouting-out__docker0", out...)
		for _, m := range []string{"filter-forward-in", "filter-forward-out", "nat-postrouting-in", "nat-postrouting-out"} {
			jump[m] = `elements = { "docker0" : jump ` + m + `__docker0 }`
		}
	}
	for _, m := range []string{"filter-forward-in", "filter-forward-out", "nat-postrouting-in", "nat-postrouting-out"} {
		b.WriteString("\tmap " + m + "-jumps {\n\t\ttype ifname : verdict\n")
		if jump[m] != "" {
			b.WriteString("\t\t" + jump[m] + "\n")
		}
		b.WriteString("\t}\n")
	}
	local := ip + " daddr != " + loopback + " fib daddr type local counter jump nat-prerouting-and-output"
	if hairpin {
		local = "fib daddr type local counter jump nat-prerouting-and-output"
	}
	chain("filter-FORWARD", "type filter hook forward priority 0; policy accept;",
		"oifname vmap @filter-forward-in-jumps", "iifname vmap @filter-forward-out-jumps")
	chain("nat-OUTPUT", "type nat hook output priority -100; policy accept;", local)
	chain("nat-POSTROUTING", "type nat hook postrouting priority 100; policy accept;",
		"iifname vmap @nat-postrouting-out-jumps", "oifname vmap @nat-postrouting-in-jumps")
	chain("nat-PREROUTING", "type nat hook prerouting priority -100; policy accept;",
		"fib daddr type local counter jump nat-prerouting-and-output")
	b.WriteString("}\n")
	return b.String()
}
