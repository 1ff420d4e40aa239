#!/usr/bin/env python3
"""Appends one JSON object, one line, to $KUNDENPULS_BENCH_RESULTS; does nothing without it.

Usage: tests/bench/json_line.py key=value ... [key:=JSON ...] [@file ...]
  key=value   a number if it reads as one, else a string ("" stays a string)
  key:=JSON   a raw JSON value (lists, objects, true, null)
  @file       merge the JSON object in file (written by a wrk Lua script); a missing or empty
              file is recorded as "missing": [file] instead of failing the benchmark

The benchmark scripts call this so that each of them stays runnable on its own (the variable
unset: human output only) and tests/bench/run gets every figure as data, not as scraped text.
Stdlib only; one write per object so that lines of parallel writers cannot interleave.
"""

import json
import os
import sys


def value(text):
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def main(args):
    target = os.environ.get("KUNDENPULS_BENCH_RESULTS")
    if not target:
        return 0
    record = {}
    for arg in args:
        if arg.startswith("@"):
            try:
                with open(arg[1:], encoding="utf-8") as f:
                    text = f.read().strip()
                record.update(json.loads(text) if text else {})
                if not text:
                    record.setdefault("missing", []).append(arg[1:])
            except FileNotFoundError:
                record.setdefault("missing", []).append(arg[1:])
        elif ":=" in arg:
            key, raw = arg.split(":=", 1)
            record[key] = json.loads(raw)
        elif "=" in arg:
            key, text = arg.split("=", 1)
            record[key] = value(text) if text else ""
        else:
            print(f"json_line.py: not key=value: {arg}", file=sys.stderr)
            return 2
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    fd = os.open(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
