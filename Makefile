# Shortcuts; each target is one command you can also run by hand.
.PHONY: demo test ci rules-test lint bench fuzz

demo:            ## the worker end to end on the embedded broker
	go run ./worker demo

test:            ## the test suite (what .ci/run runs first)
	go test -race ./...

ci:              ## everything CI runs, installing kcat, prometheus, redis-server and docker-compose if missing
	bash .ci/run

rules-test:      ## the shipped rules' examples and fixture cases, with coverage
	go run ./worker test --coverage --min-coverage

lint:            ## lint the shipped rules
	go run ./worker lint

bench:           ## worker beside a plain pipe, decision latency, cores, engine (README, Performance); the rules' benchmarks
	go run ./worker bench
	go test -run '^$$' -bench . -benchtime 3x ./rules/...

fuzz:            ## a minute on each fuzz target (every func Fuzz...; CI runs 10 s each)
	.ci/fuzz.sh $${FUZZTIME:-60s}
