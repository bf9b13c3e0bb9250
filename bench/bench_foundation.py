"""Foundation figures: authenticated read throughput, latency under a login storm, start-up time.

a. GET /api/v1/me requests/s vs nginx serving the same body bytes from a file (ratio >= 0.5).
b. p99 of GET /me at a steady pace (4 connections, each sending a request 1 ms after its last
   answer) while 200 connections hammer POST /auth/login, over the p99 without them (<= 3x); and,
   for information, the same at full speed (closed loop, CPUs saturated).
c. Time from starting the binary to /health/ready answering 200 (median of 5, < 1 s).
"""

from __future__ import annotations

import statistics
import time

from harness import Context, Row, WrkResult, http_request

DURATION = 10  # seconds per wrk measurement
WARMUP = 1  # seconds of unmeasured load before a throughput measurement
STARTS = 5
POLL_INTERVAL = 0.005


def run(ctx: Context) -> list[Row]:
    email, password = ctx.ensure_admin()
    rows: list[Row] = []
    rows += me_vs_nginx(ctx)
    rows += login_storm(ctx, email, password)
    rows += startup(ctx)
    return rows


def _clean(result: WrkResult) -> bool:
    return result.error_count == 0 and result.requests > 0


def _error_notes(**results: WrkResult) -> list[str]:
    """"<label> <errors>" for each wrk run that saw errors."""
    return [f"{label} {result.describe_errors()}" for label, result in results.items()
            if result.describe_errors()]


