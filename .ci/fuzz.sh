#!/usr/bin/env bash
# Runs every fuzz target of the repository (every "func Fuzz..." in a
# _test.go file) for the given time each: .ci/fuzz.sh 10s (CI), or
# make fuzz (a minute each). Seeds come from the fixtures in testdata/ and
# from each package's testdata/fuzz/<target>/ (inputs that once failed).
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime="${1:-10s}"
targets=$(grep -rn --include='*_test.go' -E '^func Fuzz[A-Za-z0-9_]*\(' worker rules schema |
  sed -E 's|^(.*)/[^/]+_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*|\1 \2|' | sort)
if [ -z "$targets" ]; then
  echo "no fuzz targets found"; exit 1
fi
# Go 1.26's fuzz coordinator can fail a target with a bare "context
# deadline exceeded" when -fuzztime ends while a worker is busy on a loaded
# machine (golang/go#75804, fixed in Go 1.27): no input failed and none is
# written. Such a run is retried once; a run that wrote a failing input, or
# failed any other way, fails at once, and so does a second bare deadline.
deadline_only() {
  grep -q 'context deadline exceeded' <<< "$1" && ! grep -qE 'Failing input written|panic:|_test\.go:[0-9]+:' <<< "$1"
}
n=0
while read -r dir name; do
  start=$(date +%s)
  for try in 1 2; do
    # -fuzzminimizetime 0: a failure is reported as found, not minimised.
    if out=$(go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" -fuzzminimizetime 0 2>&1); then
      break
    fi
    if [ "$try" = 1 ] && deadline_only "$out"; then
      echo "retry $dir $name: the fuzz coordinator's deadline race (golang/go#75804), no failing input"
      continue
    fi
    echo "$out"; echo "FAIL $dir $name"; exit 1
  done
  echo "ok   $dir $name ($(( $(date +%s) - start ))s, $(echo "$out" | grep -oE 'execs: [0-9]+' | tail -1))"
  n=$((n + 1))
done <<< "$targets"
echo "$n fuzz targets, $fuzztime each"
