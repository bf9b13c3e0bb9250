"""Coordinator figures: the progress report over 10,000 mentors, and a 5,000-row bulk invitation.

a. GET /api/v1/admin/reports/progress.csv for a USHT of 100 municipalities and 10,000 mentors
   with realistic progress: wall time (median of 5) against psql running
   `COPY (the same query on the same view) TO STDOUT WITH CSV` on the same database in the same
   run (target ratio <= 3), and the service's peak memory growth while answering.
b. Statements sent to the database per report request, for 1,000 and for 10,000 mentors
   (constant).
c. POST /api/v1/admin/invitations/csv with 5,000 new addresses: time end to end (median of 3).
"""

from __future__ import annotations

import collections
import http.client
import statistics
import subprocess
import time
from pathlib import Path

from harness import (ADMIN_EMAIL, ADMIN_PASSWORD, REPO_DIR, Context, Row, StatementCounter,
                     statement_label)

MENTORS = 10_000
MUNICIPALITIES = 100
SMALL_MUNICIPALITIES = 10  # a second USHT with 1,000 mentors for the query count
REPEAT = 5
INVITE_ROWS = 5_000
INVITE_REPEAT = 3
COORDINATOR = "bench-koordinator@example.no"
SMALL_COORDINATOR = "bench-koordinator-liten@example.no"
REPORT_ENV = {"CONTENT_DIR": str(REPO_DIR / "content"), "ACCESS_TOKEN_MINUTES": "60",
              "WORKER_POLL_INTERVAL_MS": "600000"}

# The report's query, as the service runs it (see src/orgs/store.rs progress_report).
COPY_QUERY = """COPY (SELECT municipality_number, municipality_name, name, email, workplace,
    modules_done, modules_total, path_status, note_status, webinar_status, programme_completed,
    self_enrolled, last_active_at, user_id FROM mentor_progress WHERE usht_id = '{usht}'
    ORDER BY municipality_number, sort_name, user_id) TO STDOUT WITH (FORMAT csv, HEADER)"""


def run(ctx: Context) -> list[Row]:
    ctx.ensure_admin()
    with ctx.service(REPORT_ENV):
        pass  # publishes the bundled course, which the progress view reads
    big, small = seed(ctx)
    with ctx.service(REPORT_ENV) as svc:
        token = ctx.login(svc, COORDINATOR, ADMIN_PASSWORD)["access_token"]
        small_token = ctx.login(svc, SMALL_COORDINATOR, ADMIN_PASSWORD)["access_token"]
    ctx.psql("VACUUM ANALYZE")
    rows = report_vs_copy(ctx, token, big)
    rows += report_queries(ctx, token, small_token)
    rows += bulk_invitation(ctx, token, big)
    return rows


