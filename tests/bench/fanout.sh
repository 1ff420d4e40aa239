#!/usr/bin/env bash
# Benchmark: fan-out of 10,000 invitations through the running service to a local SMTP sink.
# Starts postfix's smtp-sink (apt-get install postfix; only the binary is used) and the release
# binary on SQLite (or PostgreSQL with KUNDENPULS_BENCH_PG set), imports 10,000 employees, opens a
# round and times until the outbox reports every invitation sent; prints the service's peak
# memory and, for comparison, smtp-source's own rate against the same sink.
# Paced: KUNDENPULS_BENCH_RATE=120 (mail_rate_per_minute) also reads the ETA the API gives right
# after the round was created and compares it with when the last invitation actually left.
# Usage: tests/bench/fanout.sh [path/to/kundenpuls]   (default: target/release/kundenpuls)
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "${1:-target/release/kundenpuls}")
count=${KUNDENPULS_BENCH_MAILS:-10000}
pool=${KUNDENPULS_BENCH_POOL:-16}
work=$(mktemp -d)
sink_port=$((20000 + RANDOM % 10000))
web_port=$((30000 + RANDOM % 10000))
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

python3 - "$work/employees.csv" "$count" <<'PY'
import sys
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("email,name,department,locale\n")
    for i in range(int(sys.argv[2])):
        out.write(f"person{i}@example.de,Person {i},Bereich {i % 10} / Team {i % 40},{'en' if i % 3 == 0 else 'de'}\n")
PY

/usr/sbin/smtp-sink -u "$(id -un)" "127.0.0.1:$sink_port" 1000 >/dev/null 2>&1 &
pids+=($!)

if [ -n "${KUNDENPULS_BENCH_PG:-}" ]; then
  db="kp_fanout_$$"
  psql "$KUNDENPULS_BENCH_PG" -qc "CREATE DATABASE $db"
  url="${KUNDENPULS_BENCH_PG%/*}/$db"
  trap 'cd /; psql "$KUNDENPULS_BENCH_PG" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"; cleanup' EXIT
  count_sent() { psql "$url" -Atc "SELECT count(*) FROM mail_outbox WHERE state = 'sent'"; }
else
  url="sqlite://$work/bench.db?mode=rwc"
  count_sent() { sqlite3 "$work/bench.db" "SELECT count(*) FROM mail_outbox WHERE state = 'sent'"; }
fi
export ROCKET_DATABASE_URL="$url" ROCKET_SMTP_URL="smtp://127.0.0.1:$sink_port" ROCKET_PORT="$web_port"
export ROCKET_SMTP_POOL_SIZE="$pool" ROCKET_MAIL_DIR="$work/outbox" KUNDENPULS_LOG=warn
rate=${KUNDENPULS_BENCH_RATE:-}
[ -n "$rate" ] && export ROCKET_MAIL_RATE_PER_MINUTE="$rate"
cd "$work"
"$bin" import employees employees.csv >/dev/null
token=$("$bin" token create --role admin --name bench 2>/dev/null)
"$bin" serve &
server=$!
pids+=($server)
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$web_port/health" >/dev/null && break; sleep 0.1; done

opens=$(TZ=Europe/Berlin date -d '-1 minute' '+%Y-%m-%d %H:%M')
closes=$(TZ=Europe/Berlin date -d '+14 days' '+%Y-%m-%d %H:%M')
start=$(date +%s%N)
round_id=$("$bin" round create --title "Fan-out" --opens "$opens" --closes "$closes" 2>/dev/null | sed -n 's/^round \([0-9]*\):.*/\1/p')
if [ -n "$rate" ]; then
  eta=$(curl -fs -H "Authorization: Bearer $token" "http://127.0.0.1:$web_port/api/v1/rounds/$round_id" \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["pace"]["expected_finish"])')
  echo "ETA shown right after creating the round: $eta (rate $rate a minute)"
fi
while [ "$(count_sent)" -lt "$count" ]; do sleep 0.05; done
ms=$(( ($(date +%s%N) - start) / 1000000 ))
peak=$(awk '/VmHWM/ {print $2 " " $3}' "/proc/$server/status")
printf 'kundenpuls: %d invitations sent in %d.%03d s = %d mails/s (pool %d), peak RSS %s\n' \
  "$count" $((ms / 1000)) $((ms % 1000)) $((count * 1000 / (ms > 0 ? ms : 1))) "$pool" "$peak"
if [ -n "$rate" ]; then
  python3 - "$eta" "$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)" <<'PY'
import sys
from datetime import datetime
eta = datetime.fromisoformat(sys.argv[1].replace("Z", "+00:00"))
seen = datetime.fromisoformat(sys.argv[2][:26] + "+00:00")
print(f"last invitation seen sent at {seen.isoformat()}: {(seen - eta).total_seconds():+.1f} s from the ETA (polled every 50 ms)")
PY
fi

start=$(date +%s%N)
/usr/sbin/smtp-source -d -s 16 -m "$count" -l 3000 -f bench@example.de -t sink@example.de "127.0.0.1:$sink_port"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
printf 'smtp-source (16 sessions kept open, 3 KB) against the same sink: %d mails/s\n' $((count * 1000 / (ms > 0 ? ms : 1)))
