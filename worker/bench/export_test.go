package bench

// Exported for the tests of package bench_test.
var (
	ParseStat   = parseStat
	Percentiles = percentiles
	Offer       = offer
)
