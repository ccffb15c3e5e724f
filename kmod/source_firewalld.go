package kmod

import (
	"path"
	"slices"
	"strings"
)

// firewalldSource is firewalld's configuration, while firewalld.service is
// enabled: the modules the kernel loads when firewalld applies it, as
// firewalld 1.3 (Debian 12) writes its rules. See firewalldRules for what
// each feature asks of the kernel.
type firewalldSource struct{}

const (
	firewalldName     = "firewalld"
	firewalldConfPath = "/etc/firewalld/firewalld.conf"
	firewalldUnit     = "firewalld.service"
)

// firewalldDirs hold firewalld's objects: the package's defaults, then the
// admin's, whose file replaces the default of the same name.
var firewalldDirs = []string{"/usr/lib/firewalld", "/etc/firewalld"}

// maxFirewalldIncludes bounds the service includes followed from one
// service: firewalld itself stops at a service already included.
const maxFirewalldIncludes = 64

func (firewalldSource) Name() string { return firewalldName }
func (firewalldSource) manager()     {}

func (firewalldSource) on(s *Snapshot, spec RequirementSpec) bool {
	return spec.WantsManager(firewalldName) && s.serviceEnabled(firewalldUnit)
}

func (f firewalldSource) Files(s *Snapshot, spec RequirementSpec) []string {
	if !f.on(s, spec) {
		return nil
	}
	return s.firewalld().files
}

func (f firewalldSource) Require(s *Snapshot, spec RequirementSpec, backend string, set *RequirementSet) {
	if !f.on(s, spec) {
		return
	}
	fw := s.firewalld()
	for _, u := range fw.uses {
		for _, m := range s.firewalldModules(u.feature, fw.backend, backend) {
			set.Found = append(set.Found, Provenance{Name: m, Source: firewalldName, Path: u.path, Line: u.line})
		}
	}
}

// fwUse is one feature of firewalld's configuration in use, and the file
// and line that turn it on.
type fwUse struct {
	feature string // a key of firewalldRules, or "module:NAME"
	path    string
	line    int
}

// fwConfig is what firewalld applies on this host.
type fwConfig struct {
	backend string // FirewallBackend: nftables or iptables
	uses    []fwUse
	files   []string
}

// fwObjects are the objects of one kind (zones, services...), by name,
// each from the file that wins.
type fwObjects map[string]fwObject

type fwObject struct {
	path string
	doc  fwDoc
}

