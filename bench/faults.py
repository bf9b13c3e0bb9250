#!/usr/bin/env python3
"""Faults, scripted: what the service does when PostgreSQL or SMTP goes away under load.

Everything runs on private resources: a throwaway PostgreSQL cluster (initdb/pg_ctl on a free
port under a temporary directory; never the machine's server), the service binary on a free port,
and a small SMTP catcher in this process. Prints what it saw and exits non-zero if an expectation
fails.

1. Database down under load. Python threads keep requesting an authenticated, database-backed
   endpoint (GET /api/v1/path) and /health/ready. The cluster is stopped (`pg_ctl -m immediate`,
   like a crash) for DB_DOWN_SECONDS. Expected: /health/ready answers 503 and API requests fail
   with 503 problem JSON, each within 5 s, no hang, the process stays up; when the cluster is
   back, the service recovers by itself within 30 s (the time is measured).
2. SMTP down. Password-reset mails are queued for MAILS users while nothing listens on the SMTP
   port; the worker retries with backoff (MAIL_RETRY_MAX_BACKOFF_SECS=2). Then an hour of failed
   attempts is simulated in SQL (attempts raised as an hour at the default 600 s cap would), the
   catcher comes up on the same port, and every mail must arrive exactly once.

1b. Database hung under load: the cluster's processes are frozen (SIGSTOP) so sockets stay open
   but nothing answers; requests must still answer (503) within 5 s and recover after SIGCONT.
3. Killed mid-write: the service is killed (SIGKILL) while it stores a 5,000-row CSV invitation
   (the moment is found in pg_stat_activity); afterwards there are either no invitations and
   mails from it or all 5,000 of each, never part.

Usage: bench/faults.py [--db-down-seconds 10] [--mails 40] [--threads 8]
Binary: MENTORSTI_BIN, else target/debug/mentorsti (built first).
"""

from __future__ import annotations

import argparse
import json
import os
import pwd
import re
import shutil
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "Feiltesting under last 2026 er gøy"
failures: list[str] = []


def log(message: str) -> None:
    print(message, flush=True)


def expect(ok: bool, what: str) -> None:
    log(f"  [{'ok' if ok else 'FAIL'}] {what}")
    if not ok:
        failures.append(what)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def find_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise SystemExit(f"{name} not found (install the PostgreSQL server binaries)")


# ---- a throwaway PostgreSQL cluster -------------------------------------------------------------

class Cluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="mentorsti-faults-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            # initdb refuses to run as root: the cluster belongs to the postgres system user.
            user = pwd.getpwnam("postgres")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run([*self.as_user, *args], capture_output=True, text=True, check=check)

    def init(self) -> None:
        self.run(find_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                 "--no-sync", "-E", "UTF8")

    def start(self) -> float:
        started = time.monotonic()
        self.run(find_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "server.log"),
                 "-w", "-o", f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off",
                 "start")
        return time.monotonic() - started

    def stop(self, mode: str = "fast") -> None:
        self.run(find_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop", check=False)

    def pids(self) -> list[int]:
        """The postmaster (from postmaster.pid) and its children."""
        postmaster = int((self.data / "postmaster.pid").read_text().split()[0])
        children = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                children.append(int(stat.parent.name))
        return [postmaster, *children]

    def freeze(self, frozen: bool) -> None:
        """SIGSTOP/SIGCONT: the server keeps its sockets open but answers nothing (a hung host)."""
        for pid in self.pids():
            try:
                os.kill(pid, signal.SIGSTOP if frozen else signal.SIGCONT)
            except ProcessLookupError:
                pass

    def psql(self, sql: str, database: str = "mentorsti") -> str:
        url = self.url.rsplit("/", 1)[0] + "/" + database
        return subprocess.run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql],
                              capture_output=True, text=True, check=True).stdout.strip()

    def remove(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)


# ---- a minimal SMTP catcher ---------------------------------------------------------------------

