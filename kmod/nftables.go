package kmod

import (
	"fmt"
	"slices"
	"strings"
)

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
	"xt":         {"nft_compat"},
}

// nftFamilyModules are keywords whose module depends on the table's family.
var nftFamilyModules = map[string]map[string]string{
	"reject": {"inet": "nft_reject_inet", "ip": "nft_reject_ipv4", "ip6": "nft_reject_ipv6", "bridge": "nft_reject_bridge", "netdev": "nft_reject_netdev"},
	"fib":    {"inet": "nft_fib_inet", "ip": "nft_fib_ipv4", "ip6": "nft_fib_ipv6", "netdev": "nft_fib_netdev"},
}

// nftNamedObjects are the stateful statements that can name an object
// instead of keeping their own state.
var nftNamedObjects = map[string]bool{"counter": true, "quota": true, "limit": true, "synproxy": true}

// nftLogFamilies are the NFPROTO numbers a table family's log statement
// asks a logger for.
var nftLogFamilies = map[string][]int{"ip": {2}, "ip6": {10}, "inet": {2, 10}, "arp": {3}, "bridge": {7}, "netdev": {5}}

var nftFamilies = map[string]bool{"ip": true, "ip6": true, "inet": true, "arp": true, "bridge": true, "netdev": true}

// nftFamilyProto is the NFPROTO number of each table family, by which the
// kernel requests a family's expression (nft-expr-5-fwd) or flowtable
// type (nf-flowtable-1).
var nftFamilyProto = map[string]int{"inet": 1, "ip": 2, "arp": 3, "netdev": 5, "bridge": 7, "ip6": 10}

// ctStatusValues are the values of `ct status`: "ct status dnat" matches
// connections that were DNATed and needs nft_ct, not the dnat statement's
// nft_nat (the booted kernels agree).
var ctStatusValues = map[string]bool{"expected": true, "seen-reply": true, "assured": true, "confirmed": true, "snat": true, "dnat": true, "dying": true}

// natStatement reports whether the words after snat or dnat make it the
// statement ("dnat to 10.0.0.1", "dnat ip to ...") rather than a value.
func natStatement(rest []string) bool {
	return len(rest) > 0 && (rest[0] == "to" || len(rest) > 1 && rest[1] == "to")
}

// ParseNftables reads an nftables ruleset (nft -f syntax) and lists the
// modules its statements need: nf_tables always, then per keyword (ct,
// masquerade, snat/dnat, redirect, limit, log, reject, ...), and
// nft_chain_nat for chains of type nat; what the kernel requests by alias
// (a ct helper's nfct-helper-ftp, a named object's objref, ct count,
// notrack, fwd, dup, flowtables and flow add) as "alias" needs. Variables
// of "define" are substituted; "include" lines are not followed here (see
// expandNftables, which reads the included files of a host).
func ParseNftables(data []byte) ([]Need, []InvalidLine) {
	p := newNftParser("")
	p.feed("", lexNftables(data).lines, 0, nil)
	p.finish()
	return p.needs, p.invalid
}

// nftParser scans the statements of a ruleset, which may span several
// files: the table family, the brace depth and the variables carry over
// from a file into the files it includes and back, as nft reads them.
type nftParser struct {
	needs   []Need
	at      []nftAt // where each need was first asked for
	invalid []InvalidLine
	seen    map[string]bool
	family  string
	depth   int
	defines map[string]string
	// expanded is the text substitution has added, bounded.
	expanded int
	// define collects a multi-line "define NAME = { ... }".
	define *nftDefine
	// file and line are where the statement being scanned is.
	file string
	line int
	// topLine is the line of the top file being read (the include
	// that led to an included file), to which invalid lines are reported.
	topLine int
}

// nftAt is a file and line of a ruleset.
type nftAt struct {
	Path string
	Line int
}

type nftDefine struct {
	name  string
	value strings.Builder
	depth int
}

// newNftParser starts a ruleset whose top file is file: nf_tables, which
// every ruleset needs, is asked for there.
func newNftParser(file string) *nftParser {
	p := &nftParser{seen: map[string]bool{}, family: "ip", defines: map[string]string{}, file: file}
	p.addNeed(Need{"module", "nf_tables"})
	return p
}

func (p *nftParser) addNeed(n Need) {
	if !p.seen[n.Kind+" "+n.Name] {
		p.seen[n.Kind+" "+n.Name] = true
		p.needs = append(p.needs, n)
		p.at = append(p.at, nftAt{p.file, p.line})
	}
}