def seed(ctx: Context) -> tuple[str, str]:
    """Two USHTs: 100 municipalities with 10,000 mentors, 10 with 1,000; progress spread over
    every stage. Returns the two USHT ids."""
    admin = ADMIN_EMAIL.replace("'", "''")
    ctx.log(f"seeding {MENTORS} mentors in {MUNICIPALITIES} municipalities")
    out = ctx.psql(f"""
        CREATE TEMP TABLE bench_hash AS
            SELECT password_hash FROM users WHERE lower(email) = lower('{admin}');
        INSERT INTO ushts (name, county) VALUES ('Bench USHT stor', 'Buskerud'), ('Bench USHT liten', 'Agder');
        INSERT INTO municipalities (number, name, usht_id)
            SELECT (5000 + g)::text, 'Benkekommune ' || g,
                   (SELECT id FROM ushts WHERE name = CASE WHEN g <= {MUNICIPALITIES} THEN 'Bench USHT stor' ELSE 'Bench USHT liten' END)
            FROM generate_series(1, {MUNICIPALITIES + SMALL_MUNICIPALITIES}) g;
        INSERT INTO users (email, name, role, password_hash, email_verified_at, municipality_id,
                           workplace, last_active_at, usht_id)
            SELECT 'bench-coord-' || u.name || '@example.no', 'Koordinator', 'coordinator',
                   (SELECT password_hash FROM bench_hash), now(), NULL, NULL, now(), u.id
            FROM ushts u WHERE u.name LIKE 'Bench USHT%';
        UPDATE users SET email = CASE WHEN email LIKE '%stor@%' THEN '{COORDINATOR}' ELSE '{SMALL_COORDINATOR}' END
            WHERE email LIKE 'bench-coord-%';
        INSERT INTO users (email, name, role, password_hash, email_verified_at, municipality_id,
                           workplace, last_active_at)
            SELECT 'mentor' || g || '@bench.example.no',
                   (ARRAY['Kari','Ola','Ingrid','Amir','Liv','Per'])[1 + g % 6] || ' Benk ' || g,
                   'mentor', (SELECT password_hash FROM bench_hash), now(),
                   (SELECT id FROM municipalities WHERE number = (5001 + g % {MUNICIPALITIES + SMALL_MUNICIPALITIES})::text),
                   'Avdeling ' || (g % 7), now() - make_interval(days => g % 60)
            FROM generate_series(0, {MENTORS + MENTORS // 10} - 1) g;
        CREATE TEMP TABLE bench_pages AS
            SELECT p.slug, p.module_number, row_number() OVER (ORDER BY p.module_number, p.position) AS n
            FROM content_current c JOIN content_pages p ON p.revision_id = c.revision_id;
        CREATE TEMP TABLE bench_mentors AS
            SELECT id, row_number() OVER (ORDER BY id) AS k FROM users WHERE email LIKE 'mentor%@bench.example.no';
        INSERT INTO page_completions (user_id, page_slug, module_number)
            SELECT m.id, p.slug, p.module_number FROM bench_mentors m
            JOIN bench_pages p ON p.n <= (m.k * 7) % ((SELECT count(*) FROM bench_pages) + 6);
        INSERT INTO path_completions (user_id)
            SELECT m.id FROM bench_mentors m
            WHERE (SELECT count(*) FROM page_completions c WHERE c.user_id = m.id) >= (SELECT count(*) FROM bench_pages);
        INSERT INTO module_skips (user_id, module_number)
            SELECT id, 1 FROM bench_mentors WHERE k % 11 = 0 ON CONFLICT DO NOTHING;
        INSERT INTO reflection_notes (user_id, version, body, status, submitted_at)
            SELECT m.id, 1, repeat('Refleksjon over egen praksis. ', 12),
                   CASE WHEN m.k % 3 = 0 THEN 'submitted' ELSE 'draft' END,
                   CASE WHEN m.k % 3 = 0 THEN now() END
            FROM bench_mentors m JOIN path_completions pc ON pc.user_id = m.id;
        SELECT (SELECT id FROM ushts WHERE name = 'Bench USHT stor') || '|' ||
               (SELECT id FROM ushts WHERE name = 'Bench USHT liten');
    """, timeout=600)
    big, small = out.splitlines()[-1].split("|")
    counts = ctx.psql(f"SELECT count(*) FILTER (WHERE usht_id = '{big}'), count(*) FILTER "
                      f"(WHERE usht_id = '{small}'), count(DISTINCT stage) FROM mentor_progress")
    ctx.log(f"mentors per USHT and stages: {counts}")
    return big, small