class Catcher:
    """Just enough SMTP for lettre: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT."""

    def __init__(self, port: int) -> None:
        self.received: list[tuple[list[str], bytes]] = []
        lock = threading.Lock()
        received = self.received

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                self.wfile.write(b"220 faults.test ESMTP\r\n")
                recipients: list[str] = []
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    verb = line.decode("latin-1").strip().split(" ")[0].upper()
                    if verb in ("EHLO", "HELO"):
                        self.wfile.write(b"250-faults.test\r\n250 8BITMIME\r\n")
                    elif verb == "MAIL":
                        recipients = []
                        self.wfile.write(b"250 OK\r\n")
                    elif verb == "RCPT":
                        recipients.append(re.sub(r".*<(.*)>.*", r"\1", line.decode("latin-1").strip()))
                        self.wfile.write(b"250 OK\r\n")
                    elif verb == "DATA":
                        self.wfile.write(b"354 go on\r\n")
                        data = b""
                        while True:
                            chunk = self.rfile.readline()
                            if not chunk or chunk == b".\r\n":
                                break
                            data += chunk
                        with lock:
                            received.append((recipients, data))
                        self.wfile.write(b"250 queued\r\n")
                    elif verb == "QUIT":
                        self.wfile.write(b"221 bye\r\n")
                        return
                    else:
                        self.wfile.write(b"250 OK\r\n")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self.server = Server(("127.0.0.1", port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---- HTTP and load ------------------------------------------------------------------------------

def request(url: str, method: str = "GET", body: dict | None = None, token: str | None = None,
            timeout: float = 30.0) -> tuple[int, dict | None, float]:
    started = time.monotonic()
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("content-type", "application/json")
    if token:
        req.add_header("authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            status, raw, ctype = response.status, response.read(), response.headers.get("content-type", "")
    except urllib.error.HTTPError as error:
        status, raw, ctype = error.code, error.read(), error.headers.get("content-type", "")
    except (urllib.error.URLError, TimeoutError, ConnectionError, OSError):
        return -1, None, time.monotonic() - started
    parsed = None
    if "json" in ctype:
        try:
            parsed = json.loads(raw)
        except ValueError:
            parsed = None
    return status, ({"_ctype": ctype, **parsed} if isinstance(parsed, dict) else None), time.monotonic() - started


class Load:
    """Threads requesting `url` in a loop; every answer is kept as (time, status, seconds, code)."""

    def __init__(self, urls: list[str], token: str, threads: int) -> None:
        self.samples: list[tuple[float, str, int, float, str | None, str]] = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.loop, args=(urls[i % len(urls)], token), daemon=True)
                        for i in range(threads)]

    def loop(self, url: str, token: str) -> None:
        while not self.stopping.is_set():
            at = time.monotonic()
            status, body, took = request(url, token=token, timeout=30)
            code = body.get("code") if body else None
            ctype = body.get("_ctype", "") if body else ""
            with self.lock:
                self.samples.append((at, url, status, took, code, ctype))
            if status != 200:
                time.sleep(0.05)

    def __enter__(self) -> "Load":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=40)

    def between(self, start: float, end: float) -> list:
        with self.lock:
            return [s for s in self.samples if start <= s[0] < end]


# ---- the service --------------------------------------------------------------------------------

