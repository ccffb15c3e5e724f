# ratios.awk: the ratios docs/benchmarks.md records, from the output of
# `make bench` (go test -bench lines): the in-process warm scrape over its
# floor per number of required modules (medians of the runs), and the mean
# of every ratio a benchmark reports itself (HTTP exporter / floor, failure
# states / healthy scrape).
/^Benchmark/ {
	name = $1
	sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i += 2) {
		unit = $(i + 1)
		if (unit == "ns/op")
			ns[name] = ns[name] " " $i
		if (unit ~ /ratio|\/healthy|floor\/exporter/) {
			key = name ": " unit
			if (!(key in count))
				keys[++nkeys] = key
			sum[key] += $i
			count[key]++
		}
	}
}

function median(list,    a, n, i, j, t) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++)
		for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

END {
	for (n in ns) {
		if (n !~ /^BenchmarkScrapeWarm\/[^\/+]*-amd64\/required=/ || n ~ /cloud/)
			continue
		split(n, p, "/")
		floor = "BenchmarkFloor/amd64/" p[3]
		if (floor in ns)
			warm[p[3]] = sprintf("warm scrape / floor, %s: %.2f (%d / %d ns, medians)", p[3], median(ns[n]) / median(ns[floor]), median(ns[n]), median(ns[floor]))
	}
	for (k in warm)
		print warm[k]
	for (i = 1; i <= nkeys; i++)
		printf "%s %.2f (mean of %d runs)\n", keys[i], sum[keys[i]] / count[keys[i]], count[keys[i]]
}
