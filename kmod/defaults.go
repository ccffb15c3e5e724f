package kmod

// DefaultRulesets are where Debian/Ubuntu (iptables-persistent), RHEL
// (iptables-services) and nftables keep the rules loaded at boot.
var DefaultRulesets = []string{"/etc/iptables/rules.v4", "/etc/iptables/rules.v6", "/etc/sysconfig/iptables", "/etc/sysconfig/ip6tables", "/etc/nftables.conf"}
