package kmod

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kmod-exporter/kmod_exporter/internal/testenv"
)

// modprobeCorpus covers kmod's configuration rules, each case a host root
// (files by host path) and a kernel command line.
var modprobeCorpus = map[string]struct {
	files   map[string]string
	cmdline string
}{
	"priority": {map[string]string{
		"/etc/modprobe.d/fw.conf":                "blacklist from_etc\n",
		"/run/modprobe.d/fw.conf":                "blacklist from_run\n",
		"/run/modprobe.d/run-only.conf":          "blacklist run_only\n",
		"/usr/local/lib/modprobe.d/fw.conf":      "blacklist from_local\n",
		"/usr/local/lib/modprobe.d/a-local.conf": "install local-x /bin/false\n",
		"/lib/modprobe.d/fw.conf":                "blacklist from_lib\n",
		"/lib/modprobe.d/zz.conf":                "alias zz-alias real-mod\n",
		"/usr/lib/modprobe.d/fw.conf":            "blacklist from_usrlib\n",
		"/usr/lib/modprobe.d/usr.conf":           "options usr-mod x=1\n",
		"/usr/lib/modprobe.d/run-only.conf":      "blacklist hidden_by_run\n",
	}, "quiet"},
	"suffixes": {map[string]string{
		"/etc/modprobe.d/a.conf":           "blacklist a_conf\n",
		"/etc/modprobe.d/b.alias":          "alias b-alias b_mod\n",
		"/etc/modprobe.d/c.txt":            "blacklist c_txt\n",
		"/etc/modprobe.d/d.conf.dpkg-old":  "blacklist d_old\n",
		"/etc/modprobe.d/.hidden.conf":     "blacklist hidden\n",
		"/etc/modprobe.d/README":           "blacklist readme\n",
		"/etc/modprobe.d/dir.conf/in.conf": "blacklist in_dir\n",
		"/etc/modprobe.d/conf":             "blacklist bare\n",
		"/etc/modprobe.d/.conf":            "blacklist dotconf\n",
		"/etc/modprobe.d/Z-upper.CONF":     "blacklist upper\n",
	}, ""},
	"syntax": {map[string]string{
		"/etc/modprobe.d/syntax.conf": "blacklist a-b\n  blacklist lead\n # blacklist notcomment\n#blacklist comment\n" +
			"blacklist\tt1 trailing words\nblack\\\nlist joined\nblacklist x\\yz\ninstall  i-1   /bin/true  arg\ninstall\n" +
			"softdep s1 pre: p1  post: q1\nalias al-x[a-b]-y mod-z\nblacklist nul\x00after\nBLACKLIST upper\n" +
			"options o1 a=1\tb=2\nremove r1 /bin/false\ninclude /etc/x\nblacklist cr\r\n\t\tblacklist tabs\t\n" +
			"options\topt-tab\t\tv=1\nalias a\nsoftdep e junk\nsoftdep f pre: y pre: z post:\nblacklist last\\",
		"/etc/modprobe.d/empty.conf":  "",
		"/etc/modprobe.d/nonl.conf":   "blacklist no_newline",
		"/etc/modprobe.d/crlf.conf":   "blacklist crlf\r\ninstall crlf-i /bin/true\r\n",
		"/etc/modprobe.d/binary.conf": "\xff\xfe\x00blacklist after_bin\n\x01blacklist ctl\n",
	}, ""},
	"cmdline": {map[string]string{
		"/etc/modprobe.d/x.conf": "blacklist from_file\noptions from-file a=1\n",
	}, `quiet modprobe.blacklist=nf-conntrack,xt_recent,,x foo.bar=1 "modprobe.blacklist=q" a.b.c=d x.y="a b" modprobe.blacklist="m,n" nf-conntrack.hashsize=4 -- modprobe.blacklist=after_dashes tab.v=1` + "\tmodprobe.blacklist=tabbed\nnl.v=2"},
	"softdeps": {map[string]string{
		"/etc/modprobe.d/sd.conf": "softdep sd_mod pre: a post: b\ninstall sd_mod /bin/true\ninstall plain /bin/true\nsoftdep other-thing pre: x\n",
	}, ""},
}

// writeRoot lays out files under a new root.
func writeRoot(t *testing.T, files map[string]string) string {
	root := t.TempDir()
	for p, c := range files {
		writeFile(t, filepath.Join(root, p), c)
	}
	return root
}

