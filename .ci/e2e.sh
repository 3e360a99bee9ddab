#!/usr/bin/env bash
# End to end with independent clients: the worker on its embedded broker,
# complaints produced and results read back with kcat (librdkafka), the
# worker stopped with SIGTERM. Installs kcat when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v kcat >/dev/null; then
  echo "installing kcat"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kcat >/dev/null
fi

tmp=$(mktemp -d)
worker_pid=""
cleanup() {
  if [ -n "$worker_pid" ] && kill -0 "$worker_pid" 2>/dev/null; then kill -9 "$worker_pid" || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
broker="127.0.0.1:$(free_port)"
metrics="127.0.0.1:$(free_port)"

go build -o "$tmp/worker" ./worker
"$tmp/worker" run --embedded-broker "$broker" --metrics-addr "$metrics" --group e2e >"$tmp/worker.log" 2>&1 &
worker_pid=$!

for _ in $(seq 1 100); do
  if curl -fsS "http://$metrics/readyz" >/dev/null 2>&1; then break; fi
  sleep 0.1
done
curl -fsS "http://$metrics/readyz" >/dev/null || { echo "worker never became ready"; cat "$tmp/worker.log"; exit 1; }

n=300
head -n "$n" testdata/complaints.jsonl >"$tmp/good.jsonl"
bad=$(grep -c . testdata/malformed.jsonl)
kcat -P -b "$broker" -t moderation.complaints -l "$tmp/good.jsonl"
kcat -P -b "$broker" -t moderation.complaints -l testdata/malformed.jsonl
echo "produced $n complaints and $bad malformed messages with kcat"

# Read back until every complaint has a decision on the audit topic.
for _ in $(seq 1 100); do
  kcat -C -b "$broker" -t moderation.decisions -o beginning -e -q -f '%k\n' 2>/dev/null | sort -u >"$tmp/decided.txt" || true
  [ "$(wc -l <"$tmp/decided.txt")" -ge "$n" ] && break
  sleep 0.2
done
python3 - "$tmp/good.jsonl" "$tmp/decided.txt" <<'PY'
import json, sys
want = {json.loads(l)["complaint_id"] for l in open(sys.argv[1])}
got = {l.strip() for l in open(sys.argv[2]) if l.strip()}
missing = want - got
if missing:
    sys.exit(f"no decision for {len(missing)} complaints, e.g. {sorted(missing)[:3]}")
print(f"audit topic: a decision for each of the {len(want)} complaints")
PY

# Every decision on a review topic is in the topic of its queue.
for q in priority identity evidence triage standard; do
  kcat -C -b "$broker" -t "moderation.review.$q" -o beginning -e -q -f "$q\t%k\t%s\n" 2>/dev/null || true
done >"$tmp/review.tsv"
python3 - "$tmp/review.tsv" "$n" <<'PY'
import json, sys
ids = set()
for line in open(sys.argv[1]):
    topic_queue, key, value = line.rstrip("\n").split("\t", 2)
    d = json.loads(value)
    if d["queue"] != topic_queue:
        sys.exit(f"{key}: queue {d['queue']} on the {topic_queue} topic")
    if key != d["complaint_id"]:
        sys.exit(f"decision keyed {key} for {d['complaint_id']}")
    ids.add(key)
if len(ids) != int(sys.argv[2]):
    sys.exit(f"{len(ids)} complaints on review topics, want {sys.argv[2]}")
print(f"review topics: {len(ids)} decisions, each in its queue's topic")
PY

# Dead letters keep the original bytes and say why.
kcat -C -b "$broker" -t moderation.deadletter -o beginning -e -q -f '%h\t%s\n' >"$tmp/dead.tsv" 2>/dev/null || true
got_bad=$(grep -c 'dlq.reason=' "$tmp/dead.tsv" || true)
if [ "$got_bad" -ne "$bad" ]; then echo "dead letters: $got_bad, want $bad"; cat "$tmp/dead.tsv"; exit 1; fi
grep -q 'dlq.source.topic=moderation.complaints' "$tmp/dead.tsv" || { echo "no source topic header"; exit 1; }
grep -qF 'not json at all' "$tmp/dead.tsv" || { echo "original bytes not kept"; exit 1; }
echo "dead-letter topic: $got_bad messages with reason and source headers"

curl -fsS "http://$metrics/metrics" >"$tmp/metrics.txt"
grep -q '^complaintd_decisions_total' "$tmp/metrics.txt" || { echo "no decisions metric"; exit 1; }

# worker topics against the running broker, as a CI or an operator runs it:
# the embedded broker's topics have the broker's default retention, so plan
# exits 3; apply fixes it; plan then exits 0.
topics() { "$tmp/worker" topics "$1" --brokers "$broker" --topic-replication 1 >"$tmp/topics-$1.txt" 2>&1; }
code=0; topics plan || code=$?
[ "$code" -eq 3 ] || { echo "topics plan before apply: exit $code, want 3"; cat "$tmp/topics-plan.txt"; exit 1; }
grep -q '^~ moderation.decisions: .*retention.ms 604800000 (7d) -> 7776000000 (90d): shorter than the SLA restore window ([0-9]*d)' "$tmp/topics-plan.txt" ||
  { echo "plan does not name the audit topic's retention"; cat "$tmp/topics-plan.txt"; exit 1; }
topics apply || { echo "topics apply: exit $?"; cat "$tmp/topics-apply.txt"; exit 1; }
code=0; topics plan || code=$?
[ "$code" -eq 0 ] || { echo "topics plan after apply: exit $code, want 0"; cat "$tmp/topics-plan.txt"; exit 1; }
echo "topics: plan exits 3, apply, plan exits 0"

kill -TERM "$worker_pid"
status=0
wait "$worker_pid" || status=$?
worker_pid=""
if [ "$status" -ne 0 ]; then echo "worker exited $status on SIGTERM"; cat "$tmp/worker.log"; exit 1; fi
grep -q '"message":"stopped"' "$tmp/worker.log" || { echo "no clean stop in the log"; cat "$tmp/worker.log"; exit 1; }
if grep -Eq 'evidence://|"description"|U-[0-9]{6}' "$tmp/worker.log"; then
  echo "personal data in the worker log"; exit 1
fi
echo "worker stopped cleanly on SIGTERM"
echo "e2e: 6 passed, 0 failed"
