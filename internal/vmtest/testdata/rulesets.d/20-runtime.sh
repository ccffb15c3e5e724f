# What the kernel requests by alias at run time for a rule's options
# (issue #15): CT --helper and -m string --algo under both iptables
# backends; a ct helper object, ct count, notrack, fwd and a flowtable
# in nftables.
judge runtime-legacy legacy /vmtest/rulesets.d/runtime/rules.v4 /etc/iptables/rules.v4 iptables-legacy-restore
judge runtime-nft nft /vmtest/rulesets.d/runtime/rules.v4 /etc/iptables/rules.v4 iptables-nft-restore
judge nft-runtime nft /vmtest/rulesets.d/runtime/nftables.conf /etc/nftables.conf nft -f -