// bad records an invalid line: in the top file, its own line; in an
// included file, the line of the top file's include, naming where.
func (p *nftParser) bad(reason string) {
	if p.topLine == 0 {
		p.invalid = append(p.invalid, InvalidLine{p.line, reason})
		return
	}
	p.invalid = append(p.invalid, InvalidLine{p.topLine, fmt.Sprintf("%s:%d: %s", p.file, p.line, reason)})
}

// splitNftWords splits a statement into words at blanks and separators.
func splitNftWords(line string) []string {
	return strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ';' || r == '\r' || r == ',' })
}

// statement scans one line (comments and strings dropped, variables
// substituted) for the keywords that need modules.
func (p *nftParser) statement(line string) {
	words := splitNftWords(line)
	add := func(m string) { p.addNeed(Need{"module", m}) }
	alias := func(a string) { p.addNeed(Need{"alias", a}) }
	ctStatus := false
	for i, w := range words {
		next := func(k int) string {
			if i+k < len(words) {
				return words[i+k]
			}
			return ""
		}
		w = strings.Trim(w, "{}")
		// After "ct status" come its values (one, a list, or a set
		// in braces), which are not statements.
		if ctStatus && (w == "" || w == "!=" || ctStatusValues[w] && !natStatement(words[i+1:])) {
			continue
		}
		ctStatus = w == "status" && i > 0 && words[i-1] == "ct"
		switch {
		case w == "table" && i+1 < len(words):
			if f := words[i+1]; nftFamilies[f] {
				p.family = f
			} else {
				p.family = "ip" // "table NAME" without a family is ip
			}
		case w == "type" && next(1) == "nat":
			add("nft_chain_nat")
		case w == "type" && len(next(1)) > 1 && next(1)[0] == '"':
			// A ct helper object's `type "ftp"` (the lexer keeps
			// this string): creating it loads the helper.
			alias("nfct-helper-" + next(1)[1:])
		case w == "ct" && next(1) == "count":
			// A connlimit expression, not nft_ct's.
			alias("nft-expr-connlimit")
			continue
		case w == "ct" && (next(1) == "helper" || next(1) == "timeout" || next(1) == "expectation") && next(2) == "set" && !strings.HasPrefix(next(3), "{"):
			// The rule names a ct helper, timeout or expectation
			// object: an objref expression (a module until 6.1).
			// "ct helper set {" declares an object called set.
			alias("nft-expr-objref")
		case nftNamedObjects[w] && next(1) == "name" && !strings.HasPrefix(next(2), "{"):
			// "counter name c", "quota name q", "limit name l",
			// "synproxy name s" (or a map of names) reference a named
			// object: objref too. "quota name {" declares an object
			// called name.
			alias("nft-expr-objref")
		case w == "dup" && natStatement(words[i+1:]):
			// dup to ADDR (DEVICE in netdev): the expression of the
			// table's family, nft_dup_ipv4, nft_dup_ipv6 or
			// nft_dup_netdev; no tree has one for inet or bridge.
			alias(fmt.Sprintf("nft-expr-%d-dup", nftFamilyProto[p.family]))
		case w == "notrack":
			alias("nft-expr-notrack")
		case w == "fwd" && natStatement(words[i+1:]):
			alias(fmt.Sprintf("nft-expr-%d-fwd", nftFamilyProto[p.family]))
		case w == "flowtable":
			// "add flowtable inet t ft" names its family; a flowtable
			// in a table block has the table's.
			family := p.family
			if nftFamilies[next(1)] {
				family = next(1)
			}
			alias(fmt.Sprintf("nf-flowtable-%d", nftFamilyProto[family]))
		case w == "flow" && (next(1) == "add" || next(1) == "offload"):
			alias("nft-expr-flow_offload")
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
			for _, pf := range nftLogFamilies[p.family] {
				p.addNeed(Need{"logger", fmt.Sprintf("%d-%d", pf, typ)})
			}
		}
		if byFamily, ok := nftFamilyModules[w]; ok {
			if m, ok := byFamily[p.family]; ok {
				add(m)
			}
		}
	}
	p.depth += strings.Count(line, "{") - strings.Count(line, "}")
	if p.depth < 0 {
		p.bad("unbalanced }")
		p.depth = 0
	}
}

// finish reports what is left open at the end of the ruleset.
func (p *nftParser) finish() {
	if p.define != nil {
		p.invalid = append(p.invalid, InvalidLine{0, fmt.Sprintf("define %s: unclosed {", p.define.name)})
		p.define = nil
	}
	if p.depth != 0 {
		p.invalid = append(p.invalid, InvalidLine{0, fmt.Sprintf("%d unclosed {", p.depth)})
	}
}
