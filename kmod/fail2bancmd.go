package kmod

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// fail2ban's actions are shell scripts. Only what its shipped actions use
// is understood: simple commands joined by ; && || | and newlines, { }
// groups, quotes and backslashes, redirections, and the loop
// "for proto in $(echo '<protocol>' | sed 's/,/ /g'); do ... done" over
// the jail's protocols. The iptables, ip6tables, ipset and nft commands
// are what load modules; everything else (grep, echo, sed) is skipped.

// f2bMaxCommands bounds the commands read from one action option.
const f2bMaxCommands = 1024

// f2bEchoSed is "$(echo 'WORDS' | sed ...)": fail2ban's actions use it to
// turn "tcp,udp" into a word list or "1000:2000" into an nft range; the
// words are what matters to the modules.
var f2bEchoSed = regexp.MustCompile(`\$\(\s*echo\s+'([^']*)'\s*\|\s*sed\s+[^)]*\)`)

// f2bForLoop is a loop header over a word list.
var f2bForLoop = regexp.MustCompile(`^\s*for\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.*?)\s*;\s*do\s*$`)

// f2bScript splits an action's shell text into commands, each a list of
// words, with the protocol loops unrolled.
func f2bScript(text string) [][]string {
	text = f2bEchoSed.ReplaceAllString(text, "$1")
	lines := unrollF2bLoops(strings.Split(text, "\n"), 0)
	var cmds [][]string
	for _, l := range lines {
		for _, c := range splitF2bShell(l) {
			if len(cmds) >= f2bMaxCommands {
				return cmds
			}
			cmds = append(cmds, c)
		}
	}
	return cmds
}

// unrollF2bLoops repeats each for loop's body once per word, with $VAR and
// ${VAR} replaced by it; loops nest at most f2bMaxDepth deep.
func unrollF2bLoops(lines []string, depth int) []string {
	var out []string
	for i := 0; i < len(lines); i++ {
		m := f2bForLoop.FindStringSubmatch(lines[i])
		if m == nil || depth >= f2bMaxDepth {
			out = append(out, lines[i])
			continue
		}
		// The body runs to the matching "done" line, or to the end.
		nest, end := 1, len(lines)
		for j := i + 1; j < len(lines); j++ {
			t := strings.TrimSpace(lines[j])
			if f2bForLoop.MatchString(lines[j]) {
				nest++
			} else if t == "done" || strings.HasPrefix(t, "done;") || strings.HasPrefix(t, "done ") {
				if nest--; nest == 0 {
					end = j
					break
				}
			}
		}
		body := unrollF2bLoops(lines[i+1:min(end, len(lines))], depth+1)
		words := strings.FieldsFunc(strings.Trim(m[2], `"'`), func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
		for _, w := range words {
			for _, l := range body {
				l = strings.ReplaceAll(l, "${"+m[1]+"}", w)
				l = strings.ReplaceAll(l, "$"+m[1], w)
				out = append(out, l)
				if len(out) > f2bMaxCommands {
					return out
				}
			}
		}
		i = end
	}
	return out
}

// splitF2bShell splits one line into simple commands: words separated by
// blanks, commands by ; & | ( ) and newlines, quotes and backslashes
// keeping characters literal. Redirections and the unquoted words { }
// and ! are dropped.
func splitF2bShell(line string) [][]string {
	var cmds [][]string
	var words []string
	var plain []bool // the word had no quoting: { } ! are syntax
	var cur strings.Builder
	inWord, quotedWord := false, false
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
			plain = append(plain, !quotedWord)
		}
		cur.Reset()
		inWord, quotedWord = false, false
	}
	endCmd := func() {
		endWord()
		if c := cleanF2bCommand(words, plain); len(c) > 0 {
			cmds = append(cmds, c)
		}
		words, plain = nil, nil
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord, quotedWord = true, true
		case c == '\'' || c == '"':
			end := strings.IndexByte(line[i+1:], c)
			if end < 0 {
				end = len(line) - i - 1
			}
			cur.WriteString(line[i+1 : i+1+end])
			i += 1 + end
			inWord, quotedWord = true, true
		case c == ' ' || c == '\t' || c == '\r':
			endWord()
		case c == '&' && !quotedWord && strings.HasSuffix(cur.String(), ">"):
			cur.WriteByte(c) // 2>&1 is a redirection, not "&"
		case c == ';' || c == '&' || c == '|' || c == '(' || c == ')' || c == '\n':
			endCmd()
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	endCmd()
	return cmds
}

