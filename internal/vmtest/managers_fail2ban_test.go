package vmtest

// The fail2ban scenarios (testdata/managers/20-fail2ban.sh): every module
// the kernel loaded for fail2ban's start and first bans is required, and
// every module required was loaded; no difference needs a reason yet.
func init() {
	for _, name := range []string{"fail2ban", "fail2ban-nftables", "fail2ban-legacy", "fail2ban-ipset-legacy"} {
		managerReasons[name] = map[string]string{}
	}
}
