"""Learning-path figures: page reads, the cost of GET /path as the course grows, completion writes.

a. GET /api/v1/modules/1/pages/<first slug> requests/s with a mentor's token vs nginx serving the
   same body bytes from a file (ratio >= 0.8). Full 200 reads: no If-None-Match is sent.
b. Database transactions per GET /api/v1/path (from pg_stat_database.xact_commit) for the bundled
   course and for a generated 4 x 50 = 200-page course: must be equal (constant). Informational:
   GET /path requests/s, 200-page course over the bundled one.
c. PUT /api/v1/modules/1/pages/<first slug>/completion requests/s spread over 200 mentors vs
   pgbench running the equivalent single-row upsert on the same database (ratio >= 0.3), and the
   service's p99 (< 10 ms). The page is already completed for every mentor (the warm-up does
   it), as pgbench's ON CONFLICT DO NOTHING finds it there: a repeat, as a phone retrying does.
d. The same PUT for mentors who have not completed the page yet (each request writes a new row,
   fires the progress trigger and its NOTIFY) vs pgbench inserting new rows into the same table
   with its triggers (information).
"""

from __future__ import annotations

import concurrent.futures
import http.client
import json
import re
import shutil
import subprocess
import time
from pathlib import Path

from harness import ADMIN_EMAIL, ADMIN_PASSWORD, REPO_DIR, Context, Row, WrkResult, http_request

DURATION = 10  # seconds per wrk/pgbench measurement
WARMUP = 1  # seconds of unmeasured load before a throughput measurement
WRK_OPTS = dict(threads=2, connections=32)  # as for the GET /me figure
COUNT_REQUESTS = 200  # sequential requests per statement-count run
COUNT_WARMUP = 10  # GET /path requests before counting (loads the revision into the cache)
WRITERS = 200  # mentors spreading the completion writes
LARGE_MODULES_PAGES = 50  # pages per module in the generated course (4 modules -> 200 pages)
GENERATED_MINUTES = 5  # estimated_minutes of a generated page
MENTOR_EMAIL = "bench-mentor-{:03d}@example.no"  # 000 reads; 001..200 write completions
BUNDLED_CONTENT = REPO_DIR / "content"

# The course is the bundled one unless a benchmark publishes another; tokens outlive the area.
LEARNING_ENV = {"CONTENT_DIR": str(BUNDLED_CONTENT), "ACCESS_TOKEN_MINUTES": "60"}
# While counting transactions the outbox worker must stay quiet: it polls once at start-up (the
# same in every run) and then not again for 10 minutes.
COUNTING_ENV = {**LEARNING_ENV, "WORKER_POLL_INTERVAL_MS": "600000"}

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")


def run(ctx: Context) -> list[Row]:
    ctx.ensure_admin()
    reader, writers = create_mentors(ctx)
    rows: list[Row] = []
    rows += page_read_vs_nginx(ctx, reader)
    rows += path_queries(ctx, reader)
    rows += completion_writes(ctx, writers)
    rows += new_completions(ctx)
    return rows


def _clean(result: WrkResult) -> bool:
    return result.error_count == 0 and result.requests > 0


def _errors_note(*results: tuple[str, WrkResult]) -> list[str]:
    return [f"{label} {r.describe_errors()}" for label, r in results if r.describe_errors()]


# ---- accounts ------------------------------------------------------------------------------

