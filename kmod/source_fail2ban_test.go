package kmod

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// fail2banHost is a host running Debian's 6.1 kernel (its real modules.dep
// and modules.alias) with Debian's fail2ban package's /etc/fail2ban,
// fail2ban.service enabled unless disabled, and extra files written over
// the package's (host path: content).
func fail2banHost(t *testing.T, enabled bool, extra map[string]string) *Host {
	t.Helper()
	pkg := testenv.Package(t, "fail2ban")
	trees, _ := testenv.KernelTrees(t)
	release := ""
	for r := range trees {
		if strings.HasSuffix(r, "-amd64") && !strings.Contains(r, "cloud") && (release == "" || r < release) {
			release = r
		}
	}
	kh := testenv.NewKernelHost(t, release, 0)
	root := t.TempDir()
	// The module index files only: resolution needs no .ko.
	metas, _ := filepath.Glob(filepath.Join(trees[release], "lib/modules", release, "modules.*"))
	for _, m := range metas {
		data, err := os.ReadFile(m)
		must(t, err)
		writeFile(t, filepath.Join(root, "lib/modules", release, filepath.Base(m)), string(data))
	}
	src := filepath.Join(pkg, "etc/fail2ban")
	must(t, filepath.Walk(src, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		writeFile(t, filepath.Join(root, "etc/fail2ban", rel), string(data))
		return nil
	}))
	for p, c := range extra {
		writeFile(t, filepath.Join(root, p), c)
	}
	if enabled {
		wants := filepath.Join(root, "etc/systemd/system/multi-user.target.wants")
		must(t, os.MkdirAll(wants, 0o755))
		must(t, os.Symlink("/lib/systemd/system/fail2ban.service", filepath.Join(wants, "fail2ban.service")))
	}
	return NewHost(Paths{Proc: kh.Proc, Sys: kh.Sys, Root: root})
}

func fail2banModules(t *testing.T, h *Host, backend string) ([]string, []Provenance) {
	t.Helper()
	s, err := readSnapshot(t, h)
	must(t, err)
	set := s.Requirements(RequirementSpec{Managers: []string{"fail2ban"}}, backend)
	for _, r := range set.Rulesets {
		if r.Err != nil {
			t.Errorf("%s: %v", r.Path, r.Err)
		}
	}
	var names []string
	for _, p := range set.Found {
		if p.Source != "fail2ban" {
			t.Errorf("source %q in %+v", p.Source, p)
		}
		names = append(names, p.Name)
	}
	return names, set.Found
}

// TestFail2banDebianDefault: Debian's defaults enable the sshd jail with
// banaction iptables-multiport; its start and first ban, for IPv4 and IPv6,
// are these iptables commands and need these modules.
func TestFail2banDebianDefault(t *testing.T) {
	h := fail2banHost(t, true, nil)
	for _, tc := range []struct {
		backend string
		want    []string
	}{
		{"legacy", []string{"iptable_filter", "xt_multiport", "ipt_REJECT", "ip6table_filter", "ip6t_REJECT"}},
		{"nf_tables", []string{"nf_tables", "xt_multiport", "nft_compat", "ipt_REJECT", "ip6t_REJECT"}},
	} {
		got, found := fail2banModules(t, h, tc.backend)
		if !slices.Equal(testenv.Sorted(got), testenv.Sorted(tc.want)) {
			t.Errorf("%s: got %q, want %q", tc.backend, got, tc.want)
		}
		// The rule's line in iptables.conf asks for xt_multiport.
		i := slices.IndexFunc(found, func(p Provenance) bool { return p.Name == "xt_multiport" })
		if i < 0 || found[i].Path != "/etc/fail2ban/action.d/iptables.conf" || found[i].Line == 0 {
			t.Errorf("%s: xt_multiport provenance %+v", tc.backend, found)
		}
	}
}

