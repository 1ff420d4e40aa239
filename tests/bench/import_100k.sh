#!/usr/bin/env bash
# Benchmark: import 100,000 employees (umlauts, 120 departments in 4 levels) with the release
# binary, on SQLite and on PostgreSQL, then the same file again (no changes); the same people
# also as German Excel writes them (Windows-1252, German headers, a personnel number) and as
# XLSX (written by openpyxl, installed from PyPI into a throw-away venv). Each case is a new
# process (start-up and migration check included); the XLSX must give the same employees as
# the UTF-8 CSV.
# Usage: tests/bench/import_100k.sh [path/to/kundenpuls]   (default: target/release/kundenpuls)
# PostgreSQL: KUNDENPULS_BENCH_PG=postgres://postgres@127.0.0.1:5432/postgres (default shown).
#   ROWS=100000   fewer for a quick check of the script itself
#   KUNDENPULS_BENCH_RESULTS=<file>  also append one JSON line per case (tests/bench/run)
set -euo pipefail
cd "$(dirname "$0")/../.."
here=$(pwd)
bin=$(realpath "${1:-target/release/kundenpuls}")
pg_admin=${KUNDENPULS_BENCH_PG:-postgres://postgres@127.0.0.1:5432/postgres}
ROWS=${ROWS:-100000}
rows_text=$(python3 -c 'import sys; print(f"{int(sys.argv[1]):,}")' "$ROWS")
work=$(mktemp -d)
pg_db=""
cleanup() {
  if [ -n "$pg_db" ]; then psql "$pg_admin" -qc "DROP DATABASE IF EXISTS $pg_db WITH (FORCE)" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

python3 - "$work/employees.csv" "$ROWS" <<'PY'
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
people = []
for i in range(int(sys.argv[2])):
    people.append((f"person{i}@example.de", random.choice(first), random.choice(last),
                   random.choice(depts), 'en' if i % 4 == 0 else 'de'))
with open(sys.argv[1], "w", encoding="utf-8") as out:
    out.write("email;name;department;locale\n")
    for email, given, family, dept, locale in people:
        out.write(f"{email};{given} {family};{dept};{locale}\n")
# Excel's "CSV (Trennzeichen-getrennt)": Windows-1252, CRLF, German headers, extra columns.
with open(sys.argv[1].replace(".csv", "-excel.csv"), "w", encoding="cp1252", newline="") as out:
    out.write("Personalnummer;Nachname;Vorname;E-Mail;Abteilung;Kostenstelle;Sprache\r\n")
    for i, (email, given, family, dept, locale) in enumerate(people):
        lang = "Englisch" if locale == "en" else "Deutsch"
        out.write(f"{10000 + i};{family};{given};{email};{dept};{4700 + i % 7};{lang}\r\n")
PY
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "openpyxl==3.1.5"
"$work/venv/bin/python" - "$work/employees.csv" "$work/employees.xlsx" <<'PY'
import sys, datetime
from openpyxl import Workbook
book = Workbook(write_only=True)
sheet = book.create_sheet("Mitarbeiter")
sheet.append(["Personalnummer", "E-Mail", "Name", "Abteilung", "Eintritt", "Sprache"])
with open(sys.argv[1], encoding="utf-8") as rows:
    next(rows)
    for i, line in enumerate(rows):
        email, name, dept, locale = line.rstrip("\n").split(";")
        sheet.append([10000 + i, email, name, dept, datetime.date(2015 + i % 10, 1 + i % 12, 1), locale])
book.save(sys.argv[2])
PY

run() {
  local label=$1 url=$2 file=${3:-employees.csv}
  local start ms
  start=$(date +%s%N)
  KUNDENPULS_LOG=warn ROCKET_DATABASE_URL="$url" "$bin" import employees "$work/$file" >/dev/null
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  printf '%-40s %3d.%02d s\n' "$label" $((ms / 1000)) $(((ms % 1000) / 10))
  python3 "$here/tests/bench/json_line.py" part=import case="$label" \
    backend="$(case $url in sqlite:*) echo sqlite ;; *) echo postgres ;; esac)" file="$file" \
    rows="$ROWS" seconds="$(awk "BEGIN { print $ms / 1000 }")"
}

cd "$work"
echo "rows: $(($(wc -l < employees.csv) - 1)), files: $(du -h employees.csv employees-excel.csv employees.xlsx | cut -f1 | paste -sd' ')"
KUNDENPULS_LOG=warn ROCKET_DATABASE_URL="sqlite://$work/bench.db?mode=rwc" "$bin" migrate >/dev/null
run "SQLite: $rows_text new" "sqlite://$work/bench.db?mode=rwc"
run "SQLite: same file again (unchanged)" "sqlite://$work/bench.db?mode=rwc"
for file in employees-excel.csv employees.xlsx; do
  rm -f "$work/fresh.db"
  KUNDENPULS_LOG=warn ROCKET_DATABASE_URL="sqlite://$work/fresh.db?mode=rwc" "$bin" migrate >/dev/null
  run "SQLite: $rows_text new from $file" "sqlite://$work/fresh.db?mode=rwc" "$file"
  run "SQLite: $file again (unchanged)" "sqlite://$work/fresh.db?mode=rwc" "$file"
done
# The same people from every file: the UTF-8 CSV's database and the XLSX's hold the same rows.
for db in bench fresh; do
  sqlite3 "$work/$db.db" "SELECT e.email || ';' || e.name || ';' || d.path || ';' || e.locale FROM employees e JOIN departments d ON d.id = e.department_id ORDER BY e.email" | sha256sum
done | uniq | wc -l | grep -qx 1 || { echo "the XLSX import differs from the CSV import" >&2; exit 1; }
echo "same employees from the UTF-8 CSV and the XLSX: yes"
python3 "$here/tests/bench/json_line.py" part=import case=check xlsx_same_as_csv:=true

pg_db="kp_bench_$$"
psql "$pg_admin" -qc "CREATE DATABASE $pg_db"
pg_url="${pg_admin%/*}/$pg_db"
KUNDENPULS_LOG=warn ROCKET_DATABASE_URL="$pg_url" "$bin" migrate >/dev/null
run "PostgreSQL: $rows_text new" "$pg_url"
run "PostgreSQL: same file again (unchanged)" "$pg_url"
run "PostgreSQL: XLSX again (unchanged)" "$pg_url" employees.xlsx
psql "$pg_admin" -qc "DROP DATABASE $pg_db WITH (FORCE)"
pg_db=""
