#!/usr/bin/env python3
"""Fault suite: what kundenpuls loses, doubles or creates twice on its worst day.

Usage: python3 tests/bench/faults.py [path/to/kundenpuls] [scenario ...]
       (default binary: target/release/kundenpuls; default: every scenario)

Scenarios (each against the release binary on loopback, with a storing SMTP server that counts
every message by Message-ID; aiosmtpd is installed from PyPI into a throw-away venv):
  smtp-down     the SMTP server is down for 60 s in the middle of a fan-out
  kill-9        the service is killed with SIGKILL mid-fan-out and started again
  one-link      200 parallel complete submissions of one link
  throttle      the relay answers 452 4.7.0 to every fifth message
  two-instances two services on one PostgreSQL during a fan-out and a scheduled opening
  opened-while-serving  60,000 employees, `serve` running: a round opened from the CLI, then one
                opened by a schedule; every invitation leaves once (the worker's sweep of mail
                for rounds that are not open once cancelled a round opening beside it)
For each: invitations expected, distinct Message-IDs received (lost = expected - distinct),
copies beyond the first (duplicated), responses stored, rounds created. The goal is 0 lost,
0 duplicated, exactly 1 response, exactly 1 round per period. Prints a Markdown table.
Bounded: every wait has a deadline (the kill-9 scenario waits out the worker's 5-minute lease);
a wait that runs out is reported with the scenario ("gave up"), and the script exits 1.
PostgreSQL: KUNDENPULS_BENCH_PG (default postgres://postgres@127.0.0.1:5432/postgres).
The survey rate limits are turned off for one-link (all 200 come from one address).

Environment:
  KUNDENPULS_BENCH_RESULTS=<file>  also append one JSON line per scenario (tests/bench/run)
  KUNDENPULS_BENCH_QUICK=1         smaller counts and a 10 s outage, to check the script itself
                                   (kill-9 still waits out the lease); not figures of record
  KUNDENPULS_BENCH_VENV=<dir>      the venv with aiosmtpd, created there once and reused
"""

import atexit
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import venv
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = os.environ.get("KUNDENPULS_BENCH_PG", "postgres://postgres@127.0.0.1:5432/postgres")
WORK = Path(tempfile.mkdtemp(prefix="kp-faults-"))
atexit.register(shutil.rmtree, WORK, True)
QUICK = os.environ.get("KUNDENPULS_BENCH_QUICK") == "1"
# What a scenario waited for in vain; reported with its row instead of hidden in stderr.
GAVE_UP = []
# Everything a scenario started, so that a scenario that fails half-way leaves nothing running.
STARTED = []


def scaled(full, quick):
    return quick if QUICK else full


def ensure_aiosmtpd():
    """Re-runs this script inside a venv that has aiosmtpd."""
    try:
        import aiosmtpd  # noqa: F401
        return
    except ImportError:
        pass
    given = os.environ.get("KUNDENPULS_BENCH_VENV")
    env_dir = Path(given) if given else Path(tempfile.mkdtemp(prefix="kp-faults-venv-"))
    if not (env_dir / "bin/python").exists():
        venv.create(env_dir, with_pip=True)
    subprocess.run([env_dir / "bin/pip", "install", "--quiet", "--disable-pip-version-check",
                    "aiosmtpd==1.4.6"], check=True)
    if not given:
        # A throw-away venv: the process that replaces this one removes it when it ends.
        os.environ["KP_FAULTS_THROWAWAY_VENV"] = str(env_dir)
    shutil.rmtree(WORK, True)
    os.execv(env_dir / "bin/python", [str(env_dir / "bin/python"), __file__, *sys.argv[1:]])


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Relay:
    """A storing SMTP server: every accepted message is counted by its Message-ID."""

    def __init__(self, throttle_every=0):
        self.port = free_port()
        self.ids = {}
        self.links = []
        self.seen = 0
        self.throttled = 0
        self.lock = threading.Lock()
        relay = self

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                with relay.lock:
                    relay.seen += 1
                    if throttle_every and relay.seen % throttle_every == 0:
                        relay.throttled += 1
                        return "452 4.7.0 Too many messages, slow down"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                from email import message_from_bytes
                message = message_from_bytes(envelope.content)
                message_id = message.get("Message-ID", "").strip()
                with relay.lock:
                    relay.ids[message_id] = relay.ids.get(message_id, 0) + 1
                    for part in message.walk():
                        if part.get_content_type() == "text/plain":
                            text = part.get_payload(decode=True).decode("utf-8", "replace")
                            relay.links += re.findall(r"https?://\S+/s/[A-Za-z0-9_-]+", text)
                return "250 OK"

        self.handler = Handler()
        self.start_again()
        STARTED.append(self)

    def stop(self):
        try:
            self.controller.stop()
        except (AssertionError, RuntimeError):
            pass  # already stopped

    def start_again(self):
        # A stopped aiosmtpd controller cannot start again (its event loop is closed): a new
        # one on the same port, with the same counts.
        from aiosmtpd.controller import Controller
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def distinct(self):
        with self.lock:
            return len(self.ids)

    def copies(self):
        with self.lock:
            return sum(self.ids.values()) - len(self.ids)