// renderConfig prints the model's configuration as `modprobe -c` does,
// before its index dump: blacklists, install, remove, alias, options,
// softdep, each in the order kmod read them.
func renderConfig(s *Snapshot) string {
	var b strings.Builder
	for _, d := range s.Modprobe {
		if d.Command == "blacklist" {
			b.WriteString("blacklist " + d.Name + "\n")
		}
	}
	for _, m := range s.kmodBlacklist {
		b.WriteString("blacklist " + m + "\n")
	}
	for _, cmd := range []string{"install", "remove", "alias", "options"} {
		for _, d := range s.Modprobe {
			if d.Command == cmd {
				b.WriteString(cmd + " " + d.Name + " " + d.Value + "\n")
			}
		}
	}
	for _, d := range s.Modprobe {
		if d.Command == "softdep" {
			pre, post := SoftDeps(d.Value)
			line := "softdep " + d.Name + " "
			if len(pre) > 0 {
				line += "pre: " + strings.Join(pre, " ")
			}
			if len(post) > 0 {
				line += "post: " + strings.Join(post, " ")
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// TestOracleModprobeConfig compares the model's reading of each corpus case
// with `modprobe -c`, run with the case's command line bind-mounted over
// /proc/cmdline in a private mount namespace (kmod always reads the real
// /proc/cmdline).
func TestOracleModprobeConfig(t *testing.T) {
	modprobe, unshare := testenv.Tool(t, "modprobe"), testenv.Tool(t, "unshare")
	testenv.Root(t)
	for name, tc := range modprobeCorpus {
		t.Run(name, func(t *testing.T) {
			root := writeRoot(t, tc.files)
			proc := t.TempDir()
			writeFile(t, filepath.Join(proc, "sys/kernel/osrelease"), "none\n")
			writeFile(t, filepath.Join(proc, "cmdline"), tc.cmdline+"\n")
			h := NewHost(Paths{Proc: proc, Sys: t.TempDir(), Root: root})
			s, err := readSnapshot(t, h)
			if err != nil {
				t.Fatal(err)
			}
			got := renderConfig(s)

			script := `mount --bind "$1" /proc/cmdline && shift && exec "$@"`
			args := []string{"-m", "sh", "-c", script, "sh", filepath.Join(proc, "cmdline"), modprobe, "-c", "-d", root, "-S", "none"}
			args = append(args, configArgs(t, root)...)
			out, err := exec.Command(unshare, args...).Output()
			if err != nil {
				t.Fatalf("modprobe -c: %v", err)
			}
			want, _, _ := strings.Cut(string(out), "\n# End of configuration files.")
			want = strings.TrimSuffix(want, "\n") + "\n"
			if strings.TrimSpace(want) == "" {
				want = ""
			}
			if got != want {
				t.Errorf("model and kmod differ:\n%s", lineDiff(want, got))
			}
		})
	}
}

// lineDiff shows lines only kmod printed (-) and only the model printed (+).
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < max(len(w), len(g)); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("- " + strings.ReplaceAll(wl, "\x00", `\0`) + "\n+ " + gl + "\n")
		}
	}
	return b.String()
}

// TestOracleInstallOverride checks the two cases that decide
// kmod_module_disabled against `modprobe -D` on the real amd64 tree: an
// install override is run instead of loading, unless the module has soft
// dependencies (libcrc32c has "pre: crc32c" in modules.softdep).
func TestOracleInstallOverride(t *testing.T) {
	modprobe := testenv.Tool(t, "modprobe")
	trees, _ := testenv.KernelTrees(t)
	for release, tree := range trees {
		if strings.Contains(release, "cloud") {
			continue
		}
		// The configuration is added to the tree for this test only: the
		// tree is too large to copy, and a link to it from another root
		// would, rightly, not be followed out of that root.
		root := tree
		conf := filepath.Join(root, "etc/modprobe.d/kmod-exporter-test.conf")
		if _, err := os.Stat(filepath.Join(root, "etc")); err == nil {
			t.Fatalf("%s/etc exists: the tree is not as make testdata unpacks it", root)
		}
		writeFile(t, conf, "install x_tables /bin/true\ninstall libcrc32c /bin/true\ninstall nf-conntrack /bin/false\n")
		t.Cleanup(func() { os.RemoveAll(filepath.Join(root, "etc")) })
		s, err := readSnapshot(t, oracleHost(t, root, release))
		must(t, err)
		cfg := configArgs(t, root)
		checked := 0
		for _, m := range []string{"x_tables", "libcrc32c", "nf_conntrack", "xt_recent"} {
			args := append([]string{"-D", "-d", root, "-S", release}, cfg...)
			out, err := exec.Command(modprobe, append(args, m)...).CombinedOutput()
			if err != nil {
				t.Fatalf("%s: %v %s", m, err, out)
			}
			// The module's own step is the last: "install CMD" when its
			// install command runs instead of insmod.
			lastLine := strings.TrimSpace(string(out))
			if i := strings.LastIndexByte(lastLine, '\n'); i >= 0 {
				lastLine = lastLine[i+1:]
			}
			kmodRunsInstall := strings.HasPrefix(lastLine, "install ")
			if st := s.Module(m); st.Disabled != kmodRunsInstall {
				t.Errorf("%s: exporter says disabled=%v, kmod's last step is %q", m, st.Disabled, lastLine)
			}
			checked++
		}
		if checked != 4 {
			t.Fatalf("checked %d modules", checked)
		}
		return
	}
	t.Fatal("no amd64 tree")
}

// TestKernelWinsOverKmod documents where the two disagree: kmod ignores
// "module_blacklist=" (it has no "module." prefix), but the kernel refuses
// to load the module whatever asks for it, so the exporter reports it
// disabled. modprobe -c shows no blacklist line for it.
func TestKernelWinsOverKmod(t *testing.T) {
	root := writeRoot(t, map[string]string{})
	proc := t.TempDir()
	writeFile(t, filepath.Join(proc, "sys/kernel/osrelease"), "none\n")
	writeFile(t, filepath.Join(proc, "cmdline"), "quiet module_blacklist=nf_conntrack,xt-recent\n")
	s, err := readSnapshot(t, NewHost(Paths{Proc: proc, Sys: t.TempDir(), Root: root}))
	must(t, err)
	if got := renderConfig(s); got != "" {
		t.Errorf("kmod's view must not include module_blacklist=: %q", got)
	}
	if st := s.Module("nf_conntrack"); !st.Disabled || st.Blacklisted {
		t.Errorf("nf_conntrack: %+v", st)
	}
	// The kernel compares names byte for byte: the dashed entry blocks nothing.
	if st := s.Module("xt_recent"); st.Disabled {
		t.Errorf("xt_recent: %+v", st)
	}
}