def create_mentors(ctx: Context) -> tuple[str, list[tuple[str, str]]]:
    """Inserts 1 + WRITERS verified mentors (the API has no mentor sign-up yet) with the admin's
    password hash, and logs each in. Returns the reader's token and (user id, token) per writer."""
    admin = ADMIN_EMAIL.replace("'", "''")
    pattern = MENTOR_EMAIL.replace("{:03d}", "' || lpad(g::text, 3, '0') || '")
    ctx.psql(f"""
        INSERT INTO users (email, name, role, password_hash, email_verified_at)
        SELECT '{pattern}', 'Benchmark Mentor ' || g, 'mentor',
               (SELECT password_hash FROM users WHERE lower(email) = lower('{admin}')), now()
        FROM generate_series(0, {WRITERS}) AS g
        ON CONFLICT DO NOTHING""")
    emails = [MENTOR_EMAIL.format(i) for i in range(WRITERS + 1)]
    ctx.log(f"logging in {len(emails)} mentors")
    with ctx.service(LEARNING_ENV) as svc:
        # Password hashing is deliberately slow; a few sign-ins at a time keep both CPUs busy.
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            sessions = list(pool.map(lambda e: ctx.login(svc, e, ADMIN_PASSWORD), emails))
    ids = dict(line.split("|") for line in ctx.psql(
        "SELECT lower(email), id FROM users WHERE email LIKE 'bench-mentor-%'").splitlines())
    tokens = [s["access_token"] for s in sessions]
    return tokens[0], [(ids[e], t) for e, t in zip(emails[1:], tokens[1:])]


def first_page(svc, token: str) -> tuple[dict, str]:
    """The caller's learning path and the slug of module 1's first page."""
    status, body = http_request(svc.url("/api/v1/path"),
                                headers={"Authorization": f"Bearer {token}"})
    if status != 200:
        raise RuntimeError(f"GET /api/v1/path answered {status}: {body[:300]!r}")
    path = json.loads(body)
    module = next(m for m in path["modules"] if m["number"] == 1)
    slug = module["pages"][0]["slug"]
    if not SLUG_RE.match(slug):
        raise RuntimeError(f"unexpected page slug {slug!r}")
    return path, slug


def page_count(path: dict) -> int:
    return sum(len(m["pages"]) for m in path["modules"])


# ---- a. page reads -------------------------------------------------------------------------

def page_read_vs_nginx(ctx: Context, token: str) -> list[Row]:
    headers = {"Authorization": f"Bearer {token}"}
    with ctx.service(LEARNING_ENV) as svc:
        _, slug = first_page(svc, token)
        url = svc.url(f"/api/v1/modules/1/pages/{slug}")
        status, body = http_request(url, headers=headers)
        if status != 200:
            raise RuntimeError(f"GET {url} answered {status}: {body[:300]!r}")
        ctx.log(f"page 1/{slug} is {len(body)} bytes; measuring the service for {DURATION} s")
        ctx.wrk(url, headers=headers, duration=WARMUP, **WRK_OPTS)
        service = ctx.wrk(url, headers=headers, duration=DURATION, **WRK_OPTS)

    # The service is stopped before the reference runs, so they do not share the CPUs.
    with ctx.nginx_static(body) as static_url:
        ctx.log(f"measuring nginx ({ctx.service_workers} workers) serving the same "
                f"{len(body)} bytes for {DURATION} s")
        ctx.wrk(static_url, headers=headers, duration=WARMUP, **WRK_OPTS)
        nginx = ctx.wrk(static_url, headers=headers, duration=DURATION, **WRK_OPTS)

    ratio = service.rps / nginx.rps if nginx.rps else 0.0
    notes = [f"page 1/{slug}, {len(body)} B; p50/p99 service {service.p50_ms:.2f}/"
             f"{service.p99_ms:.2f} ms, nginx {nginx.p50_ms:.2f}/{nginx.p99_ms:.2f} ms; "
             f"no If-None-Match (full 200 reads); wrk -t2 -c32 -d{DURATION}s"]
    notes += _errors_note(("service", service), ("nginx", nginx))
    return [Row(
        figure="GET page throughput (mentor token)",
        value=service.rps, unit="req/s",
        reference=nginx.rps, reference_label="nginx static, same body",
        ratio=ratio, target="ratio >= 0.8",
        passed=ratio >= 0.8 and _clean(service) and _clean(nginx),
        note="; ".join(notes),
    )]


# ---- b. queries per GET /path --------------------------------------------------------------