class Service:
    def __init__(self, binary, database_url, relay, extra=None):
        self.binary = binary
        self.port = free_port()
        self.env = dict(os.environ)
        self.env.update({
            "ROCKET_DATABASE_URL": database_url,
            "ROCKET_SMTP_URL": f"smtp://127.0.0.1:{relay.port}",
            "ROCKET_PORT": str(self.port),
            "ROCKET_BASE_URL": f"http://127.0.0.1:{self.port}",
            "ROCKET_MAIL_DIR": str(WORK / "outbox"),
            "ROCKET_MAIL_FROM": "kundenpuls <umfrage@example.de>",
            "KUNDENPULS_LOG": "warn",
        })
        self.env.update(extra or {})
        self.process = None

    def cli(self, *args):
        return subprocess.run([self.binary, *args], env=self.env, cwd=WORK, check=True,
                              capture_output=True, text=True).stdout

    def start(self):
        log = open(WORK / f"serve-{self.port}.log", "a")
        self.process = subprocess.Popen([self.binary, "serve"], env=self.env, cwd=WORK,
                                        stdout=log, stderr=log)
        STARTED.append(self)
        wait_for(lambda: http_ok(f"http://127.0.0.1:{self.port}/health"), 30, "the service starts")

    def kill(self, sig=signal.SIGTERM):
        if self.process and self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(30)


def http_ok(url):
    import urllib.request
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_for(check, seconds, what):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    print(f"  gave up after {seconds} s waiting until {what}", file=sys.stderr)
    GAVE_UP.append(f"{what} (after {seconds} s)")
    return False


def employees_csv(count):
    path = WORK / f"employees-{count}.csv"
    with open(path, "w", encoding="utf-8") as out:
        out.write("email;name;department;locale\n")
        for i in range(count):
            out.write(f"person{i}@example.de;Person {i};Bereich {i % 5} / Team {i % 20};"
                      f"{'en' if i % 3 == 0 else 'de'}\n")
    return path


def local(minutes):
    from zoneinfo import ZoneInfo
    at = datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(minutes=minutes)
    return at.strftime("%Y-%m-%d %H:%M")


def open_round(service, title="Puls"):
    out = service.cli("round", "create", "--title", title, "--opens", local(-1),
                      "--closes", local(14 * 24 * 60))
    return int(re.search(r"round (\d+):", out).group(1))


class Sqlite:
    def __init__(self, name):
        self.path = WORK / f"{name}.db"
        self.url = f"sqlite://{self.path}?mode=rwc"

    def scalar(self, sql):
        with sqlite3.connect(self.path) as db:
            return db.execute(sql).fetchone()[0]


