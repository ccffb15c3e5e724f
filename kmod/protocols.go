package kmod

import (
	"strconv"
	"strings"
)

// maxProtocolsFile bounds /etc/protocols (netbase's is 3 KiB).
const maxProtocolsFile = 1 << 20

// knownProtocols are the protocols libxtables knows without /etc/protocols
// (xtables_chain_protos), the names its protocol matches are loaded by.
var knownProtocols = map[int]string{
	1: "icmp", 6: "tcp", 17: "udp", 33: "dccp", 50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp", 135: "mh", 136: "udplite",
}

// ParseProtocols reads /etc/protocols: "name number aliases... # comment"
// a line, giving each number its first name.
func ParseProtocols(data []byte) map[int]string {
	out := map[int]string{}
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, err := strconv.Atoi(f[1])
		if err != nil || n < 0 || n > 255 {
			continue
		}
		if _, seen := out[n]; !seen {
			out[n] = strings.ToLower(f[0])
		}
	}
	return out
}

// protocolMatch is the match iptables loads for `-p PROTO` when an option
// of that protocol (--dport, --icmpv6-type, ...) follows without -m: the
// protocol's name, with libxtables' own aliases. A number stays a number
// until the host's /etc/protocols names it (see Snapshot.protocolName);
// "all" (or 0) has no match.
func protocolMatch(proto string) string {
	switch p := strings.ToLower(proto); p {
	case "all", "0":
		return ""
	case "ipv6-icmp", "icmpv6":
		// xtables_find_match loads icmp6 for either name.
		return "icmp6"
	case "ipv6-mh":
		return "mh"
	default:
		return p
	}
}

// protocolName names a protocol number as iptables does: getprotobynumber
// (the host's /etc/protocols) first, then libxtables' table. "" when
// neither knows it; then iptables loads no match for it either.
func (s *Snapshot) protocolName(number string) string {
	n, err := strconv.Atoi(number)
	if err != nil {
		return number
	}
	if name, ok := s.view.protocols()[n]; ok {
		return protocolMatch(name)
	}
	return protocolMatch(knownProtocols[n])
}

// protocols is the host's /etc/protocols, once per view; empty when it is
// missing or unreadable (iptables then uses its own table too).
func (v *View) protocols() map[int]string {
	v.protocolsOnce.Do(func() {
		v.protocolTable, _, _ = readCached(v, &v.host.protocolsCache, "/etc/protocols", maxProtocolsFile, func(b []byte) (map[int]string, error) {
			return ParseProtocols(b), nil
		})
	})
	return v.protocolTable
}

// isProtocolNumber reports whether a -p value is a protocol number.
func isProtocolNumber(s string) bool {
	_, err := strconv.Atoi(s)
	return err == nil
}
