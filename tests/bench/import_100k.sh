#!/usr/bin/env bash
# Benchmark: import 100,000 employees (CSV, semicolons, umlauts, 120 departments in 4 levels)
# with the release binary, on SQLite and on PostgreSQL, then the same file again (no changes).
# Usage: tests/bench/import_100k.sh [path/to/kundenpuls]   (default: target/release/kundenpuls)
# PostgreSQL: KUNDENPULS_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres (default shown).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "${1:-target/release/kundenpuls}")
pg_admin=${KUNDENPULS_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 - "$work/employees.csv" <<'PY'
import sys, random
random.seed(7)
first = ["Jürgen", "Anna", "Özlem", "Lukas", "Sophie", "Jörg", "Maria", "Ben", "Zoë", "Björn"]
last = ["Groß", "Müller", "Weiß", "Schäfer", "Meyer", "Çelik", "Nowak", "Smith", "Keßler", "Øster"]
depts = []
for a in range(3):
    for b in range(4):
        for c in range(3):
            for d in range(3):
                depts.append(f"Bereich {a} / Abteilung {b} / Team {c} / Gruppe {d}")
depts = depts[:120]
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("email;name;department;locale\n")
    for i in range(100_000):
        name = f"{random.choice(first)} {random.choice(last)}"
        out.write(f"person{i}@example.de;{name};{random.choice(depts)};{'en' if i % 4 == 0 else 'de'}\n")
PY

run() {
  local label=$1 url=$2
  local start ms
  start=$(date +%s%N)
  KUNDENPULS_LOG=warn ROCKET_DATABASE_URL="$url" "$bin" import employees "$work/employees.csv" >/dev/null
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '%-40s %3d.%02d s\n' "$label" $((ms / 1000)) $(((ms % 1000) / 10))
}

cd "$work"
echo "rows: $(($(wc -l < employees.csv) - 1)), file: $(du -h employees.csv | cut -f1)"
KUNDENPULS_LOG=warn ROCKET_DATABASE_URL="sqlite://$work/bench.db?mode=rwc" "$bin" migrate >/dev/null
run "SQLite: 100,000 new" "sqlite://$work/bench.db?mode=rwc"
run "SQLite: same file again (unchanged)" "sqlite://$work/bench.db?mode=rwc"

db="kp_bench_$$"
psql "$pg_admin" -qc "CREATE DATABASE $db"
pg_url="${pg_admin%/*}/$db"
KUNDENPULS_LOG=warn ROCKET_DATABASE_URL="$pg_url" "$bin" migrate >/dev/null
run "PostgreSQL: 100,000 new" "$pg_url"
run "PostgreSQL: same file again (unchanged)" "$pg_url"
psql "$pg_admin" -qc "DROP DATABASE $db WITH (FORCE)"