class Postgres:
    def __init__(self, name):
        self.name = f"kp_faults_{name}_{os.getpid()}"
        subprocess.run(["psql", PG_ADMIN, "-qc", f"CREATE DATABASE {self.name}"], check=True)
        self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.name

    def scalar(self, sql):
        out = subprocess.run(["psql", self.url, "-Atc", sql], check=True, capture_output=True,
                             text=True).stdout.strip()
        return int(out) if out.isdigit() else out

    def drop(self):
        subprocess.run(["psql", PG_ADMIN, "-qc", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"])


def sent(db):
    return db.scalar("SELECT count(*) FROM mail_outbox WHERE kind = 'invitation' AND state = 'sent'")


def result(name, expected, relay, db, responses="—", rounds="—", note=""):
    return {"scenario": name, "expected": expected, "lost": expected - relay.distinct(),
            "duplicated": relay.copies(), "failed": db.scalar(
                "SELECT count(*) FROM mail_outbox WHERE state = 'failed'"),
            "responses": responses, "rounds": rounds, "note": note}


def staffed_service(binary, name, employees, relay=None, env=None):
    """A relay, a SQLite database with `employees` imported, and the service running on them."""
    relay = relay or Relay()
    db = Sqlite(name)
    service = Service(binary, db.url, relay, env)
    service.cli("migrate")
    service.cli("import", "employees", str(employees_csv(employees)))
    service.start()
    return relay, db, service


def smtp_down(binary):
    count = scaled(2000, 300)
    outage = scaled(60, 10)
    relay, db, service = staffed_service(binary, "smtp-down", count)
    open_round(service)
    wait_for(lambda: relay.distinct() >= count // 6, 60, f"{count // 6} invitations arrived")
    relay.stop()
    down_at = relay.distinct()
    time.sleep(outage)
    relay.start_again()
    wait_for(lambda: sent(db) >= count, 420, "every invitation is sent")
    service.kill()
    relay.stop()
    return result(f"SMTP server down for {outage} s mid-fan-out", count, relay, db,
                  note=f"down after {down_at} had arrived")


def kill_9(binary):
    count = scaled(5000, 1000)
    relay, db, service = staffed_service(binary, "kill-9", count)
    open_round(service)
    wait_for(lambda: relay.distinct() >= count // 5, 60, f"{count // 5} invitations arrived")
    service.kill(signal.SIGKILL)
    killed_at = relay.distinct()
    service.start()
    # Mails claimed by the killed process come back when their 5-minute lease has passed.
    wait_for(lambda: sent(db) >= count, 480, "every invitation is sent")
    service.kill()
    relay.stop()
    return result("`kill -9` mid-fan-out, restart", count, relay, db,
                  note=f"killed after {killed_at} had arrived")


def one_link(binary):
    import concurrent.futures
    import http.cookiejar
    import urllib.error
    import urllib.parse
    import urllib.request

    relay, db, service = staffed_service(binary, "one-link", 10,
                                         env={"ROCKET_RATE_LIMIT_TOKEN_PER_MINUTE": "0",
                                              "ROCKET_RATE_LIMIT_SURVEY_PER_MINUTE": "0"})
    open_round(service)
    wait_for(lambda: relay.links, 60, "an invitation with its link arrived")
    link = relay.links[0]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(link).read().decode()
    fields = {"csrf": re.search(r'name="csrf" value="([^"]+)"', page).group(1)}
    for name in sorted(set(re.findall(r'name="(q_[^"]+)" type="radio"|type="radio" name="(q_[^"]+)"', page))):
        fields[name[0] or name[1]] = None
    for radio in re.finditer(r'<input[^>]*type="radio"[^>]*>', page):
        tag = radio.group(0)
        name = re.search(r'name="([^"]+)"', tag).group(1)
        value = re.search(r'value="([^"]+)"', tag).group(1)
        fields[name] = value  # the last choice of each item: a valid answer
    body = urllib.parse.urlencode({k: v for k, v in fields.items() if v is not None}).encode()
    parallel = scaled(200, 50)
    barrier = threading.Barrier(parallel)

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    poster = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def post(_):
        barrier.wait()
        request = urllib.request.Request(link, data=body, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        try:
            with poster.open(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    with concurrent.futures.ThreadPoolExecutor(parallel) as pool:
        statuses = list(pool.map(post, range(parallel)))
    service.kill()
    relay.stop()
    counts = {code: statuses.count(code) for code in sorted(set(statuses))}
    responses = db.scalar("SELECT count(*) FROM responses")
    return {"scenario": f"{parallel} parallel submissions of one link", "expected": "—", "lost": "—",
            "duplicated": "—", "failed": "—", "responses": responses, "rounds": "—",
            "note": "answers: " + ", ".join(f"{n} × {code}" for code, n in counts.items()),
            "parallel": parallel, "statuses": {str(code): n for code, n in counts.items()}}


def throttle(binary):
    count = scaled(200, 50)
    relay, db, service = staffed_service(binary, "throttle", count, Relay(throttle_every=5))
    started = time.monotonic()
    open_round(service)
    wait_for(lambda: sent(db) >= count, 600, "every invitation is sent")
    took = time.monotonic() - started
    service.kill()
    relay.stop()
    return result("relay answers 452 4.7.0 to every fifth message", count, relay, db,
                  note=f"{relay.throttled} throttling answers, all sent after {took:.0f} s")


def two_instances(binary):
    count = scaled(3000, 600)
    relay, db = Relay(), Postgres("two")
    try:
        first = Service(binary, db.url, relay)
        second = Service(binary, db.url, relay)
        first.cli("migrate")
        first.cli("import", "employees", str(employees_csv(count)))
        # A daily schedule (at most one round a day) whose next opening is two minutes away:
        # both schedulers plan and open it.
        from zoneinfo import ZoneInfo
        at = datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(minutes=2)
        first.cli("schedule", "create", "--title", "Tagespuls", "--cron",
                  f"{at.minute} {at.hour} * * *", "--duration", "12h",
                  "--departments", "Bereich 0 / Team 0")
        first.start()
        second.start()
        open_round(first, "Puls")
        # The one-off round's fan-out, then the scheduled opening (the scheduler looks every
        # 20 s) and its fan-out.
        wait_for(lambda: db.scalar("SELECT count(*) FROM rounds WHERE schedule_id IS NOT NULL "
                                   "AND state = 'open'") >= 1, 240, "the scheduled round opens")
        time.sleep(30)
        wait_for(lambda: db.scalar("SELECT count(*) FROM mail_outbox WHERE kind = 'invitation' "
                                   "AND state NOT IN ('sent', 'failed', 'cancelled')") == 0,
                 300, "every invitation is sent")
        first.kill()
        second.kill()
        relay.stop()
        # Invitations of a one-minute round that closed before they left are cancelled, not
        # lost: the mails expected are those recorded as sent.
        expected = sent(db)
        cancelled = db.scalar("SELECT count(*) FROM mail_outbox WHERE state = 'cancelled'")
        # The scheduler also plans the next period's round ahead (state 'scheduled', so that HR
        # can see and edit it): the period that came due is judged by the rounds that opened.
        opened = db.scalar("SELECT count(*) FROM rounds WHERE schedule_id IS NOT NULL "
                           "AND state IN ('open', 'closed')")
        ahead = db.scalar("SELECT count(*) FROM rounds WHERE schedule_id IS NOT NULL "
                          "AND state = 'scheduled'")
        doubled = db.scalar("SELECT count(*) FROM (SELECT period_key FROM rounds WHERE schedule_id "
                            "IS NOT NULL GROUP BY period_key HAVING count(*) > 1) AS d")
        row = result("two instances on one PostgreSQL: fan-out + scheduled openings", expected,
                     relay, db, rounds=f"{opened} opened for the period, {doubled} periods doubled",
                     note=f"{expected} invitations sent over the one-off round and the scheduled "
                          f"one, {cancelled} cancelled at a close; {ahead} round planned ahead "
                          f"for the next period")
        row.update({"rounds_opened": opened, "rounds_planned_ahead": ahead,
                    "rounds_doubled": doubled})
        return row
    finally:
        db.drop()


def opened_while_serving(binary):
    count = scaled(60000, 3000)
    relay, db, service = staffed_service(binary, "opened-while-serving", count)
    started = time.monotonic()
    open_round(service, "Puls Dezember")
    wait_for(lambda: sent(db) >= count, 900, f"all {count} invitations of the CLI round are sent")
    cli_took = time.monotonic() - started
    # A daily schedule over everyone whose opening is a minute or two away: the scheduler inside
    # `serve` opens it (it looks every 20 s) while the worker runs.
    from zoneinfo import ZoneInfo
    at = datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(minutes=2)
    service.cli("schedule", "create", "--title", "Tagespuls", "--cron",
                f"{at.minute} {at.hour} * * *", "--duration", "12h")
    wait_for(lambda: db.scalar("SELECT count(*) FROM rounds WHERE schedule_id IS NOT NULL "
                               "AND state = 'open'") >= 1, 240, "the scheduled round opens")
    scheduled_at = time.monotonic()
    wait_for(lambda: sent(db) >= 2 * count, 900, f"all {2 * count} invitations are sent")
    scheduled_took = time.monotonic() - scheduled_at
    cancelled = db.scalar("SELECT count(*) FROM mail_outbox WHERE state = 'cancelled'")
    service.kill()
    relay.stop()
    row = result(f"{count:,} opened while serving (CLI round, then a scheduled one)", 2 * count,
                 relay, db, note=f"{cancelled} cancelled; CLI round sent in {cli_took:.0f} s, "
                                 f"scheduled round in {scheduled_took:.0f} s")
    row.update({"cancelled": cancelled})
    return row


SCENARIOS = {"smtp-down": smtp_down, "kill-9": kill_9, "one-link": one_link,
             "throttle": throttle, "two-instances": two_instances,
             "opened-while-serving": opened_while_serving}


def stop_started():
    for thing in reversed(STARTED):
        if isinstance(thing, Relay):
            thing.stop()
        else:
            thing.kill(signal.SIGKILL)
    STARTED.clear()


def record(key, row, seconds, error=None):
    """One JSON line per scenario for tests/bench/run; "—" (not applicable) becomes null."""
    target = os.environ.get("KUNDENPULS_BENCH_RESULTS")
    if not target:
        return
    line = {"part": "faults", "key": key, "quick": QUICK, "seconds": round(seconds, 1),
            "gave_up": list(GAVE_UP), "error": error}
    line.update({k: (None if v == "—" else v) for k, v in row.items()})
    with open(target, "a", encoding="utf-8") as out:
        out.write(json.dumps(line, ensure_ascii=False) + "\n")


def main():
    ensure_aiosmtpd()
    throwaway = os.environ.pop("KP_FAULTS_THROWAWAY_VENV", None)
    if throwaway:
        atexit.register(shutil.rmtree, throwaway, True)
    # Under `timeout` (tests/bench/run) a SIGTERM must still drop the PostgreSQL database and
    # remove the work directory: as an exit, finally blocks and atexit run.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    atexit.register(stop_started)
    args = sys.argv[1:]
    binary = str(ROOT / "target/release/kundenpuls")
    if args and not args[0] in SCENARIOS:
        binary = str(Path(args.pop(0)).resolve())
    chosen = args or list(SCENARIOS)
    unknown = [name for name in chosen if name not in SCENARIOS]
    if unknown:
        sys.exit(f"unknown scenario(s): {', '.join(unknown)}; known: {', '.join(SCENARIOS)}")
    rows = []
    failed = False
    for name in chosen:
        print(f"== {name} ({datetime.now():%H:%M:%S})", file=sys.stderr)
        GAVE_UP.clear()
        started = time.monotonic()
        try:
            rows.append(SCENARIOS[name](binary))
            error = None
        except Exception as err:  # one broken scenario must not hide the others' figures
            error = f"{type(err).__name__}: {err}"
            rows.append({"scenario": name, "expected": "—", "lost": "—", "duplicated": "—",
                         "failed": "—", "responses": "—", "rounds": "—", "note": error})
        stop_started()
        failed = failed or bool(GAVE_UP) or error is not None
        record(name, rows[-1], time.monotonic() - started, error)
        print(f"   {rows[-1]}", file=sys.stderr)
    print("| scenario | invitations | lost | duplicated | failed | responses | rounds | seen |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['scenario']} | {r['expected']} | {r['lost']} | {r['duplicated']} | "
              f"{r['failed']} | {r['responses']} | {r['rounds']} | {r['note']} |")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
