"""Webinar figures: a registration race for a full series, and the reminder scheduler's cost.

a. 1 000 mentors register for a 12-seat series at the same moment over loopback (1 000 open
   connections, one request each, released together): exactly 12 confirmed, 988 waitlisted with
   positions 1..988, no 5xx and no connection errors; p50/p99 latency and the wall time.
b. The reminder scheduler (`webinars::reminders::enqueue_due`, run by the outbox worker at start
   and then every 60 s) over 10 000 confirmed registrations whose reminders are all due within
   its one-day lookahead: the time to enqueue them and the number of queries it takes.

Both need a server that nobody else loads: before each measurement the module waits until no
`wrk`, `pgbench` or `nginx` process has been seen for 10 consecutive seconds (another benchmark
may be running next door), and says so in the notes if one turned up while it measured.
"""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import datetime
import json
import math
import re
import resource
import statistics
import struct
import subprocess
import threading
import time
from pathlib import Path
from typing import Optional

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, Context, Row, Service, StatementCounter,
                     http_request, statement_label)

# ---- a. the registration race --------------------------------------------------------------

RACERS = 1000
SEATS = 12
LOGIN_THREADS = 8
RACE_TIMEOUT = 120.0  # seconds a single registration may take before it counts as an error
RACE_ENV = {
    "WRITE_RATE_LIMIT_PER_MINUTE": "10000000",
    # The worker runs once at start, then sleeps: the confirmation and waitlist mails queued by
    # the race are not sent while it is measured.
    "WORKER_POLL_INTERVAL_MS": "600000",
    "MAIL_TRANSPORT": "log",
    # 1 000 argon2 logins take a while; the first tokens must still be valid at the end.
    "ACCESS_TOKEN_MINUTES": "60",
}

# ---- b. the reminder scheduler -------------------------------------------------------------

REMINDER_REGISTRATIONS = 10_000
SERIES_CAPACITY = 12
WEEK_SERIES_EVERY = 6  # every 6th series is a week ahead (its "week" reminder is due today)
INSERT_CHUNK = 2000  # reminders per INSERT in enqueue_due (the design figure)
TIMING_ENV = {
    "WORKER_POLL_INTERVAL_MS": "50",  # the worker's first round (and the scheduler) right away
    "MAIL_TRANSPORT": "log",
}
SETTLE = 3.0  # s without growth of the reminder count that ends the timing run
# The query count run: the worker wakes every 25 s and runs the scheduler at start and again in
# the first round more than 60 s later (~75 s). Two windows between the 2nd..3rd and 3rd..4th
# wake-ups differ only by that scheduler run, so the difference of their transaction counts is
# its number of queries (every statement outside an explicit transaction is one transaction).
COUNT_POLL_MS = 25_000
COUNT_MARKS = (40.0, 65.0, 91.0)  # s after start: window 1 = [40, 65], window 2 = [65, 91]
DELETE_AT = 55.0  # s: remove the reminders so the ~75 s run enqueues all of them again
NOOP_AT = 80.0  # s: the same kind of psql call in window 2, so the two windows stay alike

QUIET_SECONDS = 10.0
QUIET_MAX_WAIT = 600.0
PEERS = ("wrk", "pgbench", "nginx")


def run(ctx: Context) -> list[Row]:
    _raise_fd_limit()  # 1 000 sockets here, and in the service (it inherits the limit)
    ctx.ensure_admin()
    rows: list[Row] = []
    rows += registration_race(ctx)
    rows += reminder_scheduler(ctx)
    return rows


# ---- helpers ---------------------------------------------------------------------------------

def _raise_fd_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(hard, 8192)
    if soft != resource.RLIM_INFINITY and soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _psql(ctx: Context, script: str, db: Optional[str] = None) -> str:
    """Runs SQL with psql (unaligned, tuples only) and returns its output."""
    done = subprocess.run(
        ["psql", "-h", ctx.pg_host, "-p", str(ctx.pg_port), "-U", ctx.pg_user, "-X", "-q", "-A",
         "-t", "-v", "ON_ERROR_STOP=1", "-d", db or ctx.db_name, "-f", "-"],
        input=script.encode(), capture_output=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"psql failed ({done.returncode}): "
                           f"{done.stderr.decode(errors='replace')[:2000]}\n--- script:\n"
                           f"{script[:1000]}")
    return done.stdout.decode().strip()


