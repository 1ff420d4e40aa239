#!/usr/bin/env bash
# Usage: tests/bench/build.sh
#
# How long a new machine waits for the service and for the suite: a clean `cargo build
# --release` and a clean `cargo test --workspace` (the README's test command: its build, then its
# run on SQLite), each in a new, empty target directory, with `--timings` for the compile units.
# The crates are fetched first and not counted: a registry's speed is not the build's.
# Targets (issue #19): release ≤ 6 min, test build and run ≤ 10 min, on 2 cores.
#
# With KUNDENPULS_BENCH_RESULTS set, every figure also goes there as a JSON line.
set -euo pipefail
cd "$(dirname "$0")/../.."
emit() { python3 tests/bench/json_line.py part=build "$@"; }
work=$(mktemp -d /tmp/kundenpuls-build.XXXXXX)
trap 'rm -rf "$work"' EXIT

# The compile units of one cargo --timings report: their summed time and the five longest.
units() {
  python3 - "$1" <<'EOF'
import glob, json, re, sys
report = sorted(glob.glob(sys.argv[1] + "/cargo-timings/cargo-timing-*.html"))[-1]
data = json.loads(re.search(r"const UNIT_DATA = (\[.*?\]);\n", open(report).read(), re.S).group(1))
longest = sorted(data, key=lambda u: -u["duration"])[:5]
print(json.dumps({
    "units": len(data),
    "units_s": round(sum(u["duration"] for u in data), 1),
    "longest": [{"name": u["name"] + (f" ({u['target'].strip()})" if u["target"].strip() else ""),
                 "s": round(u["duration"], 1)} for u in longest],
}))
EOF
}

seconds_since() { awk "BEGIN { printf \"%.1f\", ($(date +%s%N) - $1) / 1e9 }"; }

echo "fetching crates (not timed)"
cargo fetch --locked --quiet

echo "clean release build"
start=$(date +%s%N)
CARGO_TARGET_DIR="$work/release" cargo build --release --locked --timings --quiet
release_s=$(seconds_since "$start")
release_units=$(units "$work/release")
echo "release: $release_s s; $release_units"
emit what=release command="cargo build --release" seconds="$release_s" "units:=$release_units"
rm -rf "$work/release"

echo "clean test build, then the suite (SQLite)"
start=$(date +%s%N)
CARGO_TARGET_DIR="$work/test" cargo test --workspace --locked --no-run --timings --quiet
build_s=$(seconds_since "$start")
test_units=$(units "$work/test")
start=$(date +%s%N)
CARGO_TARGET_DIR="$work/test" cargo test --workspace --locked --quiet > "$work/test.log" 2>&1 || {
  tail -50 "$work/test.log"
  echo "the suite failed: no figure" >&2
  exit 1
}
run_s=$(seconds_since "$start")
echo "test: build $build_s s, run $run_s s; $test_units"
emit what=test command="cargo test --workspace" seconds="$build_s" run_seconds="$run_s" \
  "units:=$test_units"
