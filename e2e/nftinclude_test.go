package e2e

// The nft-only host's ruleset split over included files fires what
// nft-only fires.
func init() {
	expectedAlerts["nft-include"] = []string{"KmodModuleNotPersistent module=nf_nat"}
}