// firewalld reads firewalld's configuration as firewalld starts it:
// firewalld.conf, then its objects; a file firewalld would refuse (not
// well-formed XML) is skipped, as firewalld skips it.
func (s *Snapshot) firewalld() fwConfig {
	conf, exists, _ := readSourceFile(s, firewalldName, firewalldConfPath, parseFirewalldConf)
	var fw fwConfig
	if exists {
		fw.files = append(fw.files, firewalldConfPath)
	}
	fw.backend, _ = conf.get("FirewallBackend", "nftables")
	if fw.backend != "iptables" {
		fw.backend = "nftables"
	}
	use := func(feature, p string, line int) {
		u := fwUse{feature, p, line}
		if !slices.Contains(fw.uses, u) {
			fw.uses = append(fw.uses, u)
		}
	}
	// What every start asks, whatever the zones: the probes, the default
	// rules, and the switches of firewalld.conf.
	_, backendLine := conf.get("FirewallBackend", "")
	use("probe", firewalldConfPath, 0)
	use("stock", firewalldConfPath, backendLine)
	if on, line := conf.yes("IPv6_rpfilter", true); on {
		use("rpfilter", firewalldConfPath, line)
	}
	if v, line := conf.get("LogDenied", "off"); v != "off" {
		use("log-denied", firewalldConfPath, line)
	}

	kinds := map[string]fwObjects{}
	for _, kind := range []string{"zones", "policies", "services", "helpers", "ipsets"} {
		kinds[kind] = s.firewalldObjects(kind)
	}
	listed := func(p string) {
		if !slices.Contains(fw.files, p) {
			fw.files = append(fw.files, p)
		}
	}
	// Files: the admin's zones and policies (any may bind an interface),
	// the package's that apply, and the services, helpers and ipsets
	// those use; the package's other objects change nothing.
	for _, kind := range []string{"zones", "policies"} {
		for _, name := range sortedKeys(kinds[kind]) {
			if p := kinds[kind][name].path; strings.HasPrefix(p, "/etc/") {
				listed(p)
			}
		}
	}

	// The zones firewalld applies: the default zone, and the zones bound
	// to an interface or a source (the others stay unapplied).
	zones := kinds["zones"]
	def, _ := conf.get("DefaultZone", "public")
	if _, ok := zones[def]; !ok {
		def = "public" // firewalld falls back to public
	}
	active := []string{}
	for _, name := range sortedKeys(zones) {
		if name == def || slices.ContainsFunc(zones[name].doc.Elements, func(e fwElement) bool {
			return e.Parent == "zone" && (e.Name == "interface" || e.Name == "source")
		}) {
			active = append(active, name)
		}
	}
	var objects []fwObject
	for _, name := range active {
		objects = append(objects, zones[name])
	}
	// Policies apply when their ingress and egress zones are active (or
	// ANY, HOST).
	for _, name := range sortedKeys(kinds["policies"]) {
		p := kinds["policies"][name]
		if fwPolicyActive(p.doc, active) {
			objects = append(objects, p)
		}
	}
	for _, o := range objects {
		listed(o.path)
		for _, e := range o.doc.Elements {
			switch {
			case e.Name == "masquerade":
				use("masquerade", o.path, e.Line)
			case e.Name == "forward-port" && e.Attrs["to-addr"] != "":
				use("dnat", o.path, e.Line)
				usePort(use, e, o.path)
			case e.Name == "forward-port":
				use("redirect", o.path, e.Line)
				usePort(use, e, o.path)
			case e.Name == "log" && e.Parent == "rule":
				use("log", o.path, e.Line)
			case e.Name == "nflog" && e.Parent == "rule":
				use("nflog", o.path, e.Line)
			case e.Name == "audit" && e.Parent == "rule":
				use("audit", o.path, e.Line)
			case e.Name == "limit":
				use("limit", o.path, e.Line)
			case e.Name == "reject" && e.Parent == "rule":
				use("reject", o.path, e.Line)
			case e.Name == "mark" && e.Parent == "rule":
				use("mark", o.path, e.Line)
			case e.Name == "source" && e.Attrs["ipset"] != "":
				if set, ok := kinds["ipsets"][e.Attrs["ipset"]]; ok {
					listed(set.path)
					use("ipset:"+set.doc.attr("type"), set.path, set.doc.Elements[0].Line)
				}
			case e.Name == "service" && e.Attrs["name"] != "":
				s.firewalldService(kinds, e.Attrs["name"], use, listed)
			case e.Name == "port" || e.Name == "source-port":
				usePort(use, e, o.path)
			}
		}
	}
	return fw
}

// firewalldService adds what a service asks, with the services it
// includes: its helpers' modules.
func (s *Snapshot) firewalldService(kinds map[string]fwObjects, name string, use func(string, string, int), listed func(string)) {
	seen := map[string]bool{}
	queue := []string{name}
	for len(queue) > 0 && len(seen) < maxFirewalldIncludes {
		name, queue = queue[0], queue[1:]
		svc, ok := kinds["services"][name]
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		listed(svc.path)
		for _, e := range svc.doc.Elements {
			switch {
			case e.Name == "port" || e.Name == "source-port":
				usePort(use, e, svc.path)
			case e.Name == "include" && e.Attrs["service"] != "":
				queue = append(queue, e.Attrs["service"])
			case (e.Name == "helper" || e.Name == "module") && e.Parent == "service":
				// <module name="nf_conntrack_ftp"/> (older files) names
				// the helper by its module.
				h := strings.TrimPrefix(e.Attrs["name"], "nf_conntrack_")
				helper, ok := kinds["helpers"][h]
				if !ok {
					continue
				}
				listed(helper.path)
				if m := helper.doc.attr("module"); ValidateName(m) == nil {
					use("helper", svc.path, e.Line)
					use("module:"+m, svc.path, e.Line)
					// firewalld also modprobes the helper's NAT module
					// (nf_nat_ftp); for most helpers there is none.
					use("module?:"+strings.Replace(m, "conntrack", "nat", 1), svc.path, e.Line)
				}
			}
		}
	}
}

// fwPortProtocols are the protocols firewalld takes in a port element.
var fwPortProtocols = map[string]bool{"tcp": true, "udp": true, "sctp": true, "dccp": true}

// usePort adds a port match: iptables loads the protocol's match for it
// (xt_tcpudp); nftables matches ports itself.
func usePort(use func(string, string, int), e fwElement, p string) {
	if proto := e.Attrs["protocol"]; fwPortProtocols[proto] {
		use("port:"+proto, p, e.Line)
	}
}

// fwPolicyActive reports whether firewalld applies a policy: some of its
// ingress zones and some of its egress zones are active, ANY or HOST.
func fwPolicyActive(doc fwDoc, active []string) bool {
	var in, out bool
	for _, e := range doc.Elements {
		if e.Parent != "policy" || (e.Name != "ingress-zone" && e.Name != "egress-zone") {
			continue
		}
		z := e.Attrs["name"]
		ok := z == "ANY" || z == "HOST" || slices.Contains(active, z)
		if e.Name == "ingress-zone" {
			in = in || ok
		} else {
			out = out || ok
		}
	}
	return in && out
}

