# Named objects and the rules that name them (ct helper, timeout and
# expectation, counter, quota, limit, synproxy), object names from
# defines, and dup in ip, ip6 and netdev tables (issue #15).
judge nft-objects nft /vmtest/rulesets.d/objects/nftables.conf /etc/nftables.conf nft -f -
