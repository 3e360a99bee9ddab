#!/usr/bin/env bash
# End to end with a real Prometheus: the demo (worker, embedded broker,
# sample stream, simulated reviewers) is scraped by Prometheus on loopback;
# then every query of every dashboard panel runs through Prometheus's HTTP
# API and must succeed with at least one series. Also: promtool check
# metrics on the scrape, promtool check/test rules on the alerts.
# Installs Debian's prometheus package when promtool is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v promtool >/dev/null || ! command -v prometheus >/dev/null; then
  echo "installing prometheus"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq prometheus >/dev/null
fi

tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
pass() { passed=$((passed + 1)); echo "ok: $*"; }

promtool check rules dashboards/alerts.yml >/dev/null
promtool test rules dashboards/alerts_test.yml >/dev/null
pass "promtool check rules and test rules on dashboards/alerts.yml"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
metrics="127.0.0.1:$(free_port)"
promaddr="127.0.0.1:$(free_port)"

cat >"$tmp/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - $PWD/dashboards/alerts.yml
scrape_configs:
  - job_name: complaintd
    static_configs:
      - targets: ["$metrics"]
YAML
promtool check config "$tmp/prometheus.yml" >/dev/null
prometheus --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
  --web.listen-address="$promaddr" >"$tmp/prometheus.log" 2>&1 &
pids+=($!)

go build -o "$tmp/worker" ./worker
"$tmp/worker" demo --serve --delay 6s --metrics-addr "$metrics" >"$tmp/demo.log" 2>&1 &
pids+=($!)

for _ in $(seq 1 300); do
  grep -q '^open now:' "$tmp/demo.log" 2>/dev/null && break
  sleep 0.2
done
grep -q '^open now:' "$tmp/demo.log" || { echo "the demo did not finish"; cat "$tmp/demo.log"; exit 1; }
cat "$tmp/demo.log" | sed -n '/^played/,$p'
sleep 6 # a few more scrapes after the last events

curl -fsS "http://$metrics/metrics" >"$tmp/scrape.txt"
promtool check metrics <"$tmp/scrape.txt"
pass "promtool check metrics on the worker's scrape"

up=$(curl -fsS "http://$promaddr/api/v1/query" --data-urlencode 'query=up{job="complaintd"}' |
  python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if r else "none")')
[ "$up" = "1" ] || { echo "Prometheus does not scrape the worker (up=$up)"; cat "$tmp/prometheus.log"; exit 1; }
pass "Prometheus scrapes the worker"

python3 - "$promaddr" dashboards/*.json <<'PY'
import json, sys, urllib.parse, urllib.request
addr, files = sys.argv[1], sys.argv[2:]
failures, n = [], 0
for f in files:
    d = json.load(open(f))
    for p in d["panels"]:
        for t in p["targets"]:
            expr = t["expr"].replace("$__rate_interval", "30s").replace("$__range", "5m")
            n += 1
            url = f"http://{addr}/api/v1/query?" + urllib.parse.urlencode({"query": expr})
            try:
                r = json.load(urllib.request.urlopen(url, timeout=10))
            except Exception as e:
                failures.append(f"{f}: {p['title']}: {expr}: {e}")
                continue
            if r.get("status") != "success":
                failures.append(f"{f}: {p['title']}: {expr}: {r.get('error')}")
            elif not r["data"]["result"]:
                failures.append(f"{f}: {p['title']}: {expr}: no series")
for x in failures:
    print("FAIL", x)
if failures:
    sys.exit(f"{len(failures)} of {n} dashboard queries failed")
print(f"all {n} dashboard queries returned series")
PY
pass "every dashboard panel query returns series"

rules=$(curl -fsS "http://$promaddr/api/v1/rules" | python3 -c 'import json,sys; g=json.load(sys.stdin)["data"]["groups"]; print(sum(len(x["rules"]) for x in g))')
[ "$rules" -ge 8 ] || { echo "Prometheus loaded $rules alert rules"; exit 1; }
pass "Prometheus loaded the $rules alert rules"

echo "e2e-prometheus: $passed passed, 0 failed"