def _peers_running() -> list[str]:
    """Names of running wrk/pgbench/nginx processes (what `pgrep -x` would find)."""
    found = []
    for comm in Path("/proc").glob("[0-9]*/comm"):
        try:
            name = comm.read_text().strip()
        except OSError:  # the process went away
            continue
        if name in PEERS:
            found.append(name)
    return found


def _wait_for_peers(ctx: Context) -> str:
    """Waits until no wrk/pgbench/nginx has run for QUIET_SECONDS; returns a note if it gave up."""
    start = time.monotonic()
    quiet_since = time.monotonic()
    announced = False
    while time.monotonic() - quiet_since < QUIET_SECONDS:
        if _peers_running():
            quiet_since = time.monotonic()
            if not announced:
                ctx.log("another benchmark is running (wrk/pgbench/nginx); waiting for it")
                announced = True
        if time.monotonic() - start > QUIET_MAX_WAIT:
            ctx.log(f"still not quiet after {QUIET_MAX_WAIT:.0f} s; measuring anyway")
            return f"other load (wrk/pgbench/nginx) was running after {QUIET_MAX_WAIT:.0f} s"
        time.sleep(0.5)
    return ""


class _PeerWatch:
    """Notices wrk/pgbench/nginx processes appearing while a measurement runs."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            self.seen.update(_peers_running())
            self._stop.wait(0.25)

    def __enter__(self) -> "_PeerWatch":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def note(self) -> str:
        if not self.seen:
            return ""
        return f"disturbed: {', '.join(sorted(self.seen))} ran during the measurement"


def _percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def _rfc3339(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _join(*parts: str) -> str:
    return "; ".join(p for p in parts if p)


# ---- a. the registration race ---------------------------------------------------------------

def _race_setup_sql() -> str:
    admin = ADMIN_EMAIL.replace("'", "''")
    return f"""
        INSERT INTO users (email, name, role, password_hash, email_verified_at)
        SELECT 'race-facilitator@example.no', 'Fasilitator Kappløp', 'facilitator',
               password_hash, now()
          FROM users WHERE lower(email) = lower('{admin}');
        INSERT INTO users (email, name, role, password_hash, email_verified_at)
        SELECT format('race-mentor-%s@example.no', g), format('Mentor %s', g), 'mentor',
               a.password_hash, now()
          FROM generate_series(1, {RACERS}) g,
               (SELECT password_hash FROM users WHERE lower(email) = lower('{admin}')) a;
        INSERT INTO path_completions (user_id)
        SELECT id FROM users WHERE email LIKE 'race-mentor-%';
        INSERT INTO reflection_notes (user_id, version, body, status, submitted_at)
        SELECT id, 1, repeat('Refleksjon. ', 40), 'submitted', now()
          FROM users WHERE email LIKE 'race-mentor-%';
        SELECT id FROM users WHERE email = 'race-facilitator@example.no';
    """


async def _register_all(port: int, path: str, tokens: list[str]) -> tuple[list, float]:
    """Opens one connection per token, then sends every request at once.

    Returns ([(status | None, body | error, seconds)], wall seconds from release to last answer).
    """
    async def connect():
        return await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 30)

    conns = await asyncio.gather(*(connect() for _ in tokens), return_exceptions=True)
    release = asyncio.Event()

    async def one(conn, token: str):
        if isinstance(conn, BaseException):
            await release.wait()
            return None, f"connect: {type(conn).__name__}: {conn}", 0.0
        reader, writer = conn
        request = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                   f"Authorization: Bearer {token}\r\nContent-Length: 0\r\n"
                   f"Connection: close\r\n\r\n").encode()
        await release.wait()
        t0 = time.perf_counter()
        try:
            async def exchange():
                writer.write(request)
                await writer.drain()
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head.split(b" ", 2)[1])
                length = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                body = await reader.readexactly(int(length.group(1))) if length else \
                    await reader.read()
                return status, body
            status, body = await asyncio.wait_for(exchange(), RACE_TIMEOUT)
            return status, body, time.perf_counter() - t0
        except Exception as err:  # noqa: BLE001 - every failure is a counted error
            return None, f"{type(err).__name__}: {err}", time.perf_counter() - t0
        finally:
            writer.close()

    tasks = [asyncio.ensure_future(one(c, t)) for c, t in zip(conns, tokens)]
    await asyncio.sleep(0.2)  # every task is parked on the event
    started = time.perf_counter()
    release.set()
    results = await asyncio.gather(*tasks)
    return results, time.perf_counter() - started


def registration_race(ctx: Context) -> list[Row]:
    facilitator_id = _psql(ctx, _race_setup_sql()).splitlines()[-1].strip()
    emails = _psql(ctx, "SELECT email FROM users WHERE email LIKE 'race-mentor-%' "
                        "ORDER BY email").split()
    if len(emails) != RACERS:
        raise RuntimeError(f"expected {RACERS} mentors, found {len(emails)}")

    with ctx.service(RACE_ENV) as svc:
        admin_token = ctx.login(svc)["access_token"]

        ctx.log(f"logging in {RACERS} mentors ({LOGIN_THREADS} threads; set-up, not measured)")
        t0 = time.monotonic()
        with concurrent.futures.ThreadPoolExecutor(LOGIN_THREADS) as pool:
            tokens = list(pool.map(
                lambda email: ctx.login(svc, email, ADMIN_PASSWORD)["access_token"], emails))
        ctx.log(f"{len(tokens)} logins in {time.monotonic() - t0:.0f} s")

        now = datetime.datetime.now(datetime.timezone.utc)
        series_body = {
            "title": "Refleksjonswebinar (benchmark)",
            "capacity": SEATS,
            "facilitator_id": facilitator_id,
            "sessions": [
                {"starts_at": _rfc3339(now + datetime.timedelta(days=days)),
                 "join_url": f"https://meet.example.no/{letter}"}
                for days, letter in ((10, "a"), (21, "b"), (42, "c"))
            ],
        }
        status, body = http_request(
            svc.url("/api/v1/admin/webinar-series"), method="POST",
            body=json.dumps(series_body).encode(),
            headers={"Content-Type": "application/json",
                     "Authorization": f"Bearer {admin_token}"}, timeout=30)
        if status != 201:
            raise RuntimeError(f"creating the series answered {status}: {body[:500]!r}")
        series_id = json.loads(body)["id"]

        disturbed = _wait_for_peers(ctx)
        ctx.log(f"{RACERS} registrations for {SEATS} seats at once")
        with _PeerWatch() as watch:
            results, wall = asyncio.run(_register_all(
                svc.port, f"/api/v1/webinar-series/{series_id}/registrations", tokens))

    # ---- what the clients saw
    statuses: dict[str, int] = {}
    confirmed_seen = 0
    positions: list[int] = []
    errors: list[str] = []
    latencies = []
    for status, body, seconds in results:
        if status is None:
            statuses["connection error"] = statuses.get("connection error", 0) + 1
            errors.append(body)
            continue
        statuses[str(status)] = statuses.get(str(status), 0) + 1
        latencies.append(seconds * 1000)
        if status != 201:
            errors.append(f"{status}: {body[:200]!r}")
            continue
        answer = json.loads(body)
        if answer.get("status") == "confirmed":
            confirmed_seen += 1
        elif answer.get("status") == "waitlisted":
            positions.append(int(answer.get("position")))
    server_errors = statuses.get("connection error", 0) + sum(
        n for s, n in statuses.items() if s.isdigit() and int(s) >= 500)

    # ---- what the database holds
    counts = _psql(ctx, f"""
        SELECT confirmed_count FROM webinar_series WHERE id = '{series_id}';
        SELECT count(*) FILTER (WHERE status = 'confirmed'),
               count(*) FILTER (WHERE status = 'waitlisted'),
               count(DISTINCT waitlist_seq) FILTER (WHERE status = 'waitlisted')
          FROM webinar_registrations WHERE series_id = '{series_id}';
    """).splitlines()
    db_counter = int(counts[0])
    db_confirmed, db_waitlisted, db_distinct_seq = (int(v) for v in counts[1].split("|"))

    waitlist = RACERS - SEATS
    positions_ok = sorted(positions) == list(range(1, waitlist + 1))
    db_ok = (db_counter == SEATS and db_confirmed == SEATS and db_waitlisted == waitlist
             and db_distinct_seq == waitlist)
    all_created = statuses.get("201", 0) == RACERS
    passed = (confirmed_seen == SEATS and db_ok and positions_ok and all_created
              and server_errors == 0)

    p50, p99 = _percentile(latencies, 50), _percentile(latencies, 99)
    status_text = ", ".join(f"{n}x {s}" for s, n in sorted(statuses.items()))
    check_note = (f"answers: {status_text}; {confirmed_seen} confirmed and "
                  f"{len(positions)} waitlisted in the answers, positions "
                  f"{'1..' + str(waitlist) + ' each once' if positions_ok else 'NOT 1..' + str(waitlist)}"
                  f"; database: confirmed_count {db_counter}, {db_confirmed} confirmed rows, "
                  f"{db_waitlisted} waitlisted with {db_distinct_seq} distinct places")
    if errors:
        check_note += f"; first error: {errors[0][:200]}"
    load_note = _join(f"{RACERS} connections opened first, then all requests released at once "
                      f"(Python asyncio, one request per connection and token)",
                      disturbed, watch.note())
    latency_note = (f"p50 {p50:.0f} ms, p90 {_percentile(latencies, 90):.0f} ms, "
                    f"p99 {p99:.0f} ms, max {max(latencies, default=0):.0f} ms, "
                    f"mean {statistics.fmean(latencies) if latencies else 0:.0f} ms; "
                    f"from writing the request to the last byte of the answer")
    return [
        Row(figure=f"{RACERS} concurrent registrations, {SEATS} seats: confirmed",
            value=db_confirmed, unit="",
            target=f"= {SEATS}, 0 errors", passed=passed, note=_join(check_note, load_note)),
        Row(figure="  registration latency p50", value=p50, unit="ms", note=latency_note),
        Row(figure="  registration latency p99", value=p99, unit="ms"),
        Row(figure=f"  wall time for all {RACERS}", value=wall * 1000, unit="ms",
            note=f"from releasing the requests to the last answer; "
                 f"{RACERS / wall:.0f} registrations/s"),
    ]


# ---- b. the reminder scheduler --------------------------------------------------------------

def _reminder_setup_sql() -> str:
    series = math.ceil(REMINDER_REGISTRATIONS / SERIES_CAPACITY)
    # Reminder moments fall between 1 h and 23 h from now: due within the one-day lookahead, but
    # not yet to be sent (send_after is in the future), so the worker does not start mailing them
    # while the scheduler is measured. Day series: session 1 in 25..47 h (its 24 h reminder is
    # due). Week series: session 1 in 7 days + 1..23 h (its week reminder is due). Sessions 2
    # and 3 follow a week apart, beyond the lookahead.
    return f"""
        INSERT INTO users (email, name, role, email_verified_at)
        VALUES ('reminder-facilitator@example.no', 'Fasilitator Påminnelse', 'facilitator', now());
        INSERT INTO users (email, name, role, email_verified_at)
        SELECT format('reminder-mentor-%s@example.no', g), format('Mentor %s', g), 'mentor', now()
          FROM generate_series(1, {REMINDER_REGISTRATIONS}) g;
        CREATE TEMP TABLE bench_series AS
        SELECT k, gen_random_uuid() AS id,
               now() + (CASE WHEN k % {WEEK_SERIES_EVERY} = 0 THEN interval '7 days'
                             ELSE interval '24 hours' END)
                     + interval '1 hour' + (k * interval '22 hours') / {series} AS first_start
          FROM generate_series(0, {series - 1}) k;
        INSERT INTO webinar_series (id, title, facilitator_id, capacity, confirmed_count,
                                    registration_deadline)
        SELECT s.id, format('Refleksjonsrekke %s', s.k), f.id, {SERIES_CAPACITY},
               least({SERIES_CAPACITY}, {REMINDER_REGISTRATIONS} - {SERIES_CAPACITY} * s.k),
               now()
          FROM bench_series s,
               (SELECT id FROM users WHERE email = 'reminder-facilitator@example.no') f;
        INSERT INTO webinar_sessions (series_id, number, starts_at, duration_minutes, join_url)
        SELECT s.id, n, s.first_start + (n - 1) * interval '7 days', 120,
               format('https://meet.example.no/r%s', s.k)
          FROM bench_series s, generate_series(1, 3) n;
        INSERT INTO webinar_registrations (series_id, user_id, status, confirmed_at)
        SELECT s.id, u.id, 'confirmed', now()
          FROM users u
          JOIN bench_series s
            ON s.k = (substring(u.email FROM '^reminder-mentor-(\\d+)@')::int - 1)
                     / {SERIES_CAPACITY}
         WHERE u.email LIKE 'reminder-mentor-%';
        SELECT count(*) FILTER (WHERE s.k % {WEEK_SERIES_EVERY} <> 0),
               count(*) FILTER (WHERE s.k % {WEEK_SERIES_EVERY} = 0),
               count(DISTINCT s.k)
          FROM webinar_registrations r JOIN bench_series s ON s.id = r.series_id;
    """


REMINDER_COUNT_SQL = "SELECT count(*) FROM mail_outbox WHERE dedupe_key LIKE 'reminder:%'"


def _reminder_count(ctx: Context) -> int:
    return int(_psql(ctx, REMINDER_COUNT_SQL))


def _xact_commit(ctx: Context) -> int:
    """Committed transactions in the bench database, read from another database."""
    name = ctx.db_name.replace("'", "''")
    return int(_psql(ctx, "SELECT xact_commit FROM pg_stat_database "
                          f"WHERE datname = '{name}'", db="postgres"))


def _set_autovacuum(ctx: Context, enabled: bool) -> None:
    """Autovacuum transactions would count in the bench database's xact_commit."""
    action = "RESET (autovacuum_enabled)" if enabled else "SET (autovacuum_enabled = off)"
    _psql(ctx, f"""
        DO $$
        DECLARE t text;
        BEGIN
            FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' LOOP
                EXECUTE format('ALTER TABLE %I {action}', t);
            END LOOP;
        END $$;
    """)


