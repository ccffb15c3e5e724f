package kmod

import (
	"testing"
)

func FuzzParsers(f *testing.F) {
	f.Add([]byte("nf_conntrack 176128 3 xt_state, Live 0x0\n"))
	f.Add([]byte("kernel/a.ko: kernel/b.ko\nalias x[ y\n"))
	f.Add([]byte("ext4.alias=fs-ext4\x00"))
	f.Add([]byte("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nMemTotal: 1 kB\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ParseProcModules(data)
		ParseModulesDep(data)
		ParseModulesBuiltin(data)
		aliases, _ := ParseModulesAlias(data)
		matchAliases(aliases, "ipt_recent")
		ParseBuiltinModinfo(data)
		ParseModulesLoad(data, "f")
		ParseEtcModules(data, "f")
		ParseProtocols(data)
		parseModInfoData(data)
		parsePSI(data)
		parseMemAvailable(data)
	})
}