def binary() -> str:
    if os.environ.get("MENTORSTI_BIN"):
        return os.environ["MENTORSTI_BIN"]
    subprocess.run(["cargo", "build", "--quiet", "--bin", "mentorsti"], cwd=REPO, check=True)
    return str(REPO / "target" / "debug" / "mentorsti")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db-down-seconds", type=float, default=10)
    parser.add_argument("--mails", type=int, default=40)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()

    exe = binary()
    cluster = Cluster()
    data_dir = Path(tempfile.mkdtemp(prefix="mentorsti-faults-"))
    service = None
    try:
        cluster.init()
        cluster.start()
        cluster.psql("CREATE DATABASE mentorsti", database="postgres")
        port, smtp_port = free_port(), free_port()
        base = f"http://127.0.0.1:{port}"
        env = {
            "PATH": os.environ.get("PATH", ""),
            "DATABASE_URL": cluster.url.rsplit("/", 1)[0] + "/mentorsti",
            "DATABASE_POOL_SIZE": "8",
            "BIND": f"127.0.0.1:{port}",
            "PUBLIC_BASE_URL": base,
            "DATA_DIR": str(data_dir),
            "CONTENT_DIR": str(REPO / "content"),
            "JWT_SECRET": "faults-secret-faults-secret-faults-secret-01",
            "MAIL_TRANSPORT": "smtp",
            "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
            "MAIL_RETRY_MAX_BACKOFF_SECS": "2",
            "WORKER_POLL_INTERVAL_MS": "100",
            "AUTH_RATE_LIMIT_PER_MINUTE": "1000000",
            "WRITE_RATE_LIMIT_PER_MINUTE": "10000000",
            "ACCOUNT_WRITE_RATE_LIMIT_PER_MINUTE": "10000000",
            "LOGIN_MAX_FAILURES": "1000",
            "ACCESS_TOKEN_MINUTES": "60",
            "LOG_FORMAT": "json",
            "RUST_LOG": "warn",
        }
        service_log = open(data_dir / "service.log", "w")
        service = subprocess.Popen([exe, "serve"], env=env, stdout=service_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while request(f"{base}/health/ready", timeout=2)[0] != 200:
            if time.monotonic() > deadline or service.poll() is not None:
                raise SystemExit(f"the service did not start; see {data_dir / 'service.log'}")
            time.sleep(0.1)
        subprocess.run([exe, "create-admin", "--email", "faults@example.no", "--name", "Feil Testesen"],
                       env={**env, "MENTORSTI_ADMIN_PASSWORD": PASSWORD}, check=True, capture_output=True)
        status, body, _ = request(f"{base}/api/v1/auth/login", "POST",
                                  {"email": "faults@example.no", "password": PASSWORD})
        assert status == 200, (status, body)
        token = body["access_token"]
        log(f"service {exe} on {base}, PostgreSQL {cluster.port} (throwaway), SMTP {smtp_port}")

        # ---- 1. the database goes away under load ----
        log(f"\n1. PostgreSQL stopped for {args.db_down_seconds:.0f} s under load ({args.threads} threads)")
        urls = [f"{base}/api/v1/path", f"{base}/health/ready"]
        with Load(urls, token, args.threads) as load:
            time.sleep(3)
            stopped_at = time.monotonic()
            cluster.stop("immediate")
            stop_took = time.monotonic() - stopped_at
            first_503 = {}
            while time.monotonic() < stopped_at + args.db_down_seconds:
                for at, url, status, took, code, _ in load.between(stopped_at, time.monotonic()):
                    if status == 503 and url not in first_503:
                        first_503[url] = at + took - stopped_at
                time.sleep(0.05)
            restarted_at = time.monotonic()
            start_took = cluster.start()
            recovered = {}
            while time.monotonic() < restarted_at + 40 and len(recovered) < len(urls):
                for at, url, status, took, code, _ in load.between(restarted_at, time.monotonic()):
                    if status == 200 and url not in recovered and at >= restarted_at:
                        recovered[url] = at + took - restarted_at
                time.sleep(0.05)
            time.sleep(2)
            end = time.monotonic()
        # Answers to requests sent before the stop and answered before it.
        before = [s for s in load.between(0, stopped_at) if s[0] + s[3] < stopped_at]
        during = load.between(stopped_at + 0.5, restarted_at)
        after = load.between(restarted_at + max(recovered.values(), default=0) + 0.5, end)

        def summary(samples):
            by_status: dict[str, int] = {}
            for _, url, status, _, code, _ in samples:
                key = f"{url.rsplit('/', 1)[-1]} {status}{' ' + code if code else ''}"
                by_status[key] = by_status.get(key, 0) + 1
            worst = max((s[3] for s in samples), default=0)
            return ", ".join(f"{k}: {v}" for k, v in sorted(by_status.items())), worst

        for name, samples in (("before", before), ("while down", during), ("after recovery", after)):
            counts, worst = summary(samples)
            log(f"  {name}: {len(samples)} answers, slowest {worst:.2f} s; {counts}")
        log(f"  pg_ctl stop took {stop_took:.2f} s, start {start_took:.2f} s")
        for url in urls:
            log(f"  {url.rsplit('/', 1)[-1]}: first 503 {first_503.get(url, float('nan')):.2f} s after the stop, "
                f"first 200 {recovered.get(url, float('nan')):.2f} s after PostgreSQL was started again")
        expect(service.poll() is None, "the service process stayed up")
        expect(all(s[2] == 200 for s in before), "all answers were 200 before the stop")
        expect(len(during) > 0 and all(s[2] == 503 for s in during),
               "every answer while PostgreSQL was down was 503")
        expect(all(s[4] == "service_unavailable" and s[5].startswith("application/problem+json")
                   for s in during), "... as problem JSON with code service_unavailable")
        expect(all(s[3] < 5 for s in during), "... each within 5 s (no hang)")
        expect(all(u in first_503 and first_503[u] < 5 for u in urls), "both endpoints answered 503 within 5 s of the stop")
        expect(len(recovered) == len(urls) and max(recovered.values()) < 30,
               "the service recovered without a restart within 30 s")
        expect(len(after) > 0 and all(s[2] == 200 for s in after), "all answers were 200 after recovery")

        # ---- 1b. the database hangs (answers nothing, connections stay open) ----
        log(f"\n1b. PostgreSQL frozen (SIGSTOP) for {args.db_down_seconds:.0f} s under load")
        with Load(urls, token, args.threads) as load:
            time.sleep(2)
            frozen_at = time.monotonic()
            cluster.freeze(True)
            time.sleep(args.db_down_seconds)
            thawed_at = time.monotonic()
            cluster.freeze(False)
            recovered = {}
            while time.monotonic() < thawed_at + 40 and len(recovered) < len(urls):
                for at, url, status, took, code, _ in load.between(thawed_at, time.monotonic()):
                    if status == 200 and url not in recovered:
                        recovered[url] = at + took - thawed_at
                time.sleep(0.05)
            time.sleep(2)
            end = time.monotonic()
        # Requests in flight at the freeze or sent while frozen (answered before or after the thaw).
        during = [s for s in load.between(0, thawed_at) if s[0] + s[3] > frozen_at]
        answered_late = [s for s in during if s[0] + s[3] > thawed_at]
        after = load.between(thawed_at + max(recovered.values(), default=0) + 0.5, end)
        for name, samples in (("while frozen", during), ("after thaw", after)):
            counts, worst = summary(samples)
            log(f"  {name}: {len(samples)} answers, slowest {worst:.2f} s; {counts}")
        log(f"  {len(answered_late)} request(s) sent while frozen were answered only after the thaw")
        for url in urls:
            log(f"  {url.rsplit('/', 1)[-1]}: first 200 {recovered.get(url, float('nan')):.2f} s after the thaw")
        expect(service.poll() is None, "the service process stayed up")
        expect(len(during) > 0 and all(s[2] in (200, 503) for s in during), "answers while frozen were 200 or 503")
        expect(all(s[4] == "service_unavailable" for s in during if s[2] == 503), "... 503s as problem JSON")
        # statement_timeout cannot help here (the frozen server would enforce it): the service's
        # own request deadline (4.5 s) must.
        longest = max((s[3] for s in during), default=0)
        expect(longest < 5, f"... each within 5 s (no hang; the longest took {longest:.2f} s)")
        expect(len(recovered) == len(urls) and max(recovered.values()) < 30,
               "the service recovered without a restart within 30 s")
        expect(len(after) > 0 and all(s[2] == 200 for s in after), "all answers were 200 after recovery")

        # ---- 2. SMTP is down ----
        log(f"\n2. SMTP down: {args.mails} password-reset mails queued while nothing listens on {smtp_port}")
        cluster.psql(
            "INSERT INTO users (email, name, role, email_verified_at) "
            f"SELECT 'mottaker' || i || '@example.no', 'Mottaker ' || i, 'mentor', now() FROM generate_series(1, {args.mails}) i")
        for i in range(1, args.mails + 1):
            status, _, _ = request(f"{base}/api/v1/auth/password-reset", "POST", {"email": f"mottaker{i}@example.no"})
            assert status == 202, status
        time.sleep(6)
        row = cluster.psql(
            "SELECT count(*), min(attempts), max(attempts), count(*) FILTER (WHERE sent_at IS NOT NULL), "
            "count(*) FILTER (WHERE failed_at IS NOT NULL), "
            "round(extract(epoch FROM max(send_after - now()))::numeric, 2) FROM mail_outbox")
        total, min_attempts, max_attempts, sent, failed, wait = row.split("|")
        log(f"  after 6 s down: {total} mails, attempts {min_attempts}–{max_attempts} each, {sent} sent, "
            f"{failed} given up; next attempt at most {wait} s away (backoff capped at 2 s here)")
        expect(int(sent) == 0 and int(failed) == 0 and int(min_attempts) >= 2,
               "mails are retried, neither sent nor given up, while SMTP is down")
        # An hour at the default cap (600 s) is about 6 more attempts per mail after the first
        # minutes of growing backoff; 30 more is an hour and a half even with a cap of a minute.
        cluster.psql("UPDATE mail_outbox SET attempts = attempts + 30, send_after = now() "
                     "WHERE sent_at IS NULL AND failed_at IS NULL")
        log("  simulated an hour more of failed attempts (attempts + 30, due now)")
        time.sleep(2)
        came_back = time.monotonic()
        catcher = Catcher(smtp_port)
        deadline = came_back + 60
        while True:
            pending = int(cluster.psql("SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL"))
            if pending == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        delivered_after = time.monotonic() - came_back
        time.sleep(3)  # let any stray worker round pass
        per_recipient: dict[str, int] = {}
        for recipients, _ in catcher.received:
            for r in recipients:
                per_recipient[r] = per_recipient.get(r, 0) + 1
        catcher.close()
        wanted = {f"mottaker{i}@example.no" for i in range(1, args.mails + 1)}
        log(f"  SMTP back: outbox empty after {delivered_after:.2f} s; catcher received {len(catcher.received)} "
            f"messages for {len(per_recipient)} recipients")
        expect(set(per_recipient) == wanted, "every queued mail arrived")
        expect(all(v == 1 for v in per_recipient.values()), "each exactly once")
        expect(int(cluster.psql("SELECT count(*) FROM mail_outbox WHERE failed_at IS NOT NULL")) == 0,
               "none was given up")

        # 3. The service killed in the middle of a bulk invitation.
        log("\n3. service killed (SIGKILL) while a 5,000-row CSV invitation is being stored")
        cluster.psql("INSERT INTO ushts (name, county) VALUES ('Feil-USHT', 'Buskerud')")
        municipality = cluster.psql(
            "INSERT INTO municipalities (number, name, usht_id) SELECT '3303', 'Kongsberg', id "
            "FROM ushts WHERE name = 'Feil-USHT' RETURNING id").splitlines()[0]
        csv = "email,name\n" + "".join(f"kill{i}@kongsberg.example.no,Mentor {i}\n" for i in range(5000))
        answer: dict = {}

        def upload() -> None:
            try:
                req = urllib.request.Request(
                    f"{base}/api/v1/admin/invitations/csv?municipality_id={municipality}",
                    data=csv.encode(), method="POST",
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
                with urllib.request.urlopen(req, timeout=30) as resp:
                    answer["status"] = resp.status
            except Exception as error:  # the connection dies with the service
                answer["error"] = type(error).__name__

        uploader = threading.Thread(target=upload)
        uploader.start()
        caught = False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            active = cluster.psql(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = 'mentorsti' "
                "AND state <> 'idle' AND (query ILIKE '%INSERT INTO \"invitations\"%' "
                "OR query ILIKE '%INSERT INTO \"mail_outbox\"%' OR state = 'idle in transaction')")
            if int(active) > 0:
                caught = True
                break
            time.sleep(0.002)
        service.kill()
        service.wait()
        uploader.join()
        time.sleep(1)  # PostgreSQL notices the dropped connection and rolls back
        invitations = int(cluster.psql(
            f"SELECT count(*) FROM invitations WHERE municipality_id = '{municipality}'"))
        mails = int(cluster.psql(
            "SELECT count(*) FROM mail_outbox WHERE recipient LIKE 'kill%@kongsberg.example.no'"))
        log(f"  killed {'during' if caught else 'around'} the insert (client saw {answer}); "
            f"afterwards {invitations} invitations and {mails} queued mails")
        expect(caught, "the kill landed while the invitation transaction was running")
        expect((invitations, mails) in ((0, 0), (5000, 5000)), "all or nothing: no half-stored invitation run")
    finally:
        if service is not None and service.poll() is None:
            service.send_signal(signal.SIGTERM)
            try:
                service.wait(timeout=20)
            except subprocess.TimeoutExpired:
                service.kill()
        cluster.remove()
    if failures:
        log(f"\nFAILED: {len(failures)} expectation(s); service log in {data_dir / 'service.log'}")
        return 1
    shutil.rmtree(data_dir, ignore_errors=True)
    log("\nall fault expectations held")
    return 0


if __name__ == "__main__":
    sys.exit(main())