def _time_enqueue(ctx: Context) -> dict:
    """Starts the service and polls the outbox until the reminder count stops growing."""
    started = time.monotonic()
    svc = ctx.start_service(TIMING_ENV, wait=False)
    ready_at: list[float] = []

    def poll_ready(service: Service) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and service.proc.poll() is None:
            try:
                if ctx.is_ready(service):
                    ready_at.append(time.monotonic())
                    return
            except RuntimeError:
                return
            time.sleep(0.005)

    ready_thread = threading.Thread(target=poll_ready, args=(svc,), daemon=True)
    try:
        ready_thread.start()
        last_count, last_change, polls = 0, None, 0
        first_seen = None
        while True:
            if svc.proc.poll() is not None:
                raise RuntimeError(f"the service exited with {svc.proc.returncode}; see "
                                   f"{svc.log_path}")
            before = time.monotonic()
            count = _reminder_count(ctx)
            after = time.monotonic()
            polls += 1
            if count != last_count:
                # The rows became visible between the previous poll and this one's snapshot.
                last_count, last_change = count, (before + after) / 2
                first_seen = first_seen or last_change
            elif last_change is not None and after - last_change > SETTLE:
                break
            if after - started > 120:
                raise TimeoutError(f"reminder count still {count} after 120 s")
        ready_thread.join(timeout=30)
        span = float(_psql(ctx, "SELECT extract(epoch FROM max(created_at) - min(created_at)) "
                                "FROM mail_outbox WHERE dedupe_key LIKE 'reminder:%'") or 0)
    finally:
        ctx.stop_service(svc)
    if not ready_at:
        raise RuntimeError("the service never answered /health/ready")
    return {
        "count": last_count,
        "startup_s": ready_at[0] - started,
        "start_to_last_s": last_change - started,
        "start_to_first_s": first_seen - started,
        "enqueue_s": last_change - ready_at[0],
        "insert_span_s": span,
        "polls": polls,
        "poll_s": (last_change - started) / max(polls, 1),
    }


