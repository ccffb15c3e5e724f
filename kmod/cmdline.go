package kmod

import (
	"strings"
)

// kcmdlineSize is kmod's KCMD_LINE_SIZE: it reads at most this many bytes
// minus one of /proc/cmdline.
const kcmdlineSize = 4096

// KmodCmdline returns what kmod takes from the kernel command line
// (kmod_config_parse_kcmdline): the modules "modprobe.blacklist=" names, and
// "module.param=value" words as options directives. It follows kmod's
// quote-aware state machine, where a second '.' in a parameter name or a
// space inside quotes outside a value drops the word. Blacklist entries are
// not normalized: kmod compares them with module names as written, so
// "modprobe.blacklist=nf-conntrack" blocks nothing.
func KmodCmdline(cmdline string) (blacklist []string, options []Directive) {
	if len(cmdline) > kcmdlineSize-1 {
		cmdline = cmdline[:kcmdlineSize-1]
	}
	const (
		stIgnore = iota
		stModname
		stParam
		stValue
	)
	state := stModname
	quoted, leadingQuote := false, false
	modStart, paramStart, valueStart := 0, -1, -1
	complete := func(end int) {
		if paramStart < 0 || valueStart < 0 {
			return
		}
		mod := cmdline[modStart : paramStart-1]
		param := cmdline[paramStart:end]
		value := cmdline[valueStart:end]
		if leadingQuote {
			// kmod moves a quote that opened the word to the value, where
			// it stays: such entries can never equal a module name.
			value = `"` + value
			param = param[:valueStart-paramStart] + value
		}
		if mod == "modprobe" && strings.HasPrefix(param, "blacklist=") {
			blacklist = append(blacklist, strings.Split(value, ",")...)
			return
		}
		options = append(options, Directive{Command: "options", Name: Normalize(mod), Value: param, Path: "/proc/cmdline", Line: 1})
	}
	for p := 0; p <= len(cmdline); p++ {
		var c byte
		if p < len(cmdline) {
			c = cmdline[p]
		}
		switch {
		case c == '"':
			quoted = !quoted
			if quoted && state == stModname && p == modStart {
				modStart++
				leadingQuote = true
			} else if state != stValue {
				state = stIgnore
			}
		case c == 0 || isSpace(c):
			switch {
			case quoted && state == stValue:
			case quoted:
				state = stIgnore
			case state == stValue || state == stParam:
				complete(p)
				state = stModname
				modStart, paramStart, valueStart, leadingQuote = p+1, -1, -1, false
			default:
				state = stModname
				modStart, paramStart, valueStart, leadingQuote = p+1, -1, -1, false
			}
			if c == 0 {
				return blacklist, options
			}
		case c == '.':
			if state == stModname {
				paramStart = p + 1
				state = stParam
			} else if state == stParam {
				state = stIgnore
			}
		case c == '=':
			if state == stParam {
				valueStart = p + 1
				state = stValue
			} else if state == stModname {
				state = stIgnore
			}
		}
	}
	return blacklist, options
}

// KernelParam is one "name=value" word of the kernel command line.
type KernelParam struct {
	Name     string
	Value    string
	HasValue bool
}

// KernelParams splits the command line as the kernel's parse_args does
// (next_arg in lib/cmdline.c): words are separated by whitespace outside
// double quotes, a value's surrounding quotes are removed, and parsing stops
// at "--", after which words belong to init.
func KernelParams(cmdline string) []KernelParam {
	var out []KernelParam
	s := strings.TrimLeft(cmdline, " \t\n\v\f\r")
	for s != "" {
		var word string
		word, s = nextKernelArg(s)
		name, value, has := strings.Cut(word, "=")
		if !has && name == "--" {
			break
		}
		if has && strings.HasPrefix(value, `"`) {
			value = strings.TrimPrefix(value, `"`)
			value = strings.TrimSuffix(value, `"`)
		}
		out = append(out, KernelParam{Name: name, Value: value, HasValue: has})
	}
	return out
}

func nextKernelArg(s string) (word, rest string) {
	quoted := false
	if strings.HasPrefix(s, `"`) {
		s = s[1:]
		quoted = true
	}
	inQuote := quoted
	i := 0
	for ; i < len(s); i++ {
		if isSpace(s[i]) && !inQuote {
			break
		}
		if s[i] == '"' {
			inQuote = !inQuote
		}
	}
	word = s[:i]
	if quoted && strings.HasSuffix(word, `"`) {
		word = word[:len(word)-1]
	}
	return word, strings.TrimLeft(s[i:], " \t\n\v\f\r")
}

// paramEq compares kernel parameter names, where '-' and '_' are the same
// (parameq in kernel/params.c).
func paramEq(a, b string) bool {
	return len(a) == len(b) && Normalize(a) == Normalize(b)
}

// KernelModuleBlacklist returns the modules the kernel itself refuses to load
// because of "module_blacklist=" (kernel/module/main.c). The kernel compares
// each comma-separated entry with the module's name byte for byte; the last
// occurrence of the parameter wins.
func KernelModuleBlacklist(params []KernelParam) []string {
	var list []string
	for _, p := range params {
		if paramEq(p.Name, "module_blacklist") && p.HasValue {
			list = nil
			for _, m := range strings.Split(p.Value, ",") {
				if m != "" {
					list = append(list, m)
				}
			}
		}
	}
	return list
}

// CmdlineModulesLoad returns the modules systemd-modules-load loads because
// of "modules_load=" and "rd.modules_load=" (the latter in the initrd, where
// they stay loaded).
func CmdlineModulesLoad(params []KernelParam) []string {
	var out []string
	for _, p := range params {
		if (paramEq(p.Name, "modules_load") || paramEq(p.Name, "rd.modules_load")) && p.HasValue {
			for _, m := range strings.Split(p.Value, ",") {
				if m = strings.TrimSpace(m); m != "" {
					out = append(out, m)
				}
			}
		}
	}
	return out
}
