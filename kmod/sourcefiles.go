package kmod

import "strings"

// SourceFile is a file or directory a requirement source reads that exists
// on this host: what a user looks at to see which firewall managers and
// boot lists were found and read.
type SourceFile struct {
	Source string // the source's name (iptables-save, nftables, modules-load.d, cmdline)
	Path   string
	// Enabled is false for a file whose rules are not applied at boot (a
	// ruleset whose service is disabled): it is read, and requires nothing.
	Enabled bool
	// Err says why it could not be opened for reading, or for a source
	// that parses it as it is read, understood; nil if it could.
	Err error
}

// sourceEnabler is a source some of whose files may be present but not in
// use.
type sourceEnabler interface {
	enabled(s *Snapshot, hostPath string) bool
}

// sourceFileChecker is a source some of whose files can be opened yet not
// used (a manager's file that does not parse): fileErrs says which, and
// why, for one listing.
type sourceFileChecker interface {
	fileErrs(s *Snapshot, spec RequirementSpec) map[string]error
}

// SourceFiles lists the files and directories each requirement source
// reads for spec that exist on the host, in the order of the sources.
//
// The answer for the spec Requirements was last asked for is kept: read it
// only.
func (s *Snapshot) SourceFiles(spec RequirementSpec) []SourceFile {
	r := s.memo.reqs
	memoed := r != nil && r.spec.equal(spec)
	if memoed && r.filesSet {
		return r.files
	}
	files := s.sourceFiles(spec)
	if memoed {
		r.files, r.filesSet = files, true
	}
	return files
}

func (s *Snapshot) sourceFiles(spec RequirementSpec) []SourceFile {
	var out []SourceFile
	for _, src := range requirementSources {
		var bad map[string]error
		if c, ok := src.(sourceFileChecker); ok {
			bad = c.fileErrs(s, spec)
		}
		for _, p := range src.Files(s, spec) {
			err := s.readable(p)
			if err != nil && NotApplicable(err) {
				continue
			}
			if err == nil {
				err = bad[p]
			}
			f := SourceFile{Source: src.Name(), Path: p, Enabled: true, Err: err}
			if e, ok := src.(sourceEnabler); ok {
				f.Enabled = e.enabled(s, p)
			}
			out = append(out, f)
		}
	}
	return out
}

// readable says why a host path cannot be opened for reading: /proc paths
// in the host's procfs, the others under its root.
func (s *Snapshot) readable(hostPath string) error {
	if rel, ok := strings.CutPrefix(hostPath, "/proc/"); ok {
		err := s.procReadable(rel)
		s.prove(func() bool { return sameErr(s.procReadable(rel), err) })
		return err
	}
	return s.view.files.Readable(hostPath)
}

func (s *Snapshot) procReadable(rel string) error {
	f, err := s.host.proc.Open(rel)
	if err == nil {
		f.Close()
	}
	return err
}
