package vmtest

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// managerReasons are the written reasons for a difference between what a
// manager made the kernel load and what the exporter requires, by
// scenario ("*" for all).
var managerReasons = map[string]map[string]string{
	"*": {},
}

// managerBoots boot each kernel with systemd on the Debian system that has
// the firewall managers installed; the scenarios in testdata/managers run
// in name order in one boot, each turning one manager on the way its user
// would. Files under testdata/managers/files are in the guest under
// /vmtest/managers.
func managerBoots(t *testing.T, ks []Kernel) []Spec {
	root := SystemdRoot(t)
	exporter, _ := binaries(t)
	dir := filepath.Join(testenv.RepoDir(), "internal", "vmtest", "testdata", "managers")
	script := readTestdata(t, "managers.sh")
	scripts, _ := filepath.Glob(filepath.Join(dir, "*.sh"))
	slices.Sort(scripts)
	for _, s := range scripts {
		b, err := os.ReadFile(s)
		if err != nil {
			t.Fatal(err)
		}
		script += "\n# " + filepath.Base(s) + "\n" + string(b)
	}
	script += "\nmjournal\n"
	files := []File{{Path: "/vmtest/kmod_exporter", HostPath: exporter, Mode: 0o755}}
	files = append(files, dirFiles(t, filepath.Join(dir, "files"), "/vmtest/managers")...)
	var specs []Spec
	for i, k := range ks {
		s := script
		switch {
		case os.Getenv("VMTEST_MANAGERS_SKIP") != "":
			// While working on some managers: leave the others out.
			s = "MANAGERS_SKIP='" + os.Getenv("VMTEST_MANAGERS_SKIP") + "'\n" + s
		case os.Getenv("VMTEST_MANAGERS") == "all":
		case i > 0:
			// For time, the other kernels run each manager's main
			// scenario; the first runs every variant (both iptables
			// backends, other actions and modes) too.
			s = "MANAGERS_SKIP='" + managerVariants + "'\n" + s
		default:
			s = "MANAGERS_SKIP='" + managerRedundant + "'\n" + s
		}
		specs = append(specs, Spec{Name: k.Release + "/managers", Kernel: k, Init: "systemd", Memory: 1536, Timeout: 20 * time.Minute,
			Layers: []Layer{root, k.Tree(), {Files: files}}, Script: s})
	}
	return specs
}

// managerVariants are the manager scenarios that only the first kernel
// runs unless VMTEST_MANAGERS=all.
// firewalld's stock start is among them: firewalld-features starts the
// same stock configuration plus a zone's features, and the kernel loads a
// superset.
const managerVariants = `^(ufw-legacy|ufw-options-nft|fail2ban-nftables|fail2ban-legacy|fail2ban-ipset-legacy|firewalld|firewalld-iptables-legacy|firewalld-iptables-nft|docker-legacy|docker-28|docker-28-legacy|docker-29-nftables|kube-proxy-legacy|kube-proxy-ipvs|kube-proxy-ipvs-legacy|kube-proxy-nftables)$`

// managerRedundant are the scenarios even the first kernel leaves out
// unless VMTEST_MANAGERS=all: what the kernel loads for them is a subset of
// another scenario's under the same code path (measured with
// VMTEST_MANAGERS=all, docs/correctness.md):
//   - fail2ban's default action under iptables-legacy: fail2ban-ipset-legacy
//     loads the same multiport, REJECT and legacy filter modules, plus its
//     sets;
//   - docker-legacy (20.10, ip6tables by "experimental"): docker-28-legacy
//     loads its legacy tables of both families and its matches, plus the
//     raw tables; the br_netfilter modprobe it adds does not depend on the
//     backend and docker proves it;
//   - docker-28 (iptables-nft): docker loads the same nf_tables and xt
//     modules for the same matches; docker-28-legacy proves what 28 changes
//     (the raw rule, ip6tables by default, no br_netfilter, the set probe);
//   - kube-proxy-legacy (iptables mode): kube-proxy loads its matches and
//     targets under iptables-nft, and the legacy tables of both families
//     (filter, nat, mangle) are proven by firewalld-iptables-legacy and
//     kube-proxy-ipvs-legacy;
//   - kube-proxy-ipvs (iptables-nft): kube-proxy-ipvs-legacy loads the same
//     IPVS, set and dummy modules, and kube-proxy the nft translation of
//     the same kinds of match.
const managerRedundant = `^(fail2ban-legacy|docker-legacy|docker-28|kube-proxy-legacy|kube-proxy-ipvs)$`

// dirFiles are the regular files under a host directory, placed under
// guest; none if it does not exist.
func dirFiles(t testing.TB, host, guest string) []File {
	t.Helper()
	var files []File
	err := filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(host, p)
		files = append(files, File{Path: guest + "/" + filepath.ToSlash(rel), HostPath: p})
		return nil
	})
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return files
}

// checkManagers: for every manager scenario, the kernel loaded exactly what
// the exporter requires, and with no manager in use it requires nothing.
func checkManagers(t *testing.T, ks []Kernel, results map[string]*Result) {
	judgeBoots(t, ks, results, "managers", "manager", managerReasons)
	for _, k := range ks {
		r := results[k.Release+"/managers"]
		if r == nil {
			continue
		}
		s := readScenario(t, r, "none")
		if len(s.verdict.Modules) != 0 || len(s.verdict.HostCauses) != 0 {
			t.Errorf("%s: with no manager in use the exporter requires %d modules and reports %v", k.Release, len(s.verdict.Modules), s.verdict.causeIDs())
		}
		if t.Failed() {
			t.Logf("%s script log:\n%s", k.Release, tail(r.File("script.log"), 40))
		}
	}
}