def xact_commit(ctx: Context) -> int:
    """Committed transactions of the bench database, read from another database so that the
    reading itself does not count."""
    return int(ctx.psql(f"SELECT xact_commit FROM pg_stat_database WHERE datname = "
                        f"'{ctx.db_name}'", database="postgres"))


def settled_xact_commit(ctx: Context, timeout: float = 30) -> int:
    """xact_commit once no session is connected to the bench database and the counter is still.

    PostgreSQL 15 backends publish their counters at most once a second and otherwise only when
    idle for a while or when they exit; an idle pooled connection can hold its last second's
    commits back indefinitely. So every counting run stops the service (its connections close and
    their backends flush on exit) before the counter is read.
    """
    deadline = time.monotonic() + timeout
    query = f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{ctx.db_name}'"
    while int(ctx.psql(query, database="postgres")) > 0:
        if time.monotonic() > deadline:
            raise TimeoutError(f"sessions stay connected to {ctx.db_name}")
        time.sleep(0.05)
    time.sleep(0.3)
    last = xact_commit(ctx)
    while True:
        time.sleep(0.3)
        now = xact_commit(ctx)
        if now == last:
            return now
        if time.monotonic() > deadline:
            raise TimeoutError("xact_commit of the bench database does not settle")
        last = now


def _get(conn: http.client.HTTPConnection, path: str, headers: dict) -> tuple[int, bytes]:
    conn.request("GET", path, headers=headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def transactions_of_run(ctx: Context, token: str, target: str, count: int) -> int:
    """Commits of the bench database over one whole service run: start, COUNT_WARMUP GET /path,
    `count` sequential GETs of `target`, stop."""
    headers = {"Authorization": f"Bearer {token}"}
    before = settled_xact_commit(ctx)
    with ctx.service(COUNTING_ENV) as svc:
        conn = http.client.HTTPConnection("127.0.0.1", svc.port, timeout=10)
        try:
            for path, times in (("/api/v1/path", COUNT_WARMUP), (target, count)):
                for _ in range(times):
                    status, body = _get(conn, path, headers)
                    if status != 200:
                        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
        finally:
            conn.close()
    return settled_xact_commit(ctx) - before


def queries_per_path(ctx: Context, token: str) -> tuple[float, int, int]:
    """(transactions per GET /path, commits of the /path run, of the /health/live baseline)."""
    # VACUUM ANALYZE first, so that autovacuum finds nothing to do in the bench database (its
    # transactions would count) while the runs last.
    ctx.psql("VACUUM ANALYZE")
    baseline = transactions_of_run(ctx, token, "/health/live", COUNT_REQUESTS)
    path = transactions_of_run(ctx, token, "/api/v1/path", COUNT_REQUESTS)
    return (path - baseline) / COUNT_REQUESTS, path, baseline


def path_throughput(ctx: Context, token: str) -> tuple[WrkResult, int, int]:
    """GET /path requests/s; also the number of pages and the response size."""
    headers = {"Authorization": f"Bearer {token}"}
    with ctx.service(LEARNING_ENV) as svc:
        url = svc.url("/api/v1/path")
        status, body = http_request(url, headers=headers)
        if status != 200:
            raise RuntimeError(f"GET /api/v1/path answered {status}: {body[:300]!r}")
        pages = page_count(json.loads(body))
        ctx.log(f"GET /path ({pages} pages, {len(body)} B) for {DURATION} s")
        ctx.wrk(url, headers=headers, duration=WARMUP, **WRK_OPTS)
        result = ctx.wrk(url, headers=headers, duration=DURATION, **WRK_OPTS)
    return result, pages, len(body)


def generate_large_course(target: Path, pages_per_module: int) -> int:
    """Copies the bundled content and fills every module up to `pages_per_module` pages, in
    bokmål and nynorsk alike, keeping each module's estimated_minutes the sum of its pages'.
    Returns the number of pages."""
    shutil.copytree(BUNDLED_CONTENT, target)
    total = 0
    for module_dir in sorted((target / "modules").iterdir()):
        pages = sorted(p for p in module_dir.glob("*.md") if not p.name.endswith(".nn.md"))
        minutes = 0
        for page in pages:
            found = re.search(r"^estimated_minutes\s*=\s*(\d+)\s*$", page.read_text(), re.M)
            if not found:
                raise RuntimeError(f"{page} has no estimated_minutes")
            minutes += int(found.group(1))
        number = module_dir.name.split("-", 1)[0]
        for position in range(len(pages) + 1, pages_per_module + 1):
            slug = f"benk-m{number}-side-{position:02d}"
            for suffix, text, points, question in (
                ("md", "Denne siden er generert", "- ett punkt\n- et annet punkt",
                 "Hva tar du med deg fra"),
                ("nn.md", "Denne sida er generert", "- eitt punkt\n- eit anna punkt",
                 "Kva tek du med deg frå"),
            ):
                (module_dir / f"{position:02d}-{slug}.{suffix}").write_text(
                    "+++\n"
                    f'title = "Generert side {position} i modul {number}"\n'
                    f"estimated_minutes = {GENERATED_MINUTES}\n"
                    "+++\n\n"
                    f"{text} for lasttesten (modul {number}, side {position}).\n\n"
                    f"{points}\n\n"
                    "```reflection\n"
                    'id = "q1"\n'
                    f'question = "{question} side {position} i modul {number}?"\n'
                    "```\n")
            minutes += GENERATED_MINUTES
        for manifest in (module_dir / "module.toml", module_dir / "module.nn.toml"):
            if not manifest.exists():
                continue
            text, replaced = re.subn(r"(?m)^estimated_minutes\s*=.*$",
                                     f"estimated_minutes = {minutes}", manifest.read_text())
            if replaced != 1:
                raise RuntimeError(f"{manifest} has no single estimated_minutes line")
            manifest.write_text(text)
        total += max(len(pages), pages_per_module)
    return total


def publish(ctx: Context, content_dir: Path) -> None:
    output = ctx.run_command("content", "publish", str(content_dir), env_extra=LEARNING_ENV)
    ctx.log(next((line for line in output.splitlines() if "published revision" in line),
                 f"published {content_dir}"))


def path_queries(ctx: Context, token: str) -> list[Row]:
    with ctx.service(LEARNING_ENV) as svc:
        small_pages = page_count(first_page(svc, token)[0])
    ctx.log(f"counting transactions of {COUNT_REQUESTS} GET /path ({small_pages} pages)")
    small_q, small_run, small_base = queries_per_path(ctx, token)
    small_rps, _, small_bytes = path_throughput(ctx, token)

    large_dir = ctx.tmp / "content-large"
    generated = generate_large_course(large_dir, LARGE_MODULES_PAGES)
    try:
        publish(ctx, large_dir)
        with ctx.service(LEARNING_ENV) as svc:
            large_pages = page_count(first_page(svc, token)[0])
        if large_pages != generated:
            raise RuntimeError(f"published {generated} pages but GET /path lists {large_pages}")
        ctx.log(f"counting transactions of {COUNT_REQUESTS} GET /path ({large_pages} pages)")
        large_q, large_run, large_base = queries_per_path(ctx, token)
        large_rps, _, large_bytes = path_throughput(ctx, token)
    finally:
        # Leave the bundled course published for whatever runs next.
        publish(ctx, BUNDLED_CONTENT)

    constant = abs(large_q - small_q) < 0.05
    count_note = (f"pg_stat_database.xact_commit over a service run of {COUNT_WARMUP} + "
                  f"{COUNT_REQUESTS} sequential GET /path minus a run of {COUNT_WARMUP} + "
                  f"{COUNT_REQUESTS} GET /health/live, over {COUNT_REQUESTS}; every statement "
                  f"outside a transaction commits one, a whole transaction counts once, and a "
                  f"statement prepared afresh commits twice (its Parse and its Execute each end "
                  f"with a Sync)")
    rps_ratio = large_rps.rps / small_rps.rps if small_rps.rps else 0.0
    rps_notes = [f"{large_pages} pages ({large_bytes} B) p50/p99 {large_rps.p50_ms:.2f}/"
                 f"{large_rps.p99_ms:.2f} ms; {small_pages} pages ({small_bytes} B) "
                 f"{small_rps.rps:.0f} req/s, p50/p99 {small_rps.p50_ms:.2f}/"
                 f"{small_rps.p99_ms:.2f} ms; wrk -t2 -c32 -d{DURATION}s"]
    rps_notes += _errors_note((f"{small_pages} pages", small_rps),
                              (f"{large_pages} pages", large_rps))
    return [
        Row(figure=f"GET /path DB transactions/request ({small_pages} pages)",
            value=small_q, unit="",
            note=f"{count_note}; commits {small_run} vs {small_base}"),
        Row(figure=f"GET /path DB transactions/request ({large_pages} pages)",
            value=large_q, unit="",
            reference=small_q, reference_label=f"{small_pages} pages",
            ratio=large_q / small_q if small_q else None,
            target="= small (constant)", passed=constant,
            note=f"commits {large_run} vs {large_base}; equal means within 0.05"),
        Row(figure=f"GET /path req/s, {large_pages} vs {small_pages} pages",
            value=large_rps.rps, unit="req/s",
            reference=small_rps.rps, reference_label=f"{small_pages} pages",
            ratio=rps_ratio,
            passed=None if _clean(small_rps) and _clean(large_rps) else False,
            note="; ".join(rps_notes)),
    ]


# ---- c. completion writes ------------------------------------------------------------------

def completion_lua(ctx: Context, path: str, tokens: list[str], stride: int = 101,
                   keys: str | None = None):
    """A wrk script that PUTs `path` with each token in turn (each thread from its own offset,
    `stride` tokens after the thread before it). With `keys`, each request carries an
    Idempotency-Key of its own (`<keys>-<thread>-<n>`), as a client's outbox sends them."""
    if any(not re.fullmatch(r"[A-Za-z0-9._-]+", t) for t in tokens):
        raise ValueError("unexpected characters in an access token")
    if keys is not None and not re.fullmatch(r"[A-Za-z0-9-]+", keys):
        raise ValueError("unexpected characters in a key prefix")
    listed = ",\n".join(f'  "{t}"' for t in tokens)
    prelude = f"""\
        local tokens = {{
        {listed}
        }}
        local requests = {{}}
        local counter = 0
        local threads = 0

        function setup(thread)
          thread:set("offset", threads * {stride})
          thread:set("thread", threads)
          threads = threads + 1
        end

        function init(args)
          for i, token in ipairs(tokens) do
            requests[i] = wrk.format("PUT", "{path}", {{["Authorization"] = "Bearer " .. token}})
          end
          counter = offset or 0
        end
    """
    if keys is None:
        prelude += """
        function request()
          counter = counter + 1
          return requests[counter % #requests + 1]
        end
        """
    else:
        prelude += f"""
        function request()
          counter = counter + 1
          local token = tokens[counter % #tokens + 1]
          return wrk.format("PUT", "{path}", {{
            ["Authorization"] = "Bearer " .. token,
            ["Idempotency-Key"] = "{keys}-" .. thread .. "-" .. counter,
          }})
        end
        """
    return ctx.write_lua("completion" if keys is None else f"completion-{keys}", prelude)


def pgbench(ctx: Context, script: Path) -> tuple[float, str]:
    """Runs pgbench -n -c32 -j2 -T<DURATION> with `script`; returns (tps, output)."""
    args = ["pgbench", "-h", ctx.pg_host, "-p", str(ctx.pg_port), "-U", ctx.pg_user, "-n",
            "-c", "32", "-j", "2", "-T", str(DURATION), "-f", str(script), ctx.db_name]
    proc = ctx.spawn(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        out, _ = proc.communicate(timeout=DURATION + 60)
    except BaseException:
        ctx.stop(proc, grace=2.0)
        raise
    ctx.reap(proc)
    text = out.decode("utf-8", "replace")
    found = re.search(r"^tps = ([0-9.]+)", text, re.M)
    if proc.returncode != 0 or not found:
        raise RuntimeError(f"pgbench failed ({proc.returncode}):\n{text[-2000:]}")
    return float(found.group(1)), text


def completion_writes(ctx: Context, writers: list[tuple[str, str]]) -> list[Row]:
    tokens = [token for _, token in writers]
    with ctx.service(LEARNING_ENV) as svc:
        _, slug = first_page(svc, tokens[0])
        path = f"/api/v1/modules/1/pages/{slug}/completion"
        status, body = http_request(svc.url(path), method="PUT",
                                    headers={"Authorization": f"Bearer {tokens[0]}"})
        if status != 200:
            raise RuntimeError(f"PUT {path} answered {status}: {body[:300]!r}")
        script = completion_lua(ctx, path, tokens)
        ctx.log(f"PUT {path} over {len(tokens)} mentors for {DURATION} s")
        # The warm-up also completes the page for every mentor; the measurement then writes
        # what is already there (idempotent), as pgbench's ON CONFLICT DO NOTHING does below.
        ctx.wrk(svc.url(path), script=script, duration=WARMUP, **WRK_OPTS)
        service = ctx.wrk(svc.url(path), script=script, duration=DURATION, **WRK_OPTS)
        # The same writes as an outbox sends them: each with a new Idempotency-Key, which the
        # service claims before and keeps (sealed) after the write.
        ctx.log(f"PUT {path} with an Idempotency-Key each, for {DURATION} s")
        ctx.wrk(svc.url(path), script=completion_lua(ctx, path, tokens, keys="warm"),
                duration=WARMUP, **WRK_OPTS)
        keyed = ctx.wrk(svc.url(path), script=completion_lua(ctx, path, tokens, keys="run"),
                        duration=DURATION, **WRK_OPTS)
    kept = int(ctx.psql("SELECT count(*) FROM idempotency_keys WHERE key LIKE 'run-%' "
                        "AND status_code = 200"))
    done = int(ctx.psql(f"SELECT count(*) FROM page_completions WHERE page_slug = '{slug}' "
                        f"AND user_id IN (SELECT id FROM users WHERE email LIKE 'bench-mentor-%')"))

    # The same users, numbered 1..WRITERS for pgbench's random pick; the service is stopped.
    values = ", ".join(f"({n}, '{uid}')" for n, (uid, _) in enumerate(writers, start=1))
    ctx.psql("DROP TABLE IF EXISTS bench_users; "
             "CREATE TABLE bench_users (n integer PRIMARY KEY, id uuid NOT NULL); "
             f"INSERT INTO bench_users (n, id) VALUES {values}")
    sql = ctx.tmp / "completion.sql"
    sql.write_text(
        f"\\set n random(1, {len(writers)})\n"
        "INSERT INTO page_completions (user_id, page_slug, module_number) "
        f"SELECT id, '{slug}', 1 FROM bench_users WHERE n = :n ON CONFLICT DO NOTHING;\n")
    try:
        ctx.log(f"pgbench: the same upsert, 32 clients, for {DURATION} s")
        tps, pgbench_out = pgbench(ctx, sql)
        # What a key costs the database: its claim and the keeping of its answer, two
        # transactions, as the service runs them (a fresh key each time).
        keyed_sql = ctx.tmp / "idempotency.sql"
        keyed_sql.write_text(
            f"\\set n random(1, {len(writers)})\n"
            "\\set k random(1, 2000000000)\n"
            "INSERT INTO idempotency_keys (user_id, key, fingerprint, created_at, locked_until) "
            "SELECT id, 'pg-' || :k || '-' || :client_id, sha256('x'::bytea), now(), "
            "now() + interval '60 seconds' FROM bench_users WHERE n = :n ON CONFLICT DO NOTHING;\n"
            "UPDATE idempotency_keys SET status_code = 200, headers = '{\"content-type\": "
            "\"application/json\"}', body_ciphertext = sha256('y'::bytea), key_id = 'k' "
            "WHERE user_id = (SELECT id FROM bench_users WHERE n = :n) "
            "AND key = 'pg-' || :k || '-' || :client_id AND status_code IS NULL;\n")
        ctx.log(f"pgbench: an Idempotency-Key's claim and answer, 32 clients, for {DURATION} s")
        keyed_tps, _ = pgbench(ctx, keyed_sql)
    finally:
        ctx.psql("DROP TABLE IF EXISTS bench_users")
    latency = re.search(r"^latency average = ([0-9.]+) ms", pgbench_out, re.M)

    ratio = service.rps / tps if tps else 0.0
    notes = [f"{len(tokens)} mentors in turn ({done} have the page completed); p50/p99 "
             f"{service.p50_ms:.2f}/{service.p99_ms:.2f} ms; wrk -t2 -c32 -d{DURATION}s; "
             f"pgbench -n -c32 -j2 -T{DURATION} (simple protocol) INSERT ... ON CONFLICT DO "
             f"NOTHING for a random one of the same users"
             + (f", latency average {latency.group(1)} ms" if latency else "")]
    notes += _errors_note(("service", service))
    return [
        Row(figure="PUT page completion req/s (200 mentors)",
            value=service.rps, unit="req/s",
            reference=tps, reference_label="pgbench same upsert",
            ratio=ratio, target="ratio >= 0.3",
            passed=ratio >= 0.3 and _clean(service) and done == len(tokens),
            note="; ".join(notes)),
        Row(figure="  p99 of PUT page completion",
            value=service.p99_ms, unit="ms", target="< 10 ms",
            passed=service.p99_ms < 10 and _clean(service)),
        Row(figure="PUT page completion with Idempotency-Key req/s",
            value=keyed.rps, unit="req/s",
            reference=keyed_tps, reference_label="pgbench same claim + answer",
            ratio=keyed.rps / keyed_tps if keyed_tps else 0.0, target="ratio >= 0.3",
            passed=(keyed_tps > 0 and keyed.rps / keyed_tps >= 0.3 and _clean(keyed)
                    and kept >= keyed.requests * 0.99),
            note=f"a new key per request, {kept} answers kept; p50/p99 {keyed.p50_ms:.2f}/"
                 f"{keyed.p99_ms:.2f} ms; without a key the same PUT (nothing to write) "
                 f"serves {service.rps:,.0f} req/s: a key costs two commits"
                 + "".join(f"; {n}" for n in _errors_note(("keyed", keyed)))),
    ]


# ---- d. new completions --------------------------------------------------------------------

NEW_WRITERS = 100_000  # mentors who complete the page for the first time, one request each
NEW_DURATION = 5


def mint_tokens(user_ids: list[str]) -> list[str]:
    """Access tokens as the service issues them (HS256 under the bench's JWT secret, session
    version 1 as a new account has), so a hundred thousand mentors need not sign in one by one."""
    import base64
    import hashlib
    import hmac
    from harness import SERVICE_ENV

    def b64(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    secret = SERVICE_ENV["JWT_SECRET"].encode()
    header = b64(json.dumps({"typ": "JWT", "alg": "HS256"}).encode())
    now = int(time.time())
    tokens = []
    for uid in user_ids:
        claims = b64(json.dumps({"iss": "mentorsti", "aud": "mentorsti-api", "sub": uid,
                                 "role": "mentor", "ver": 1, "iat": now, "exp": now + 3600}).encode())
        signing = f"{header}.{claims}".encode()
        tokens.append(f"{header}.{claims}.{b64(hmac.new(secret, signing, hashlib.sha256).digest())}")
    return tokens


def new_completions(ctx: Context) -> list[Row]:
    ctx.psql(f"""
        INSERT INTO users (email, name, role, email_verified_at)
        SELECT 'bench-new-' || g || '@example.no', 'Ny mentor ' || g, 'mentor', now()
        FROM generate_series(1, {NEW_WRITERS}) AS g ON CONFLICT DO NOTHING""")
    ids = ctx.psql("SELECT id FROM users WHERE email LIKE 'bench-new-%' ORDER BY email").splitlines()
    tokens = mint_tokens(ids)
    with ctx.service(LEARNING_ENV) as svc:
        _, slug = first_page(svc, tokens[0])
        path = f"/api/v1/modules/1/pages/{slug}/completion"
        # Each of wrk's two threads takes its own half of the mentors, so no request repeats.
        script = completion_lua(ctx, path, tokens, stride=len(tokens) // WRK_OPTS["threads"])
        ctx.log(f"PUT {path} for {len(tokens)} mentors who have not done it, for {NEW_DURATION} s")
        service = ctx.wrk(svc.url(path), script=script, duration=NEW_DURATION, **WRK_OPTS)
    written = int(ctx.psql(f"SELECT count(*) FROM page_completions WHERE page_slug = '{slug}' "
                           "AND user_id IN (SELECT id FROM users WHERE email LIKE 'bench-new-%')"))
    slugs = ctx.psql("SELECT DISTINCT page_slug FROM page_completions").splitlines()
    ctx.psql("DROP TABLE IF EXISTS bench_users; "
             "CREATE TABLE bench_users (n integer PRIMARY KEY, id uuid NOT NULL); "
             "INSERT INTO bench_users SELECT row_number() OVER (ORDER BY id), id FROM users "
             "WHERE email LIKE 'bench-new-%'")
    slug_list = ", ".join(f"'{s}'" for s in slugs if SLUG_RE.match(s))
    sql = ctx.tmp / "new-completion.sql"
    sql.write_text(
        f"\\set n random(1, {NEW_WRITERS})\n"
        "INSERT INTO page_completions (user_id, page_slug, module_number) "
        f"SELECT id, (ARRAY[{slug_list}])[1 + :n % {max(1, len(slugs))}], 9 FROM bench_users "
        "WHERE n = :n ON CONFLICT DO NOTHING;\n")
    before = int(ctx.psql("SELECT count(*) FROM page_completions"))
    try:
        ctx.log("pgbench: new rows into page_completions, 32 clients")
        tps, _ = pgbench(ctx, sql)
        ctx.psql("DELETE FROM page_completions WHERE module_number = 9")
        # The same without the change notification: what NOTIFY costs (its commit lock).
        ctx.psql("ALTER TABLE page_completions DISABLE TRIGGER page_completions_notify_changed")
        try:
            quiet_tps, _ = pgbench(ctx, sql)
        finally:
            ctx.psql("ALTER TABLE page_completions ENABLE TRIGGER page_completions_notify_changed")
    finally:
        ctx.psql("DROP TABLE IF EXISTS bench_users; DELETE FROM page_completions WHERE module_number = 9")
    inserted_share = ""
    after_note = f"{written} new completions for {service.requests} requests"
    ratio = service.rps / tps if tps else 0.0
    return [
        Row(figure="PUT page completion req/s, new rows",
            value=service.rps, unit="req/s",
            reference=tps, reference_label="pgbench INSERT new rows",
            ratio=ratio,
            passed=None if _clean(service) and written >= min(service.requests, NEW_WRITERS) * 0.99 else False,
            note=f"{after_note}; p50/p99 {service.p50_ms:.2f}/{service.p99_ms:.2f} ms; wrk -t2 -c32 -d{NEW_DURATION}s; "
                 f"pgbench -n -c32 -j2 -T{DURATION} INSERT of mostly new rows (before: {before} rows){inserted_share}"),
        Row(figure="  p99 of PUT page completion, new rows",
            value=service.p99_ms, unit="ms",
            passed=None if _clean(service) else False),
        Row(figure="  pgbench INSERT new rows without NOTIFY",
            value=quiet_tps, unit="tps",
            reference=tps, reference_label="with NOTIFY", ratio=quiet_tps / tps if tps else 0.0,
            note="the progress trigger's NOTIFY takes a cluster-wide lock from commit to its end, "
                 "so notifying transactions commit one at a time"),
    ]