// f2bRedirect matches a redirection word: >file, 2>&1, 2>, >>, <file.
var f2bRedirect = regexp.MustCompile(`^[0-9]*(>>?|<)(&?[0-9]*)?`)

func cleanF2bCommand(words []string, plain []bool) []string {
	var out []string
	for i := 0; i < len(words); i++ {
		w := words[i]
		if plain[i] {
			if w == "{" || w == "}" || w == "!" {
				continue
			}
			if m := f2bRedirect.FindString(w); m != "" {
				if m == w && !strings.Contains(w, "&") {
					i++ // "2> /dev/null": the target is the next word
				}
				continue
			}
		}
		out = append(out, w)
	}
	// "VAR=value cmd": the assignments are not the command.
	for len(out) > 0 && strings.Contains(out[0], "=") && !strings.HasPrefix(out[0], "-") {
		out = out[1:]
	}
	return out
}

// f2bRulesetKey is one iptables family under one backend.
type f2bRulesetKey struct {
	family, backend string
}

// f2bRules collects the needs of an action's commands: an iptables
// parser per family and backend, and the nft and ipset modules.
type f2bRules struct {
	iptables map[f2bRulesetKey]*iptablesParser
	keys     []f2bRulesetKey
	other    []Need
	seen     map[Need]bool
	chains   map[string]bool // chains the action creates, in every family
}

func newF2bRules(chains map[string]bool) *f2bRules {
	return &f2bRules{iptables: map[f2bRulesetKey]*iptablesParser{}, seen: map[Need]bool{}, chains: chains}
}

// iptablesCommandFamily says which family and backend an iptables binary
// is for; "" backend: the host's.
func iptablesCommandFamily(cmd string) (family, backend string, ok bool) {
	switch path.Base(cmd) {
	case "iptables":
		return "ipv4", "", true
	case "ip6tables":
		return "ipv6", "", true
	case "iptables-legacy":
		return "ipv4", "legacy", true
	case "ip6tables-legacy":
		return "ipv6", "legacy", true
	case "iptables-nft":
		return "ipv4", "nf_tables", true
	case "ip6tables-nft":
		return "ipv6", "nf_tables", true
	}
	return "", "", false
}

// declareChains notes the chains a command creates (-N), so that a jump
// to one is not read as a target extension.
func declareF2bChains(cmd []string, chains map[string]bool) {
	if _, _, ok := iptablesCommandFamily(cmd[0]); !ok {
		return
	}
	for i := 1; i+1 < len(cmd); i++ {
		if cmd[i] == "-N" || cmd[i] == "--new-chain" {
			chains[cmd[i+1]] = true
		}
	}
}

func (r *f2bRules) addOther(n Need) {
	if !r.seen[n] {
		r.seen[n] = true
		r.other = append(r.other, n)
	}
}

// command adds what one command needs.
func (r *f2bRules) command(s *Snapshot, cmd []string) {
	if family, backend, ok := iptablesCommandFamily(cmd[0]); ok {
		r.iptablesCommand(family, backend, cmd[1:])
		return
	}
	switch path.Base(cmd[0]) {
	case "ipset":
		r.ipsetCommand(s, cmd[1:])
	case "nft":
		r.nftCommand(cmd[1:])
	}
}