def _count_queries(ctx: Context) -> dict:
    """Statements (and transactions) of one scheduler run in a steady service (see COUNT_MARKS)."""
    with StatementCounter(ctx) as counter:
        url = (f"postgres://{ctx.pg_user}@127.0.0.1:{counter.port}/{ctx.db_name}")
        svc = ctx.start_service({**TIMING_ENV, "WORKER_POLL_INTERVAL_MS": str(COUNT_POLL_MS),
                                 "DATABASE_URL": url})
        started = time.monotonic()  # ready, so within ~0.1 s of the worker's first round

        def at(seconds: float) -> float:
            delay = started + seconds - time.monotonic()
            if delay < 0:
                raise RuntimeError(f"count run fell behind its schedule at {seconds:.0f} s")
            time.sleep(delay)
            if svc.proc.poll() is not None:
                raise RuntimeError(f"the service exited with {svc.proc.returncode}")
            return time.monotonic()

        try:
            t1 = at(COUNT_MARKS[0])
            mark1 = _xact_commit(ctx)
            at(DELETE_AT)
            _psql(ctx, "DELETE FROM mail_outbox WHERE dedupe_key LIKE 'reminder:%'")
            t2 = at(COUNT_MARKS[1])
            mark2 = _xact_commit(ctx)
            at(NOOP_AT)
            _psql(ctx, "DELETE FROM mail_outbox WHERE false")
            t3 = at(COUNT_MARKS[2])
            mark3 = _xact_commit(ctx)
            enqueued = _reminder_count(ctx)  # after the last mark: outside both windows
        finally:
            ctx.stop_service(svc)
        quiet_sql, busy_sql = counter.window(t1, t2), counter.window(t2, t3)
    extra = collections.Counter(map(statement_label, busy_sql))
    extra.subtract(collections.Counter(map(statement_label, quiet_sql)))
    return {
        "quiet": len(quiet_sql), "busy": len(busy_sql),
        "queries": len(busy_sql) - len(quiet_sql),
        "which": ", ".join(f"{n}x {k}" for k, n in sorted(extra.items()) if n),
        "xact_quiet": mark2 - mark1, "xact_busy": mark3 - mark2,
        "xacts": (mark3 - mark2) - (mark2 - mark1),
        "enqueued": enqueued,
    }


