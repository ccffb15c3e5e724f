package kmod

import "strings"

// ufwSource is Debian's ufw, while ufw.conf says ENABLED=yes: at boot
// ufw.service runs /lib/ufw/ufw-init, which creates ufw's chains, adds the
// rules its default policies imply, modprobes IPT_MODULES and restores
// /etc/ufw/{before,after,user}.rules (and the *6.rules when IPV6=yes) with
// iptables-restore -n. Those files of one family are one rule set: a jump
// to a chain any of them, or ufw-init, declares needs nothing. Neither the
// before.init / after.init hooks (shell scripts) nor sysctl.conf (no
// modules) are read.
type ufwSource struct{}

const (
	ufwConfPath     = "/etc/ufw/ufw.conf"
	ufwDefaultsPath = "/etc/default/ufw"
	ufwRulesDir     = "/etc/ufw/"
)

func (ufwSource) Name() string { return "ufw" }
func (ufwSource) manager()     {}

// ufwSettings are ufw's variables as ufw-init sees them: /etc/default/ufw,
// then /etc/ufw/ufw.conf, which ufw-init-functions sources last.
type ufwSettings struct {
	defaults, conf map[string]shellVar
}

// get is a variable's value and the file and line that set it.
func (u ufwSettings) get(key string) (value, path string, line int, ok bool) {
	if v, ok := u.conf[key]; ok {
		return v.Value, ufwConfPath, v.Line, true
	}
	if v, ok := u.defaults[key]; ok {
		return v.Value, ufwDefaultsPath, v.Line, true
	}
	return "", ufwDefaultsPath, 0, false
}

// yes is ufw-init's test of a yes/no setting: "yes" or "YES".
func (u ufwSettings) yes(key string) bool {
	v, _, _, _ := u.get(key)
	return v == "yes" || v == "YES"
}

// ufwInUse reads ufw's settings; false unless ufw.conf says ENABLED=yes
// and /etc/default/ufw exists (ufw-init aborts without it).
func (s *Snapshot) ufwInUse() (ufwSettings, bool) {
	var u ufwSettings
	conf, exists, err := readSourceFile(s, "ufw", ufwConfPath, parseShellVars)
	if !exists || err != nil {
		return u, false
	}
	u.conf = conf
	if !u.yes("ENABLED") {
		return u, false
	}
	// An unreadable /etc/default/ufw is reported by Files; ufw's own
	// defaults are then unknown, and the files are read as if unset.
	defaults, exists, _ := readSourceFile(s, "ufw", ufwDefaultsPath, parseShellVars)
	if !exists {
		return u, false
	}
	u.defaults = defaults
	return u, true
}

// ufwFamilies are the families whose rules files ufw-init restores.
func (u ufwSettings) ufwFamilies() []string {
	if u.yes("IPV6") {
		return []string{"ipv4", "ipv6"}
	}
	return []string{"ipv4"}
}

// ufwRulesFiles are one family's rules files, in the order ufw-init
// restores them.
func ufwRulesFiles(family string) []string {
	t := ""
	if family == "ipv6" {
		t = "6"
	}
	return []string{ufwRulesDir + "before" + t + ".rules", ufwRulesDir + "after" + t + ".rules", ufwRulesDir + "user" + t + ".rules"}
}

// enabled: ufw's files require modules only while ufw.conf enables it.
func (ufwSource) enabled(s *Snapshot, _ string) bool {
	_, ok := s.ufwInUse()
	return ok
}

func (ufwSource) Files(s *Snapshot, spec RequirementSpec) []string {
	if !spec.WantsManager("ufw") {
		return nil
	}
	files := []string{ufwConfPath}
	u, ok := s.ufwInUse()
	if !ok {
		return files
	}
	files = append(files, ufwDefaultsPath)
	for _, fam := range u.ufwFamilies() {
		files = append(files, ufwRulesFiles(fam)...)
	}
	return files
}

// ufwPolicies are the directions of ufw's DEFAULT_<DIR>_POLICY settings.
var ufwPolicies = []string{"INPUT", "OUTPUT", "FORWARD"}

func (ufwSource) Require(s *Snapshot, spec RequirementSpec, backend string, set *RequirementSet) {
	if !spec.WantsManager("ufw") {
		return
	}
	u, ok := s.ufwInUse()
	if !ok {
		return
	}
	seen := map[string]bool{}
	add := func(name, path string, line int) {
		if !seen[name] {
			seen[name] = true
			set.Found = append(set.Found, Provenance{Name: name, Source: "ufw", Path: path, Line: line})
		}
	}
	place := func(family string, needs []ufwPlaced) {
		for _, n := range needs {
			for _, m := range s.RulesetModules(Ruleset{Format: FormatIptables, Family: family, Needs: []Need{n.Need}}, backend) {
				add(m, n.Path, n.Line)
			}
		}
	}
	// ufw-init modprobes IPT_MODULES first (connection tracking helpers).
	if v, p, line, ok := u.get("IPT_MODULES"); ok {
		for _, m := range strings.Fields(v) {
			if ValidateName(m) == nil {
				add(m, p, line)
			}
		}
	}
	// MANAGE_BUILTINS=yes: flush_builtins lists the mangle tables of both
	// families and IPv4's nat table, which loads them, and flushes IPv6's
	// filter table whatever IPV6 says.
	if u.yes("MANAGE_BUILTINS") {
		_, p, line, _ := u.get("MANAGE_BUILTINS")
		place("ipv4", []ufwPlaced{{Need{"table", "filter"}, p, line}, {Need{"table", "mangle"}, p, line}, {Need{"table", "nat"}, p, line}})
		place("ipv6", []ufwPlaced{{Need{"table", "filter"}, p, line}, {Need{"table", "mangle"}, p, line}})
	}
	if !u.yes("IPV6") {
		// IPv6 off: ufw-init still restores a filter table that drops
		// everything but loopback.
		_, p, line, _ := u.get("IPV6")
		place("ipv6", []ufwPlaced{{Need{"table", "filter"}, p, line}})
	}
	_, confPath, enabledLine, _ := u.get("ENABLED")
	for _, fam := range u.ufwFamilies() {
		// ufw-init's own rules: its chains in the filter table, then
		// those the default policies imply.
		init := []ufwPlaced{{Need{"table", "filter"}, confPath, enabledLine}}
		for _, pass := range []string{"REJECT", "ACCEPT", "skip"} {
			for _, dir := range ufwPolicies {
				v, p, line, _ := u.get("DEFAULT_" + dir + "_POLICY")
				switch {
				case v == "REJECT" && pass != "ACCEPT":
					// ufw-reject-<dir>, then ufw-skip-to-policy-<dir>.
					init = append(init, ufwPlaced{Need{"target", "REJECT"}, p, line})
				case v == "ACCEPT" && pass == "ACCEPT":
					// ufw-track-<dir>: -m conntrack --ctstate NEW.
					init = append(init, ufwPlaced{Need{"match", "conntrack"}, p, line})
				}
			}
		}
		place(fam, init)
		paths := ufwRulesFiles(fam)
		var files []ufwRuleFile
		var read []string
		for _, p := range paths {
			f, exists, err := readSourceFile(s, "ufw", p, parseUfwRules)
			if !exists || err != nil {
				continue // ufw-init skips it ("Couldn't find"); Files reports an unreadable one
			}
			files = append(files, f)
			read = append(read, p)
		}
		place(fam, ufwRuleset(fam, read, files))
	}
}
