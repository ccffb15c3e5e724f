package e2e

import "flag"

// flag_update registers -update, which rewrites golden files.
func flag_update() *bool {
	return flag.Bool("update", false, "rewrite the golden metrics.prom files")
}
