package kmod

import (
	"bytes"
	"fmt"
	"strings"
)

// iptablesCoreTargets are verdicts of the core, not extensions.
var iptablesCoreTargets = map[string]bool{"ACCEPT": true, "DROP": true, "QUEUE": true, "RETURN": true}

// implicitProtoOptions are options that make iptables load the protocol's
// match when a rule says "-p tcp --dport 22" without "-m tcp".
var implicitProtoOptions = map[string]bool{
	"--dport": true, "--sport": true, "--destination-port": true, "--source-port": true,
	"--tcp-flags": true, "--syn": true, "--tcp-option": true, "--chunk-types": true,
	"--dccp-types": true, "--dccp-option": true, "--icmp-type": true, "--icmpv6-type": true,
}

// runtimeAlias maps an extension's option to the prefix of the alias its
// kernel side requests at run time for the option's value: CT's helper
// (nf_conntrack_helper_try_module_get: nfct-helper-ftp is
// nf_conntrack_ftp) and the string match's algorithm (textsearch_prepare:
// ts_bm).
var runtimeAlias = map[string]string{
	"-j CT --helper":   "nfct-helper-",
	"-m string --algo": "ts_",
}

// validHelperName reports whether s can be a helper or textsearch name as
// the kernel's aliases spell them (H.245, netbios-ns, snmp_trap).
func validHelperName(s string) bool {
	return len(s) <= 32 && validIdent(strings.ReplaceAll(s, ".", "_"))
}

// ParseIptablesSave reads an iptables-save / iptables-restore file and lists
// the tables, matches and targets it uses, and the aliases their options
// make the kernel request (runtimeAlias), each once, in order of first use.
// Jumps to chains the file declares need nothing.
func ParseIptablesSave(data []byte) ([]Need, []InvalidLine) {
	p := iptablesParser{seen: map[Need]bool{}, chains: map[string]bool{}}
	eachLine(data, p.line)
	// A jump to a chain the file declares is not an extension target.
	for _, j := range p.jumps {
		if !p.chains[j.target] {
			p.add(Need{"target", j.target})
		}
	}
	return p.needs, p.invalid
}

// iptablesParser is ParseIptablesSave's state between lines.
type iptablesParser struct {
	needs   []Need
	invalid []InvalidLine
	seen    map[Need]bool
	chains  map[string]bool
	jumps   []iptablesJump
	table   string // inside "*table" ... "COMMIT"; "" outside
}

// iptablesJump is a -j target, an extension unless a chain has its name.
type iptablesJump struct {
	target string
	line   int
}

func (p *iptablesParser) add(n Need) {
	if !p.seen[n] {
		p.seen[n] = true
		p.needs = append(p.needs, n)
	}
}

func (p *iptablesParser) bad(num int, reason string) {
	p.invalid = append(p.invalid, InvalidLine{num, reason})
}

// line reads one line: a table header, COMMIT, a chain declaration or a rule.
func (p *iptablesParser) line(raw []byte, num int) {
	line := strings.TrimSpace(string(bytes.TrimRight(raw, "\r")))
	switch {
	case line == "" || line[0] == '#':
		return
	case line[0] == '*':
		p.table = line[1:]
		if !validIdent(p.table) {
			p.bad(num, "table name "+quote(p.table))
			return
		}
		p.add(Need{"table", p.table})
		return
	case line == "COMMIT":
		p.table = ""
		return
	case line[0] == ':':
		f := strings.Fields(line[1:])
		if len(f) == 0 {
			p.bad(num, "chain declaration without a name")
			return
		}
		p.chains[f[0]] = true
		return
	}
	args, err := splitArgs(line)
	if err != nil {
		p.bad(num, err.Error())
		return
	}
	if p.table == "" {
		p.bad(num, "rule outside a *table ... COMMIT block")
		return
	}
	p.command(args, num)
}

// command reads an iptables command; only rules that add to a chain need
// extensions.
func (p *iptablesParser) command(args []string, num int) {
	switch args[0] {
	case "-A", "--append", "-I", "--insert", "-R", "--replace", "-D", "--delete":
	case "-N", "--new-chain":
		if len(args) > 1 {
			p.chains[args[1]] = true
		}
		return
	case "-P", "--policy", "-F", "--flush", "-X", "--delete-chain", "-Z", "--zero", "-E", "--rename-chain":
		return
	default:
		p.bad(num, "unknown command "+quote(args[0]))
		return
	}
	if len(args) < 2 {
		p.bad(num, args[0]+" without a chain")
		return
	}
	p.rule(args[2:], num)
}

// rule reads a rule's options: its matches, its target, and the protocol
// match that options such as --dport load without -m.
func (p *iptablesParser) rule(args []string, num int) {
	proto := ""
	explicit := map[string]bool{}
	implicit := false
	// cur is the match or target whose options follow: --helper is
	// the CT target's (the helper match has one too, loading nothing).
	cur := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		value := func() (string, bool) {
			if i+1 >= len(args) {
				p.bad(num, a+" without a value")
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
			cur = "-m " + v
			p.add(Need{"match", v})
		case "-j", "--jump":
			v, ok := value()
			if !ok {
				return
			}
			cur = "-j " + v
			if !iptablesCoreTargets[v] {
				p.jumps = append(p.jumps, iptablesJump{v, num})
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
			proto = v
		case "--helper", "--algo":
			v, ok := value()
			if !ok {
				return
			}
			if alias := runtimeAlias[cur+" "+a]; alias != "" && validHelperName(v) {
				p.add(Need{"alias", alias + v})
			}
		default:
			if implicitProtoOptions[a] {
				implicit = true
			}
		}
	}
	if m := protocolMatch(proto); implicit && m != "" && !explicit[m] {
		p.add(Need{"match", m})
	}
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
