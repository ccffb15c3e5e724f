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
		ctStatus := false
		for i, w := range words {
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