def reminder_scheduler(ctx: Context) -> list[Row]:
    ctx.log(f"inserting {REMINDER_REGISTRATIONS} confirmed registrations with due reminders")
    t0 = time.monotonic()
    day, week, series = (int(v) for v in _psql(ctx, _reminder_setup_sql())
                         .splitlines()[-1].split("|"))
    _psql(ctx, "VACUUM ANALYZE")  # planner statistics as a running database would have them
    ctx.log(f"{series} series, {day} day + {week} week reminders due; set-up "
            f"{time.monotonic() - t0:.1f} s")
    expected = day + week
    design = 1 + math.ceil(expected / INSERT_CHUNK)

    disturbed = _wait_for_peers(ctx)
    ctx.log("timing the scheduler's first run after a start")
    with _PeerWatch() as watch_timing:
        timing = _time_enqueue(ctx)
    ctx.log(f"{timing['count']} reminders enqueued {timing['enqueue_s'] * 1000:.0f} ms after "
            f"ready")

    disturbed_count = _wait_for_peers(ctx)
    ctx.log(f"counting the scheduler's queries (takes {COUNT_MARKS[-1]:.0f} s)")
    _set_autovacuum(ctx, False)
    try:
        with _PeerWatch() as watch_count:
            counted = _count_queries(ctx)
    finally:
        _set_autovacuum(ctx, True)
    ctx.log(f"{counted['queries']} statements ({counted['which']})")
    time_note = _join(
        f"from /health/ready to the last increase of the reminder count "
        f"({timing['start_to_last_s'] * 1000:.0f} ms after spawning, start-up to ready "
        f"{timing['startup_s'] * 1000:.0f} ms measured in the same start; first rows visible "
        f"{timing['start_to_first_s'] * 1000:.0f} ms after spawning; INSERT chunks began over "
        f"{timing['insert_span_s'] * 1000:.0f} ms by created_at); count polled with psql every "
        f"~{timing['poll_s'] * 1000:.0f} ms, WORKER_POLL_INTERVAL_MS=50; {series} series of "
        f"{SERIES_CAPACITY}, sessions a week apart, reminders due in 1..23 h",
        disturbed, watch_timing.note())
    count_note = _join(
        f"statements the service sent (Query and Execute messages, counted by a wire-protocol "
        f"proxy): {counted['busy']} in a {COUNT_MARKS[2] - COUNT_MARKS[1]:.0f} s window with "
        f"one scheduler run minus {counted['quiet']} in the {COUNT_MARKS[1] - COUNT_MARKS[0]:.0f}"
        f" s window before it (the same worker rounds, no scheduler): {counted['which']}; "
        f"xact_commit delta of the bench database over the same windows "
        f"{counted['xact_busy']} - {counted['xact_quiet']} = {counted['xacts']} (PostgreSQL "
        f"also counts each prepare round trip as a transaction; pg_stat_statements is not "
        f"loaded); that run enqueued {counted['enqueued']}",
        disturbed_count, watch_count.note())
    return [
        Row(figure=f"reminder scheduler: enqueue a day's reminders ({REMINDER_REGISTRATIONS} "
                   f"registrations)",
            value=timing["enqueue_s"] * 1000, unit="ms", note=time_note),
        Row(figure="  queries for one scheduler run", value=counted["queries"], unit="",
            target=f"<= {design} (1 SELECT + 1 INSERT per {INSERT_CHUNK})",
            passed=0 < counted["queries"] <= design, note=count_note),
        Row(figure="  reminders enqueued", value=timing["count"], unit="",
            target=f"= {expected} ({day} day + {week} week)",
            passed=timing["count"] == expected and counted["enqueued"] == expected),
    ]