// TestFail2banDisabled: nothing while the service is disabled, a jail is
// disabled, or the configuration says no manager fail2ban.
func TestFail2banDisabled(t *testing.T) {
	if got, _ := fail2banModules(t, fail2banHost(t, false, nil), "legacy"); len(got) != 0 {
		t.Errorf("service disabled: %q", got)
	}
	h := fail2banHost(t, true, map[string]string{"etc/fail2ban/jail.local": "[sshd]\nenabled = false\n"})
	if got, _ := fail2banModules(t, h, "legacy"); len(got) != 0 {
		t.Errorf("jail disabled in jail.local: %q", got)
	}
	s, err := readSnapshot(t, fail2banHost(t, true, nil))
	must(t, err)
	if set := s.Requirements(RequirementSpec{Managers: []string{}}, "legacy"); len(set.Found) != 0 {
		t.Errorf("manager off: %+v", set.Found)
	}
}

// TestFail2banBanactions: the other shipped banactions, set as users do
// in jail.local or jail.d/*.local.
func TestFail2banBanactions(t *testing.T) {
	for _, tc := range []struct {
		name, file, conf, backend string
		want                      []string
	}{
		{"nftables-multiport", "etc/fail2ban/jail.local", "[DEFAULT]\nbanaction = nftables-multiport\n", "nf_tables",
			[]string{"nf_tables", "nft_reject_inet"}},
		{"nftables-allports in jail.d", "etc/fail2ban/jail.d/nft.local", "[DEFAULT]\nbanaction = nftables-allports\n", "legacy",
			[]string{"nf_tables", "nft_reject_inet"}},
		{"iptables-ipset-proto6", "etc/fail2ban/jail.local", "[DEFAULT]\nbanaction = iptables-ipset-proto6\n", "legacy",
			[]string{"ip_set", "ip_set_hash_ip", "iptable_filter", "xt_multiport", "xt_set", "ipt_REJECT", "ip6table_filter", "ip6t_REJECT"}},
		{"iptables-allports per jail", "etc/fail2ban/jail.local", "[sshd]\nbanaction = %(banaction_allports)s\n", "legacy",
			[]string{"iptable_filter", "ipt_REJECT", "ip6table_filter", "ip6t_REJECT"}},
		{"blocktype DROP", "etc/fail2ban/action.d/iptables.local", "[Init]\nblocktype = DROP\n[Init?family=inet6]\nblocktype = DROP\n", "legacy",
			[]string{"iptable_filter", "xt_multiport", "ip6table_filter"}},
		{"udp and a chain in jail.local", "etc/fail2ban/jail.local", "[sshd]\nprotocol = tcp,udp\nchain = FORWARD\n", "legacy",
			[]string{"iptable_filter", "xt_multiport", "ipt_REJECT", "ip6table_filter", "ip6t_REJECT"}},
		{"action_mw adds mail only", "etc/fail2ban/jail.local", "[DEFAULT]\naction = %(action_mw)s\n", "legacy",
			[]string{"iptable_filter", "xt_multiport", "ipt_REJECT", "ip6table_filter", "ip6t_REJECT"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := fail2banHost(t, true, map[string]string{tc.file: tc.conf})
			got, _ := fail2banModules(t, h, tc.backend)
			if !slices.Equal(testenv.Sorted(got), testenv.Sorted(tc.want)) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestFail2banFiles: the jail files and every action file read, which
// exist.
func TestFail2banFiles(t *testing.T) {
	s, err := readSnapshot(t, fail2banHost(t, true, nil))
	must(t, err)
	var got []string
	for _, f := range s.SourceFiles(RequirementSpec{Managers: []string{"fail2ban"}}) {
		if f.Source == "fail2ban" {
			got = append(got, f.Path)
		}
	}
	want := []string{
		"/etc/fail2ban/jail.conf", "/etc/fail2ban/jail.d",
		"/etc/fail2ban/paths-debian.conf", "/etc/fail2ban/paths-common.conf",
		"/etc/fail2ban/jail.d/defaults-debian.conf",
		"/etc/fail2ban/action.d/iptables-multiport.conf", "/etc/fail2ban/action.d/iptables.conf",
	}
	if !slices.Equal(testenv.Sorted(got), testenv.Sorted(want)) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestFail2banBrokenFiles: a file that exists but cannot be understood is
// never passed over: it is a file error of the source (check exits 2 naming
// it, readable 0) with the file and line, while the jails it does not
// concern still require their modules.
func TestFail2banBrokenFiles(t *testing.T) {
	multiport := []string{"iptable_filter", "xt_multiport", "ipt_REJECT", "ip6table_filter", "ip6t_REJECT"}
	for _, tc := range []struct {
		name  string
		extra map[string]string
		path  string   // the file in error
		err   []string // what its error says
		want  []string // what the other jails require
	}{
		{"action file does not parse", map[string]string{
			"etc/fail2ban/jail.local":           "[sshd]\nbanaction = broken\n[recidive]\nenabled = true\nbanaction = iptables-multiport\n",
			"etc/fail2ban/action.d/broken.conf": "[Definition]\nactionban = iptables -I f2b-<name> 1 -s <ip> -j DROP\nnot an option line\n",
		}, "/etc/fail2ban/action.d/broken.conf", []string{"/etc/fail2ban/action.d/broken.conf", "line 3", "not an option"}, multiport},
		{"action file's tag does not interpolate", map[string]string{
			"etc/fail2ban/jail.local":           "[sshd]\nbanaction = broken\n",
			"etc/fail2ban/action.d/broken.conf": "[Definition]\nactionban = iptables -I INPUT -s <ip> -j %(nowhere)s\n[Init]\nname = default\nport = %(\n",
		}, "/etc/fail2ban/action.d/broken.conf", []string{"/etc/fail2ban/action.d/broken.conf:5", "[Init] port"}, nil},
		{"a .local beside the action does not parse", map[string]string{
			"etc/fail2ban/action.d/iptables-multiport.local": "[Definition\n",
		}, "/etc/fail2ban/action.d/iptables-multiport.local", []string{"iptables-multiport.local", "line 1"}, []string{"iptable_filter", "xt_multiport", "ipt_REJECT", "ip6table_filter", "ip6t_REJECT"}},
		{"jail names an action with no file", map[string]string{
			"etc/fail2ban/jail.local": "[DEFAULT]\n\n[sshd]\naction = nowhere[port=22]\n",
		}, "/etc/fail2ban/jail.local", []string{"/etc/fail2ban/jail.local:4", "jail sshd", "action nowhere"}, nil},
		{"jail's action list does not split", map[string]string{
			"etc/fail2ban/jail.local": "[sshd]\naction = iptables[name=\"x]\n",
		}, "/etc/fail2ban/jail.local", []string{"/etc/fail2ban/jail.local:2", "unclosed"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := fail2banHost(t, true, tc.extra)
			s, err := readSnapshot(t, h)
			must(t, err)
			spec := RequirementSpec{Managers: []string{"fail2ban"}}
			set := s.Requirements(spec, "legacy")
			var errs []string
			for _, r := range set.Rulesets {
				if r.Err != nil {
					errs = append(errs, r.Path)
					if r.Path == tc.path {
						for _, w := range tc.err {
							if !strings.Contains(r.Err.Error(), w) {
								t.Errorf("error %q says no %q", r.Err, w)
							}
						}
					}
				}
			}
			if !slices.Equal(errs, []string{tc.path}) {
				t.Errorf("files in error %q, want %q", errs, tc.path)
			}
			var got []string
			for _, p := range set.Found {
				got = append(got, p.Name)
			}
			if !slices.Equal(testenv.Sorted(got), testenv.Sorted(tc.want)) {
				t.Errorf("required %q, want %q", got, tc.want)
			}
			i := slices.IndexFunc(s.SourceFiles(spec), func(f SourceFile) bool { return f.Path == tc.path })
			if i < 0 || s.SourceFiles(spec)[i].Err == nil || s.SourceFiles(spec)[i].Source != "fail2ban" {
				t.Errorf("source files: %+v", s.SourceFiles(spec))
			}
		})
	}
}