def _timed_get(port: int, path: str, token: str) -> tuple[float, int, int]:
    """(seconds, status, body bytes) of one GET read to the end."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        body = resp.read()
        return time.perf_counter() - started, resp.status, len(body)
    finally:
        conn.close()


def _rss_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def report_vs_copy(ctx: Context, token: str, usht: str) -> list[Row]:
    path = f"/api/v1/admin/reports/progress.csv?usht_id={usht}"
    with ctx.service(REPORT_ENV) as svc:
        pid = svc.proc.pid
        _timed_get(svc.port, path, token)  # warm-up (also the first access-log insert)
        rss_before = _rss_kib(pid, "VmRSS")
        hwm_before = _rss_kib(pid, "VmHWM")
        times, size = [], 0
        for _ in range(REPEAT):
            seconds, status, size = _timed_get(svc.port, path, token)
            if status != 200:
                raise RuntimeError(f"the report answered {status}")
            times.append(seconds)
        hwm_after = _rss_kib(pid, "VmHWM")
    copy_times = []
    sql = COPY_QUERY.format(usht=usht).replace("\n", " ")
    for _ in range(REPEAT + 1):
        started = time.perf_counter()
        subprocess.run(["psql", *ctx._pg_args(), "-X", "-q", "-d", ctx.db_name, "-c", sql],
                       stdout=subprocess.DEVNULL, check=True)
        copy_times.append(time.perf_counter() - started)
    copy_times = copy_times[1:]  # the first warms the cache, as the service's warm-up did
    service_ms = statistics.median(times) * 1000
    copy_ms = statistics.median(copy_times) * 1000
    ratio = service_ms / copy_ms
    growth_mib = max(hwm_after, hwm_before) / 1024 - rss_before / 1024
    return [
        Row("progress.csv, 10,000 mentors (median of 5)", round(service_ms, 1), "ms",
            reference=round(copy_ms, 1), reference_label="psql COPY (same query) TO STDOUT",
            ratio=round(ratio, 2), target="<= 3", passed=ratio <= 3,
            note=f"{size:,} bytes; service runs {', '.join(f'{t * 1000:.0f}' for t in times)} ms; "
                 f"COPY runs {', '.join(f'{t * 1000:.0f}' for t in copy_times)} ms"),
        Row("progress.csv peak memory growth", round(growth_mib, 1), "MiB",
            note=f"VmRSS before {rss_before / 1024:.1f} MiB, VmHWM after {hwm_after / 1024:.1f} MiB"),
    ]


def report_queries(ctx: Context, token: str, small_token: str) -> list[Row]:
    """Statements the service sends per report request, for 10,000 and for 1,000 mentors.

    Counted on the wire by a proxy between the service and PostgreSQL, in the window of each
    request, with the outbox worker idle (REPORT_ENV) and the change listener's keep-alive left
    out: what remains is the request's own work.
    """
    count = 5
    path = "/api/v1/admin/reports/progress.csv"
    per_request = {}
    with StatementCounter(ctx) as counter:
        url = f"postgres://{ctx.pg_user}@127.0.0.1:{counter.port}/{ctx.db_name}"
        with ctx.service({**REPORT_ENV, "DATABASE_URL": url}) as svc:
            for label, who in (("10,000", token), ("1,000", small_token)):
                _timed_get(svc.port, path, who)  # warm-up: statements prepared, scope cached
                started = time.monotonic()
                for _ in range(count):
                    _, status, _ = _timed_get(svc.port, path, who)
                    if status != 200:
                        raise RuntimeError(f"GET {path} answered {status}")
                per_request[label] = counter.window(started, time.monotonic())
    big, small = (len(per_request[label]) / count for label in ("10,000", "1,000"))
    kinds = collections.Counter(map(statement_label, per_request["10,000"]))
    shown = ", ".join(f"{n // count}x {kind}" for kind, n in sorted(kinds.items()))
    return [Row("progress.csv DB statements per request, 10,000 vs 1,000 mentors",
                big, "statements", reference=small, reference_label="same with 1,000 mentors",
                ratio=round(big / small, 2) if small else None,
                target="equal", passed=big == small,
                note=f"statements sent over {count} requests each, counted by a wire-protocol "
                     f"proxy: {len(per_request['10,000'])} (10,000 mentors), "
                     f"{len(per_request['1,000'])} (1,000); per request: {shown}")]


def bulk_invitation(ctx: Context, token: str, usht: str) -> list[Row]:
    municipalities = ctx.psql(f"SELECT id FROM municipalities WHERE usht_id = '{usht}' "
                              f"ORDER BY number LIMIT {INVITE_REPEAT}").splitlines()
    times = []
    with ctx.service(REPORT_ENV) as svc:
        for run_no, municipality in enumerate(municipalities):
            body = "email,name\n" + "".join(
                f"inv{run_no}-{i}@bench.example.no,Invitert {i}\n" for i in range(INVITE_ROWS))
            conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=300)
            started = time.perf_counter()
            conn.request("POST", f"/api/v1/admin/invitations/csv?municipality_id={municipality}",
                         body=body.encode(), headers={"Authorization": f"Bearer {token}",
                                                      "Content-Type": "text/csv"})
            resp = conn.getresponse()
            answer = resp.read()
            times.append(time.perf_counter() - started)
            conn.close()
            if resp.status != 201 or answer.count(b'"email"') < INVITE_ROWS:
                raise RuntimeError(f"bulk invitation answered {resp.status}: {answer[:300]!r}")
    median = statistics.median(times)
    return [Row("bulk invitation, 5,000 CSV rows, end to end (median of 3)",
                round(median * 1000, 1), "ms",
                note="runs " + ", ".join(f"{t * 1000:.0f}" for t in times) +
                     " ms; each row checked, stored with a hashed token and its mail queued")]
