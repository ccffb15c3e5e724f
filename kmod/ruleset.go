package kmod

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Ruleset formats.
const (
	FormatIptables = "iptables-save"
	FormatNftables = "nftables"
)

// Need is one thing a ruleset asks of the kernel.
type Need struct {
	// Kind is "table", "match" or "target" for iptables rulesets, and
	// "module" for nftables, whose statements map to modules directly;
	// "logger" (Name "<nfproto>-<type>") for a log statement of either.
	Kind string
	Name string
}

// InvalidLine is a ruleset line that could not be parsed.
type InvalidLine struct {
	Line   int
	Reason string
}

// Ruleset is what a firewall ruleset file needs.
type Ruleset struct {
	Path    string
	Format  string
	Family  string // ipv4 or ipv6 for iptables rulesets, "" for nftables
	Needs   []Need
	Invalid []InvalidLine
}

// RulesetFormat tells a ruleset's format and IP family from its path, as the
// distributions name them: /etc/nftables.conf (and *.nft) is nftables; a
// name with "6" (rules.v6, ip6tables) is an IPv6 iptables-save file; the rest
// are IPv4 iptables-save files.
func RulesetFormat(p string) (format, family string) {
	base := path.Base(p)
	if strings.HasPrefix(base, "nftables") || strings.HasSuffix(base, ".nft") {
		return FormatNftables, ""
	}
	if strings.Contains(base, "6") {
		return FormatIptables, "ipv6"
	}
	return FormatIptables, "ipv4"
}

// ParseRuleset parses a ruleset file in the format its path implies.
func ParseRuleset(data []byte, p string) Ruleset {
	format, family := RulesetFormat(p)
	r := Ruleset{Path: p, Format: format, Family: family}
	if format == FormatNftables {
		r.Needs, r.Invalid = ParseNftables(data)
	} else {
		r.Needs, r.Invalid = ParseIptablesSave(data)
	}
	return r
}

// iptablesCoreTargets are verdicts of the core, not extensions.
var iptablesCoreTargets = map[string]bool{"ACCEPT": true, "DROP": true, "QUEUE": true, "RETURN": true}

// implicitProtoOptions are options that make iptables load the protocol's
// match when a rule says "-p tcp --dport 22" without "-m tcp".
var implicitProtoOptions = map[string]bool{
	"--dport": true, "--sport": true, "--destination-port": true, "--source-port": true,
	"--tcp-flags": true, "--syn": true, "--tcp-option": true, "--chunk-types": true,
	"--dccp-types": true, "--dccp-option": true, "--icmp-type": true, "--icmpv6-type": true,
}

// ParseIptablesSave reads an iptables-save / iptables-restore file and lists
// the tables, matches and targets it uses, each once, in order of first use.
// Jumps to chains the file declares need nothing.
func ParseIptablesSave(data []byte) ([]Need, []InvalidLine) {
	var needs []Need
	var invalid []InvalidLine
	seen := map[Need]bool{}
	add := func(n Need) {
		if !seen[n] {
			seen[n] = true
			needs = append(needs, n)
		}
	}
	chains := map[string]bool{}
	type jump struct {
		target string
		line   int
	}
	var jumps []jump
	table := ""
	eachLine(data, func(raw []byte, num int) {
		line := strings.TrimSpace(string(bytes.TrimRight(raw, "\r")))
		switch {
		case line == "" || line[0] == '#':
			return
		case line[0] == '*':
			table = line[1:]
			if !validIdent(table) {
				invalid = append(invalid, InvalidLine{num, "table name " + quote(table)})
				return
			}
			add(Need{"table", table})
			return
		case line == "COMMIT":
			table = ""
			return
		case line[0] == ':':
			f := strings.Fields(line[1:])
			if len(f) == 0 {
				invalid = append(invalid, InvalidLine{num, "chain declaration without a name"})
				return
			}
			chains[f[0]] = true
			return
		}
		args, err := splitArgs(line)
		if err != nil {
			invalid = append(invalid, InvalidLine{num, err.Error()})
			return
		}
		if table == "" {
			invalid = append(invalid, InvalidLine{num, "rule outside a *table ... COMMIT block"})
			return
		}
		switch args[0] {
		case "-A", "--append", "-I", "--insert", "-R", "--replace", "-D", "--delete":
		case "-N", "--new-chain":
			if len(args) > 1 {
				chains[args[1]] = true
			}
			return
		case "-P", "--policy", "-F", "--flush", "-X", "--delete-chain", "-Z", "--zero", "-E", "--rename-chain":
			return
		default:
			invalid = append(invalid, InvalidLine{num, "unknown command " + quote(args[0])})
			return
		}
		if len(args) < 2 {
			invalid = append(invalid, InvalidLine{num, args[0] + " without a chain"})
			return
		}
		proto := ""
		explicit := map[string]bool{}
		implicit := false
		for i := 2; i < len(args); i++ {
			a := args[i]
			value := func() (string, bool) {
				if i+1 >= len(args) {
					invalid = append(invalid, InvalidLine{num, a + " without a value"})
					return "", false
				}
				i++
				return args[i], true
			}
			switch a {
			case "-m", "--match":
				v, ok := value()
				if !ok {
					return
				}
				explicit[v] = true
				add(Need{"match", v})
			case "-j", "--jump":
				v, ok := value()
				if !ok {
					return
				}
				if !iptablesCoreTargets[v] {
					jumps = append(jumps, jump{v, num})
				}
			case "-g", "--goto":
				if _, ok := value(); !ok {
					return
				}
			case "-p", "--protocol":
				v, ok := value()
				if !ok {
					return
				}
				proto = strings.ToLower(v)
			default:
				if implicitProtoOptions[a] {
					implicit = true
				}
			}
		}
		if implicit && proto != "" && !explicit[proto] {
			add(Need{"match", proto})
		}
	})
	for _, j := range jumps {
		if !chains[j.target] {
			add(Need{"target", j.target})
		}
	}
	return needs, invalid
}