// iptablesCommand reads "iptables [-w] [-t table] -I chain ... -j target":
// the table it opens and the rule's extensions. A check (-C) loads the
// same extensions as the rule it checks.
func (r *f2bRules) iptablesCommand(family, backend string, args []string) {
	table := "filter"
	var rest []string
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-w" || a == "--wait":
			if i+1 < len(args) && isF2bNumber(args[i+1]) {
				i++
			}
		case a == "-W" || a == "--wait-interval":
			i++
		case a == "-t" || a == "--table":
			if i+1 < len(args) {
				table = args[i+1]
				i++
			}
		case strings.HasPrefix(a, "--table="):
			table = strings.TrimPrefix(a, "--table=")
		case a == "-4" || a == "-6" || a == "-n" || a == "-v" || a == "--numeric" || a == "--verbose":
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) == 0 || !validIdent(table) {
		return
	}
	key := f2bRulesetKey{family, backend}
	p := r.iptables[key]
	if p == nil {
		p = &iptablesParser{seen: map[Need]bool{}, chains: map[string]bool{}}
		for c := range r.chains {
			p.chains[c] = true
		}
		r.iptables[key] = p
		r.keys = append(r.keys, key)
	}
	p.add(Need{"table", table})
	switch rest[0] {
	case "-C", "--check":
		rest[0] = "-A"
	case "-L", "--list", "-S", "--list-rules":
		return
	}
	p.command(rest, 0)
}

func isF2bNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// ipsetCommand: any ipset command talks to ip_set; "create NAME TYPE"
// makes the kernel load the type's module (request_module("ip_set_%s"),
// the alias ip_set_hash:ip of ip_set_hash_ip).
func (r *f2bRules) ipsetCommand(s *Snapshot, args []string) {
	var words []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") || a == "-N" || a == "-A" {
			words = append(words, a)
		}
	}
	r.addOther(Need{"module", "ip_set"})
	if len(words) >= 3 && (words[0] == "create" || words[0] == "n" || words[0] == "-N") {
		typ := words[2]
		m := s.Resolve("ip_set_" + typ)
		if !s.knownModule(m) {
			m = []string{Normalize("ip_set_" + strings.ReplaceAll(typ, ":", "_"))}
		}
		if ValidateName(m[0]) == nil {
			r.addOther(Need{"module", m[0]})
		}
	}
}

// nftCommand: an nft command that adds a table, chain, set or rule needs
// what the same statements in an nft file need, in the command's family.
func (r *f2bRules) nftCommand(args []string) {
	var words []string
	opts := true
	for _, a := range args {
		if opts && a == "--" {
			opts = false
			continue
		}
		if opts && strings.HasPrefix(a, "-") {
			continue
		}
		opts = false
		words = append(words, a)
	}
	if len(words) < 2 {
		r.addOther(Need{"module", "nf_tables"})
		return
	}
	family := "ip"
	if len(words) > 2 && nftFamilies[words[2]] {
		family = words[2]
	}
	text := "add table " + family + " f2b\n"
	switch words[0] {
	case "add", "create", "insert", "replace":
		text = "table " + family + " f2b {\n" + strings.Join(words[1:], " ") + "\n}\n"
	}
	needs, _ := ParseNftables([]byte(text))
	for _, n := range needs {
		r.addOther(n)
	}
}

// modules turns what the commands need into modules, as RulesetModules
// does for a ruleset file loaded with the host's backend.
func (r *f2bRules) modules(s *Snapshot, backend string) []string {
	var out []string
	add := func(ms []string) {
		for _, m := range ms {
			if !slices.Contains(out, m) {
				out = append(out, m)
			}
		}
	}
	for _, k := range r.keys {
		p := r.iptables[k]
		for _, j := range p.jumps {
			if !p.chains[j.target] {
				p.add(Need{"target", j.target})
			}
		}
		b := k.backend
		if b == "" {
			b = backend
		}
		add(s.RulesetModules(Ruleset{Family: k.family, Format: FormatIptables, Needs: p.needs}, b))
	}
	if len(r.other) > 0 {
		add(s.RulesetModules(Ruleset{Format: FormatNftables, Needs: r.other}, backend))
	}
	return out
}