def me_vs_nginx(ctx: Context) -> list[Row]:
    wrk_opts = dict(threads=2, connections=32)
    with ctx.service() as svc:
        token = ctx.login(svc)["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        url = svc.url("/api/v1/me")
        status, body = http_request(url, headers=headers)
        if status != 200:
            raise RuntimeError(f"GET /api/v1/me answered {status}: {body[:300]!r}")
        ctx.log(f"/me body is {len(body)} bytes; measuring the service for {DURATION} s")
        ctx.wrk(url, headers=headers, duration=WARMUP, **wrk_opts)
        service = ctx.wrk(url, headers=headers, duration=DURATION, **wrk_opts)

    # The service is stopped before the reference runs, so they do not share the CPUs.
    with ctx.nginx_static(body) as static_url:
        ctx.log(f"measuring nginx ({ctx.service_workers} workers) serving the same "
                f"{len(body)} bytes for {DURATION} s")
        # Same request bytes as for the service, Authorization header included.
        ctx.wrk(static_url, headers=headers, duration=WARMUP, **wrk_opts)
        nginx = ctx.wrk(static_url, headers=headers, duration=DURATION, **wrk_opts)

    ratio = service.rps / nginx.rps if nginx.rps else 0.0
    notes = [f"p50/p99 service {service.p50_ms:.2f}/{service.p99_ms:.2f} ms, "
             f"nginx {nginx.p50_ms:.2f}/{nginx.p99_ms:.2f} ms; body {len(body)} B; "
             f"wrk -t2 -c32 -d{DURATION}s"]
    notes += _error_notes(service=service, nginx=nginx)
    return [Row(
        figure="GET /me throughput (valid token)",
        value=service.rps, unit="req/s",
        reference=nginx.rps, reference_label="nginx static, same body",
        ratio=ratio, target="ratio >= 0.5",
        passed=ratio >= 0.5 and _clean(service) and _clean(nginx),
        note="; ".join(notes),
    )]


# Each /me connection waits this long after an answer before its next request: about 3,000
# requests/s on 4 connections, a tenth of what the service can serve, so the p99 is the latency of
# a request, not of a queue.
PACE_MS = 1


def _p99_during_storm(ctx: Context, svc, login_script, headers: dict,
                      script=None) -> tuple[WrkResult, WrkResult, WrkResult]:
    """GET /me alone, then during a 200-connection login storm: (baseline, during, storm)."""
    me_url = svc.url("/api/v1/me")
    me_opts = dict(threads=1, connections=4, headers=headers, duration=DURATION, script=script)
    baseline = ctx.wrk(me_url, **me_opts)
    # The storm starts half a second early and runs a second longer so that it covers the whole
    # /me measurement window.
    storm_run = ctx.wrk_start(svc.url("/api/v1/auth/login"), threads=1, connections=200,
                              duration=DURATION + 1, script=login_script)
    try:
        time.sleep(0.5)
        during = ctx.wrk(me_url, **me_opts)
    finally:
        storm = storm_run.result()
    return baseline, during, storm


def _storm_row(figure: str, baseline: WrkResult, during: WrkResult, how: str,
               target: bool) -> Row:
    ratio = during.p99_ms / baseline.p99_ms if baseline.p99_ms else float("inf")
    notes = [f"baseline p50/p99 {baseline.p50_ms:.2f}/{baseline.p99_ms:.2f} ms "
             f"({baseline.rps:.0f} req/s); storm p50/p99 {during.p50_ms:.2f}/"
             f"{during.p99_ms:.2f} ms ({during.rps:.0f} req/s); {how}"]
    notes += _error_notes(baseline=baseline, storm=during)
    return Row(figure=figure, value=during.p99_ms, unit="ms",
               reference=baseline.p99_ms, reference_label="p99 without storm",
               ratio=ratio, target="ratio <= 3" if target else None,
               passed=(ratio <= 3.0 and _clean(baseline) and _clean(during)) if target else None,
               note="; ".join(notes))


def login_storm(ctx: Context, email: str, password: str) -> list[Row]:
    login_script = ctx.post_json_lua("login", {"email": email, "password": password})
    paced_script = ctx.write_lua("paced", f"function delay() return {PACE_MS} end")
    with ctx.service() as svc:
        token = ctx.login(svc)["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        status, body = http_request(svc.url("/api/v1/me"), headers=headers)
        if status != 200:
            raise RuntimeError(f"GET /api/v1/me answered {status}: {body[:300]!r}")
        ctx.log(f"GET /me p99 at a steady pace, alone and during a login storm, {DURATION} s each")
        paced = _p99_during_storm(ctx, svc, login_script, headers, script=paced_script)
        ctx.log(f"GET /me p99 at full speed, alone and during a login storm, {DURATION} s each")
        flat_out = _p99_during_storm(ctx, svc, login_script, headers)

    rows = [
        _storm_row("GET /me p99 during login storm", paced[0], paced[1],
                   f"/me wrk -t1 -c4 -d{DURATION}s, {PACE_MS} ms between a connection's requests",
                   target=True),
        _storm_row("  same, /me at full speed (CPUs saturated)", flat_out[0], flat_out[1],
                   f"/me wrk -t1 -c4 -d{DURATION}s, closed loop", target=False),
    ]
    storm = paced[2]
    failed_logins = storm.errors.get("status", 0)
    ok_logins = storm.requests - failed_logins
    storm_note = (f"{storm.requests} responses in {storm.duration_s:.1f} s ({ok_logins} OK, "
                  f"{failed_logins} non-2xx), p50/p99 {storm.p50_ms:.0f}/{storm.p99_ms:.0f} ms; "
                  f"wrk -t1 -c200 -d{DURATION + 1}s, during the paced /me load")
    if storm.describe_errors():
        storm_note += "; " + storm.describe_errors()
    rows += [
        Row(figure="POST /auth/login req/s in storm (any status)",
            value=storm.rps, unit="req/s", note=storm_note),
        Row(figure="  of which successful (200) logins/s",
            value=ok_logins / storm.duration_s if storm.duration_s else 0.0, unit="req/s"),
    ]
    return rows


def startup(ctx: Context) -> list[Row]:
    """Start-up to ready against a database that is up and already migrated."""
    ctx.migrate()
    times = []
    for _ in range(STARTS):
        started = time.monotonic()
        svc = ctx.start_service(wait=False)
        try:
            ctx.wait_ready(svc, timeout=30, interval=POLL_INTERVAL)
            times.append(time.monotonic() - started)
        finally:
            ctx.stop_service(svc)
    median_ms = statistics.median(times) * 1000
    return [Row(
        figure="start-up to /health/ready",
        value=median_ms, unit="ms",
        target="< 1000 ms", passed=median_ms < 1000,
        note=f"median of {STARTS} starts; all: "
             + ", ".join(f"{t * 1000:.0f}" for t in times)
             + f" ms; polled every {POLL_INTERVAL * 1000:.0f} ms",
    )]