// firewalldObjects reads the XML files of one kind: /usr/lib/firewalld's,
// replaced by /etc/firewalld's of the same name.
func (s *Snapshot) firewalldObjects(kind string) fwObjects {
	objs := fwObjects{}
	for _, dir := range firewalldDirs {
		dir = path.Join(dir, kind)
		names, _ := listSourceDir(s, dir)
		for _, n := range names {
			name, ok := strings.CutSuffix(n, ".xml")
			if !ok {
				continue
			}
			p := path.Join(dir, n)
			doc, exists, err := readSourceFile(s, firewalldName, p, parseFirewalldXML)
			if !exists || err != nil {
				continue
			}
			objs[name] = fwObject{path: p, doc: doc}
		}
	}
	return objs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// fwRules are the rules firewalld writes for a feature, in nft syntax (in
// its table inet firewalld) for the nftables backend and iptables-save
// syntax for the iptables one (ipv4 and ipv6 apart where they differ).
type fwRules struct {
	nft        string
	ipt        string
	ipt4, ipt6 string
}

// firewalldRules map each feature to the rules firewalld 1.3 writes for it
// (its nftables.py and ipXtables.py); the modules are those the booted
// kernels load for them (internal/vmtest/testdata/managers/30-firewalld.sh).
var firewalldRules = map[string]fwRules{
	// Every start: nat chains, ct state, the final reject (nftables);
	// chains in every table, conntrack, REJECT (iptables).
	"stock": {
		nft: "chain nat_PREROUTING { type nat hook prerouting priority -90; }\nct state established,related accept\nreject with icmpx admin-prohibited",
		ipt: "*raw\nCOMMIT\n*mangle\nCOMMIT\n*nat\nCOMMIT\n*security\nCOMMIT\n*filter\n-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED,DNAT -j ACCEPT\n-A INPUT -j REJECT\nCOMMIT",
	},
	// IPv6_rpfilter: fib (nftables), the rpfilter match (ip6tables) with
	// the neighbour discovery exceptions, whose icmp6 match is
	// ip6_tables' on 6.1 and xt_tcpudp's on 6.12.
	"rpfilter": {nft: "meta nfproto ipv6 fib saddr . mark . iif oif missing drop",
		ipt6: "*mangle\n-A PREROUTING -m rpfilter --invert --validmark -j DROP\n-A PREROUTING -p ipv6-icmp --icmpv6-type neighbour-solicitation -j ACCEPT\nCOMMIT"},
	// LogDenied: log rules before each reject and drop.
	"log-denied": {nft: "log prefix \"filter_IN_public_REJECT: \"", ipt: "*filter\n-A INPUT -j LOG --log-prefix x\nCOMMIT"},
	"masquerade": {nft: "chain nat_POST { type nat hook postrouting priority 110; }\nmasquerade", ipt: "*nat\n-A POSTROUTING -j MASQUERADE\nCOMMIT"},
	"dnat":       {nft: "chain nat_PRE { type nat hook prerouting priority -90; }\ndnat ip to 192.0.2.1", ipt: "*nat\n-A PREROUTING -p tcp --dport 1 -j DNAT --to-destination 192.0.2.1\nCOMMIT"},
	// A forward-port without to-addr: redirect in nftables, but DNAT to
	// ":PORT" in iptables (ipXtables.py): xt_nat, never xt_REDIRECT.
	"redirect": {nft: "chain nat_PRE { type nat hook prerouting priority -90; }\nredirect to :1", ipt: "*nat\n-A PREROUTING -p tcp --dport 1 -j DNAT --to-destination :2\nCOMMIT"},
	"log":      {nft: "log prefix \"x\"", ipt: "*filter\n-A INPUT -j LOG --log-prefix x\nCOMMIT"},
	"nflog":    {nft: "log group 0", ipt: "*filter\n-A INPUT -j NFLOG\nCOMMIT"},
	"limit":    {nft: "limit rate 1/minute", ipt: "*filter\n-A INPUT -m limit --limit 1/m -j ACCEPT\nCOMMIT"},
	"reject":   {nft: "reject", ipt: "*filter\n-A INPUT -j REJECT\nCOMMIT"},
	"mark":     {nft: "meta mark set 1", ipt: "*mangle\n-A PREROUTING -j MARK --set-xmark 1\nCOMMIT"},
	// A service's helper: a ct helper object and the rule assigning it.
	// The helper's own module comes from its file (module:), so the CT
	// rule names none: --helper ftp would require nf_conntrack_ftp.
	"helper": {nft: "ct helper set \"helper-ftp-tcp\"", ipt: "*raw\n-A PREROUTING -p tcp --dport 21 -j CT\nCOMMIT"},
}

// firewalldModules are the modules the kernel loads for one feature.
func (s *Snapshot) firewalldModules(feature, fwBackend, backend string) []string {
	if m, ok := strings.CutPrefix(feature, "module:"); ok {
		return []string{m}
	}
	if m, ok := strings.CutPrefix(feature, "module?:"); ok {
		if s.knownModule(s.Resolve(m)) {
			return []string{m}
		}
		return nil
	}
	if feature == "audit" {
		// "log level audit" sends to the audit subsystem: nft_log
		// without a logger (nftables); AUDIT target (iptables).
		if fwBackend == "nftables" {
			return []string{"nf_tables", "nft_log"}
		}
		return s.firewalldIptables("*filter\n-A INPUT -j AUDIT --type accept\nCOMMIT", "", "", backend)
	}
	if typ, ok := strings.CutPrefix(feature, "ipset:"); ok {
		// The nftables backend makes ipsets nft sets (nf_tables itself);
		// the iptables one makes an ipset of that type, matched by
		// xt_set.
		if fwBackend == "nftables" {
			return nil
		}
		out := []string{"ip_set"}
		if m := "ip_set_" + strings.ReplaceAll(typ, ":", "_"); ValidateName(m) == nil && s.knownModule(s.Resolve(m)) {
			out = append(out, m)
		}
		return append(out, s.firewalldIptables("*filter\n-A INPUT -m set --match-set x src -j ACCEPT\nCOMMIT", "", "", backend)...)
	}
	if proto, ok := strings.CutPrefix(feature, "port:"); ok {
		if fwBackend == "nftables" || !fwPortProtocols[proto] {
			return nil
		}
		return s.firewalldIptables("*filter\n-A INPUT -p "+proto+" --dport 1 -j ACCEPT\nCOMMIT", "", "", backend)
	}
	if feature == "probe" {
		return s.firewalldProbe(backend)
	}
	r, ok := firewalldRules[feature]
	if !ok {
		return nil
	}
	if fwBackend == "nftables" {
		if r.nft == "" {
			return nil
		}
		needs, _ := ParseNftables([]byte("table inet firewalld {\nchain c {\n" + r.nft + "\n}\n}\n"))
		// The helper's rule names the ct helper object: nft_objref, a
		// module on 6.1, part of nf_tables on 6.12 (an alias need).
		return s.RulesetModules(Ruleset{Format: FormatNftables, Needs: needs}, backend)
	}
	out := s.firewalldIptables(r.ipt, r.ipt4, r.ipt6, backend)
	if feature == "stock" {
		// The start flushes every backend firewalld can use: nftables'
		// too (python3-nftables is a dependency), loading nf_tables.
		out = append(out, "nf_tables")
	}
	return out
}

// firewalldIptables are the modules of iptables-save rules loaded into
// both families (rules), or one (rules4, rules6).
func (s *Snapshot) firewalldIptables(rules, rules4, rules6, backend string) []string {
	var out []string
	for _, fam := range []struct{ family, rules string }{{"ipv4", rules + "\n" + rules4}, {"ipv6", rules + "\n" + rules6}} {
		needs, _ := ParseIptablesSave([]byte(fam.rules))
		for _, m := range s.RulesetModules(Ruleset{Family: fam.family, Format: FormatIptables, Needs: needs}, backend) {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	return out
}

// firewalldProbe is what firewalld's start probes whatever its backend:
// "iptables -t TABLE -L -n" on each table of both families, and "ipset
// list", each when its tool is installed.
func (s *Snapshot) firewalldProbe(backend string) []string {
	var out []string
	tables := "*security\nCOMMIT\n*raw\nCOMMIT\n*mangle\nCOMMIT\n*nat\nCOMMIT\n*filter\nCOMMIT\n"
	var r4, r6 string
	if s.firewalldTool("/usr/sbin/iptables") {
		r4 = tables
	}
	if s.firewalldTool("/usr/sbin/ip6tables") {
		r6 = tables
	}
	if r4 != "" || r6 != "" {
		out = append(out, s.firewalldIptables("", r4, r6, backend)...)
	}
	if s.firewalldTool("/usr/sbin/ipset") {
		out = append(out, "ip_set")
	}
	return out
}

// firewalldTool reports whether a command firewalld runs is installed
// (Debian's firewalld only recommends iptables and ipset); the link
// update-alternatives makes is enough.
func (s *Snapshot) firewalldTool(p string) bool {
	_, err := s.view.files.Lstat(p)
	return err == nil
}
