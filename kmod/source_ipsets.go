package kmod

// ipsetFiles are where the boot services restore ipsets from before the
// rules that match them: Debian's ipset-persistent (a netfilter-persistent
// plugin) and RHEL's ipset-service.
var ipsetFiles = []string{"/etc/iptables/ipsets", "/etc/sysconfig/ipset"}

// ipsetSource is the sets those files create: creating a set makes the
// kernel load ip_set and the module of the set's type, before any rule
// uses it.
type ipsetSource struct{}

func (ipsetSource) Name() string { return "ipsets" }

func (ipsetSource) manager() {}

func (ipsetSource) Files(_ *Snapshot, spec RequirementSpec) []string {
	if !spec.WantsManager("ipsets") {
		return nil
	}
	return ipsetFiles
}

func (ipsetSource) Require(s *Snapshot, spec RequirementSpec, _ string, set *RequirementSet) {
	if !spec.WantsManager("ipsets") {
		return
	}
	for _, p := range ipsetFiles {
		sets, exists, err := readSourceFile(s, "ipsets", p, func(b []byte) ([]IpsetCreate, error) {
			sets, _ := ParseIpsets(b)
			return sets, nil
		})
		if err != nil || !exists {
			continue // an unreadable file is reported by SourceFiles
		}
		for i, c := range sets {
			if i == 0 {
				set.Found = append(set.Found, Provenance{Name: "ip_set", Source: p, Path: p, Line: c.Line})
			}
			set.Found = append(set.Found, Provenance{Name: IpsetModule(c.Type), Source: p, Path: p, Line: c.Line})
		}
	}
}