func validIdent(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// splitArgs splits a rule line as iptables-restore does: on whitespace,
// with double quotes grouping words and a backslash escaping a quote.
func splitArgs(line string) ([]string, error) {
	var args []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line) && line[i+1] == '"':
			cur.WriteByte('"')
			inWord = true
			i++
		case c == '"':
			quoted = !quoted
			inWord = true
		case !quoted && (c == ' ' || c == '\t'):
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if quoted {
		return nil, fmt.Errorf("unterminated quote")
	}
	if inWord {
		args = append(args, cur.String())
	}
	if len(args) == 0 {
		return nil, fmt.Errorf("empty rule")
	}
	return args, nil
}

// nftModules maps nftables keywords to the modules that implement them in
// Linux 6.1 (meta, counter, payload, sets, lookups, exthdr and rt are part
// of nf_tables itself).
var nftModules = map[string][]string{
	"ct":         {"nft_ct", "nf_conntrack"},
	"masquerade": {"nft_masq"},
	"snat":       {"nft_nat"},
	"dnat":       {"nft_nat"},
	"redirect":   {"nft_redir"},
	"limit":      {"nft_limit"},
	"log":        {"nft_log"},
	"quota":      {"nft_quota"},
	"queue":      {"nft_queue"},
	"numgen":     {"nft_numgen"},
	"jhash":      {"nft_hash"},
	"symhash":    {"nft_hash"},
	"socket":     {"nft_socket"},
	"tproxy":     {"nft_tproxy"},
	"synproxy":   {"nft_synproxy"},
	"osf":        {"nft_osf"},
	"flowtable":  {"nf_flow_table", "nft_flow_offload"},
	"xt":         {"nft_compat"},
}

// nftFamilyModules are keywords whose module depends on the table's family.
var nftFamilyModules = map[string]map[string]string{
	"reject": {"inet": "nft_reject_inet", "ip": "nft_reject_ipv4", "ip6": "nft_reject_ipv6", "bridge": "nft_reject_bridge", "netdev": "nft_reject_netdev"},
	"fib":    {"inet": "nft_fib_inet", "ip": "nft_fib_ipv4", "ip6": "nft_fib_ipv6", "netdev": "nft_fib_netdev"},
}

// nftLogFamilies are the NFPROTO numbers a table family's log statement
// asks a logger for.
var nftLogFamilies = map[string][]int{"ip": {2}, "ip6": {10}, "inet": {2, 10}, "arp": {3}, "bridge": {7}, "netdev": {5}}

var nftFamilies = map[string]bool{"ip": true, "ip6": true, "inet": true, "arp": true, "bridge": true, "netdev": true}

// ParseNftables reads an nftables ruleset (nft -f syntax) and lists the
// modules its statements need: nf_tables always, then per keyword (ct,
// masquerade, snat/dnat, redirect, limit, log, reject, ...), and
// nft_chain_nat for chains of type nat. "include" lines are not followed.
func ParseNftables(data []byte) ([]Need, []InvalidLine) {
	var needs []Need
	var invalid []InvalidLine
	seen := map[string]bool{}
	addNeed := func(n Need) {
		if !seen[n.Kind+" "+n.Name] {
			seen[n.Kind+" "+n.Name] = true
			needs = append(needs, n)
		}
	}
	add := func(m string) { addNeed(Need{"module", m}) }
	add("nf_tables")
	family := "ip"
	depth := 0
	eachLine(data, func(raw []byte, num int) {
		line, err := stripNftComment(string(raw))
		if err != nil {
			invalid = append(invalid, InvalidLine{num, err.Error()})
			return
		}
		words := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ';' || r == '\r' || r == ',' })
		for i, w := range words {
			w = strings.Trim(w, "{}")
			switch {
			case w == "table" && i+1 < len(words):
				if f := words[i+1]; nftFamilies[f] {
					family = f
				} else {
					family = "ip" // "table NAME" without a family is ip
				}
			case w == "type" && i+1 < len(words) && words[i+1] == "nat":
				add("nft_chain_nat")
			}
			for _, m := range nftModules[w] {
				add(m)
			}
			if w == "log" {
				// The kernel also loads the logger through an alias
				// (nf-logger-<nfproto>-<type>): NFLOG's for "log group",
				// syslog's otherwise; an inet table logs for both IP
				// families.
				typ := 0
				if slices.Contains(words[i+1:], "group") {
					typ = 1
				}
				for _, pf := range nftLogFamilies[family] {
					addNeed(Need{"logger", fmt.Sprintf("%d-%d", pf, typ)})
				}
			}
			if byFamily, ok := nftFamilyModules[w]; ok {
				if m, ok := byFamily[family]; ok {
					add(m)
				}
			}
		}
		depth += strings.Count(line, "{") - strings.Count(line, "}")
		if depth < 0 {
			invalid = append(invalid, InvalidLine{num, "unbalanced }"})
			depth = 0
		}
	})
	if depth != 0 {
		invalid = append(invalid, InvalidLine{0, fmt.Sprintf("%d unclosed {", depth)})
	}
	return needs, invalid
}

// stripNftComment drops a '#' comment and the contents of quoted strings,
// which may hold any word.
func stripNftComment(line string) (string, error) {
	var b strings.Builder
	quoted := false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '"':
			quoted = !quoted
			b.WriteByte(' ')
		case quoted:
		case c == '#':
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	if quoted {
		return "", fmt.Errorf("unterminated string")
	}
	return b.String(), nil
}
