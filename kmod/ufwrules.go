package kmod

// ufwRuleFile is one of ufw's iptables-restore files (before.rules,
// user6.rules...) on its own: ufw-init restores them one after the other
// into the same tables, so a jump in one may name a chain another file, or
// ufw-init itself, declares. Whether a jump is a chain or a target is
// decided once every file of the family is read (see ufwRuleset).
type ufwRuleFile struct {
	// needs are the tables and matches, each with the line of its first
	// use in the file.
	needs []ufwNeed
	// jumps are the -j targets that are not verdicts, each once, with the
	// line of its first use.
	jumps  []ufwNeed
	chains map[string]bool
	// invalid are lines iptables-restore would refuse.
	invalid []InvalidLine
}

// ufwNeed is a need and the line that first asks for it.
type ufwNeed struct {
	Need
	Line int
}

// parseUfwRules reads one ufw rules file with ParseIptablesSave's parser,
// keeping the line of each need's first use.
func parseUfwRules(data []byte) (ufwRuleFile, error) {
	p := iptablesParser{seen: map[Need]bool{}, chains: map[string]bool{}}
	var f ufwRuleFile
	eachLine(data, func(raw []byte, num int) {
		n := len(p.needs)
		p.line(raw, num)
		for _, need := range p.needs[n:] {
			f.needs = append(f.needs, ufwNeed{need, num})
		}
	})
	jumped := map[string]bool{}
	for _, j := range p.jumps {
		if !jumped[j.target] {
			jumped[j.target] = true
			f.jumps = append(f.jumps, ufwNeed{Need{"target", j.target}, j.line})
		}
	}
	f.chains, f.invalid = p.chains, p.invalid
	return f, nil
}

// ufwInitChains are the chains ufw-init creates itself before it restores
// the rules files (ufw-init-functions: the primary chains, the
// logging-deny, skip-to-policy and user chains), for IPv4 ("ufw-") and
// IPv6 ("ufw6-"): a jump to one is a jump to a chain, never a target.
var ufwInitChains = []string{
	"before-logging-input", "before-logging-output", "before-logging-forward",
	"before-input", "before-output", "before-forward",
	"after-input", "after-output", "after-forward",
	"after-logging-input", "after-logging-output", "after-logging-forward",
	"reject-input", "reject-output", "reject-forward",
	"track-input", "track-output", "track-forward",
	"logging-deny", "logging-allow", "not-local",
	"skip-to-policy-input", "skip-to-policy-output", "skip-to-policy-forward",
	"user-input", "user-output", "user-forward",
	"user-logging-input", "user-logging-output", "user-logging-forward",
	"user-limit", "user-limit-accept",
}

// ufwChainPrefix is the prefix of ufw's chains in each family.
var ufwChainPrefix = map[string]string{"ipv4": "ufw-", "ipv6": "ufw6-"}

// ufwPlaced is a need of ufw's rule set and the host file and line that
// first ask for it.
type ufwPlaced struct {
	Need
	Path string
	Line int
}

// ufwRuleset joins the files of one family, in the order ufw-init
// restores them, into one rule set: a jump to a chain declared in any of
// them, or created by ufw-init, needs nothing; any other jump is a target.
// Each need keeps the first file and line that asks for it, in load order.
func ufwRuleset(family string, paths []string, files []ufwRuleFile) []ufwPlaced {
	chains := map[string]bool{}
	for _, c := range ufwInitChains {
		chains[ufwChainPrefix[family]+c] = true
	}
	for _, f := range files {
		for c := range f.chains {
			chains[c] = true
		}
	}
	var out []ufwPlaced
	seen := map[Need]bool{}
	for i, f := range files {
		// Needs and targets in line order: a target asks for its module
		// on its own line, not after the file's matches.
		var all []ufwNeed
		m, j := 0, 0
		for m < len(f.needs) || j < len(f.jumps) {
			if j >= len(f.jumps) || m < len(f.needs) && f.needs[m].Line <= f.jumps[j].Line {
				all = append(all, f.needs[m])
				m++
				continue
			}
			if !chains[f.jumps[j].Name] {
				all = append(all, f.jumps[j])
			}
			j++
		}
		for _, n := range all {
			if !seen[n.Need] {
				seen[n.Need] = true
				out = append(out, ufwPlaced{n.Need, paths[i], n.Line})
			}
		}
	}
	return out
}
