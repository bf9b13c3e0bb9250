"""Shared machinery for the benchmarks: the result row, the run context and its helpers.

A benchmark module (`bench_<area>.py`) exposes `run(ctx: Context) -> list[Row]` and uses the
helpers here to start the service, log in, drive wrk and start reference servers. Every process
started through the context is registered and stopped by `Context.close()`, which the driver
calls in a `finally`, so nothing is left running after an error or Ctrl-C.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import textwrap
import threading
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Optional

BENCH_DIR = Path(__file__).resolve().parent
REPO_DIR = BENCH_DIR.parent
OUT_DIR = BENCH_DIR / "out"

ADMIN_EMAIL = "bench-admin@example.no"
ADMIN_NAME = "Benchmark Admin"
ADMIN_PASSWORD = "Benkemerket for lasttest 2026"

# Logging is kept quiet and the per-IP limits out of the way: every request comes from 127.0.0.1.
# (The service accepts at most 1 000 000 for AUTH_RATE_LIMIT_PER_MINUTE.)
SERVICE_ENV = {
    "JWT_SECRET": "benchmark-secret-benchmark-secret-0123456789",
    "MAIL_TRANSPORT": "log",
    "LOG_FORMAT": "json",
    "RUST_LOG": "warn",
    "AUTH_RATE_LIMIT_PER_MINUTE": "1000000",
    "WRITE_RATE_LIMIT_PER_MINUTE": "10000000",
    "ACCOUNT_WRITE_RATE_LIMIT_PER_MINUTE": "10000000",
    "LOGIN_MAX_FAILURES": "1000",
}

# Prints the wrk summary as one JSON line (latencies in ms) so the driver need not parse wrk's text.
WRK_DONE_LUA = r"""
done = function(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_s":%.6f,"bytes":%d,"rps":%.3f,' ..
    '"p50_ms":%.3f,"p90_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f,"mean_ms":%.3f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, secs, summary.bytes, summary.requests / secs,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, latency.mean / 1000,
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


@dataclass
class Row:
    """One line of the results table.

    `passed` is None for informational rows (no target). `reference` is a figure measured in the
    same run on the same machine; `ratio` is value/reference unless the benchmark says otherwise.
    """

    figure: str
    value: float
    unit: str
    reference: Optional[float] = None
    reference_label: str = ""
    ratio: Optional[float] = None
    target: str = ""
    passed: Optional[bool] = None
    note: str = ""
    benchmark: str = ""

    def to_json(self) -> dict:
        return asdict(self)


@dataclass
class WrkResult:
    requests: int
    duration_s: float
    bytes: int
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    errors: dict
    raw: str = field(repr=False, default="")

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    def describe_errors(self) -> str:
        bad = {k: v for k, v in self.errors.items() if v}
        if not bad:
            return ""
        parts = ", ".join(f"{k}={v}" for k, v in bad.items())
        return f"wrk errors: {parts} (status = non-2xx/3xx responses)"


class WrkRun:
    """A wrk process running in the background; `result()` waits for it and parses the summary."""

    def __init__(self, ctx: "Context", args: list[str], timeout: float):
        self._ctx = ctx
        self.args = args
        self._timeout = timeout
        self._proc = ctx.spawn(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def result(self) -> WrkResult:
        try:
            out, _ = self._proc.communicate(timeout=self._timeout)
        except BaseException:  # interrupted or hung: stop wrk before giving up on it
            self._ctx.stop(self._proc, grace=2.0)
            raise
        self._ctx.reap(self._proc)
        text = out.decode("utf-8", "replace")
        if self._proc.returncode != 0:
            raise RuntimeError(f"wrk failed ({self._proc.returncode}): {' '.join(self.args)}\n{text}")
        for line in text.splitlines():
            if line.startswith("WRKJSON "):
                data = json.loads(line[len("WRKJSON "):])
                return WrkResult(raw=text, **data)
        raise RuntimeError(f"wrk printed no summary: {' '.join(self.args)}\n{text}")


@dataclass
class Service:
    proc: subprocess.Popen
    port: int
    env: dict
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base_url + path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_request(url: str, *, method: str = "GET", body: Optional[bytes] = None,
                 headers: Optional[dict] = None, timeout: float = 5.0) -> tuple[int, bytes]:
    """A plain request with urllib; returns (status, body) for any HTTP status."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields), idle


def cpu_busy(seconds: float = 1.0) -> float:
    """The fraction (0..1) of all CPUs busy over the next `seconds`, whoever uses them."""
    total0, idle0 = _cpu_times()
    time.sleep(seconds)
    total1, idle1 = _cpu_times()
    total = max(total1 - total0, 1)
    return 1.0 - (idle1 - idle0) / total


def wait_for_quiet(max_wait: float, threshold: float = 0.2) -> float:
    """Waits (at most `max_wait` s) until other work uses under `threshold` of the CPUs.

    Returns the last busy fraction seen. Benchmarks on a shared machine (a compiler running next
    door) are noisy; this gives such work a chance to finish and lets the table say so if not.
    """
    deadline = time.monotonic() + max_wait
    busy = cpu_busy()
    while busy >= threshold and time.monotonic() < deadline:
        busy = cpu_busy()
    return busy


def wait_until(predicate: Callable[[], bool], timeout: float, interval: float, what: str) -> float:
    """Polls `predicate` every `interval` s; returns the seconds waited or raises TimeoutError."""
    start = time.monotonic()
    while True:
        if predicate():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


class Context:
    """What a benchmark gets: the binary, a fresh database, and helpers that clean up after them."""

    def __init__(self, binary: Path, pg_host: str, pg_port: int, pg_user: str, db_name: str,
                 service_workers: int, verbose: bool = False):
        self.binary = binary
        self.pg_host, self.pg_port, self.pg_user = pg_host, pg_port, pg_user
        self.db_name = db_name
        self.database_url = f"postgres://{pg_user}@{pg_host}:{pg_port}/{db_name}"
        # actix-web starts one worker thread per available CPU; the nginx reference gets as many
        # worker processes so both sides have the same parallelism.
        self.service_workers = service_workers
        self.verbose = verbose
        self.tmp = Path(tempfile.mkdtemp(prefix="mentorsti-bench-"))
        self.log_dir = OUT_DIR / "logs"
        shutil.rmtree(self.log_dir, ignore_errors=True)  # only this run's logs
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._procs: list[subprocess.Popen] = []
        self._log_counter = 0
        self.admin_ready = False

    # ---- process bookkeeping -------------------------------------------------------------

    def log(self, msg: str) -> None:
        print(f"[bench] {msg}", flush=True)

    def spawn(self, args: list[str], **kwargs) -> subprocess.Popen:
        """Starts a process in its own process group and registers it for cleanup.

        The group is in the driver's session, not a new one: Linux's scheduler autogroup gives
        every session an equal share of the CPUs as a whole, so a load generator in a session of
        its own would compete with the service as a peer, and wait out the service's time slices
        even while the service only runs its idle-priority password hashing. A remote client is
        no such peer; in one session, the load generator is one more thread, as it should be.
        """
        if self.verbose:
            self.log("$ " + " ".join(str(a) for a in args))
        proc = subprocess.Popen(args, process_group=0, **kwargs)
        self._procs.append(proc)
        return proc

    def reap(self, proc: subprocess.Popen) -> None:
        if proc in self._procs:
            self._procs.remove(proc)

    def stop(self, proc: subprocess.Popen, sig: int = signal.SIGTERM, grace: float = 12.0) -> None:
        """Signals the process (its group, so children go too), escalating to SIGKILL."""
        try:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, sig)
                try:
                    proc.wait(timeout=grace)
                except subprocess.TimeoutExpired:
                    with contextlib.suppress(ProcessLookupError):
                        os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
        finally:
            self.reap(proc)

    def close(self) -> None:
        for proc in list(reversed(self._procs)):
            with contextlib.suppress(Exception):
                self.stop(proc, grace=5.0)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def _next_log(self, stem: str) -> Path:
        self._log_counter += 1
        return self.log_dir / f"{self._log_counter:02d}-{stem}.log"

    # ---- database ------------------------------------------------------------------------

    def _pg_args(self) -> list[str]:
        return ["-h", self.pg_host, "-p", str(self.pg_port), "-U", self.pg_user]

    def recreate_database(self) -> None:
        subprocess.run(["dropdb", *self._pg_args(), "--if-exists", "--force", self.db_name],
                       check=True, capture_output=True)
        subprocess.run(["createdb", *self._pg_args(), self.db_name], check=True, capture_output=True)

    def drop_database(self) -> None:
        subprocess.run(["dropdb", *self._pg_args(), "--if-exists", "--force", self.db_name],
                       check=False, capture_output=True)

    def psql(self, sql: str, database: Optional[str] = None, timeout: float = 120) -> str:
        """Runs SQL with psql (in the bench database unless told otherwise); returns the rows
        unaligned, `|`-separated, one a line. Several statements run as one transaction."""
        done = subprocess.run(["psql", *self._pg_args(), "-X", "-q", "-A", "-t",
                               "-v", "ON_ERROR_STOP=1", "-d", database or self.db_name, "-c", sql],
                              capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"psql failed ({done.returncode}): {done.stderr.strip()}\n{sql[:500]}")
        return done.stdout.strip()

    # ---- the service ---------------------------------------------------------------------

    def service_env(self, port: int, extra: Optional[dict] = None) -> dict:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "DATABASE_URL": self.database_url,
            "BIND": f"127.0.0.1:{port}",
            "DATA_DIR": str(self.tmp / "data"),
            **SERVICE_ENV,
        }
        env.update(extra or {})
        return env

    def run_command(self, *args: str, env_extra: Optional[dict] = None, timeout: float = 120) -> str:
        """Runs a one-shot `mentorsti` command (e.g. migrate, create-admin) and returns its stderr."""
        env = self.service_env(free_port(), env_extra)
        done = subprocess.run([str(self.binary), *args], env=env, cwd=REPO_DIR,
                              capture_output=True, timeout=timeout)
        output = (done.stdout + done.stderr).decode("utf-8", "replace")
        if done.returncode != 0:
            raise RuntimeError(f"mentorsti {' '.join(args)} failed ({done.returncode}):\n{output}")
        return output

    def migrate(self) -> None:
        self.run_command("migrate")

    def start_service(self, env: Optional[dict] = None, wait: bool = True,
                      ready_timeout: float = 30.0, poll_interval: float = 0.05) -> Service:
        port = free_port()
        full_env = self.service_env(port, env)
        log_path = self._next_log("service")
        with open(log_path, "wb") as log_file:
            proc = self.spawn([str(self.binary), "serve"], env=full_env, cwd=REPO_DIR,
                              stdout=log_file, stderr=subprocess.STDOUT)
        service = Service(proc=proc, port=port, env=full_env, log_path=log_path)
        if wait:
            try:
                self.wait_ready(service, timeout=ready_timeout, interval=poll_interval)
            except BaseException:
                self.stop(proc)
                raise
        return service

    def is_ready(self, service: Service) -> bool:
        if service.proc.poll() is not None:
            log = service.log_path.read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the service exited with {service.proc.returncode}:\n{log}")
        try:
            status, _ = http_request(service.url("/health/ready"), timeout=1.0)
            return status == 200
        except (OSError, urllib.error.URLError):
            return False

    def wait_ready(self, service: Service, timeout: float = 30.0, interval: float = 0.05) -> float:
        return wait_until(lambda: self.is_ready(service), timeout, interval,
                          f"{service.base_url}/health/ready")

    def stop_service(self, service: Service) -> None:
        self.stop(service.proc)

    @contextlib.contextmanager
    def service(self, env: Optional[dict] = None) -> Iterator[Service]:
        svc = self.start_service(env)
        try:
            yield svc
        finally:
            self.stop_service(svc)

    # ---- accounts --------------------------------------------------------------------------

    def ensure_admin(self) -> tuple[str, str]:
        """Creates the benchmark administrator once per run; returns (email, password)."""
        if not self.admin_ready:
            self.run_command("create-admin", "--email", ADMIN_EMAIL, "--name", ADMIN_NAME,
                             env_extra={"MENTORSTI_ADMIN_PASSWORD": ADMIN_PASSWORD})
            self.admin_ready = True
        return ADMIN_EMAIL, ADMIN_PASSWORD

    def login(self, service: Service, email: str = ADMIN_EMAIL,
              password: str = ADMIN_PASSWORD) -> dict:
        body = json.dumps({"email": email, "password": password}).encode()
        status, resp = http_request(service.url("/api/v1/auth/login"), method="POST", body=body,
                                    headers={"Content-Type": "application/json"}, timeout=30)
        if status != 200:
            raise RuntimeError(f"login failed with {status}: {resp[:500]!r}")
        return json.loads(resp)

    # ---- wrk -----------------------------------------------------------------------------

    def write_lua(self, name: str, prelude: str = "") -> Path:
        path = self.tmp / f"{name}.lua"
        path.write_text(textwrap.dedent(prelude) + "\n" + WRK_DONE_LUA)
        return path

    def post_json_lua(self, name: str, body: dict) -> Path:
        """A wrk script that POSTs `body` as JSON on every request (plus the summary hook)."""
        payload = json.dumps(body)
        if "]==]" in payload:
            raise ValueError("body cannot be embedded in a Lua long string")
        prelude = (
            'wrk.method = "POST"\n'
            f"wrk.body = [==[{payload}]==]\n"
            'wrk.headers["Content-Type"] = "application/json"\n'
        )
        return self.write_lua(name, prelude)

    def wrk_start(self, url: str, *, threads: int, connections: int, duration: float,
                  headers: Optional[dict] = None, script: Optional[Path] = None,
                  timeout: str = "10s") -> WrkRun:
        """Starts wrk in the background; call `.result()` on the returned run."""
        script = script or self.write_lua("summary")
        args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration:g}s",
                f"--timeout={timeout}", "-s", str(script)]
        for key, value in (headers or {}).items():
            args += ["-H", f"{key}: {value}"]
        args.append(url)
        return WrkRun(self, args, timeout=duration + 60)

    def wrk(self, url: str, **kwargs) -> WrkResult:
        return self.wrk_start(url, **kwargs).result()

    # ---- nginx reference -----------------------------------------------------------------

    @contextlib.contextmanager
    def nginx_static(self, body: bytes, content_type: str = "application/json",
                     workers: Optional[int] = None) -> Iterator[str]:
        """Serves `body` from a file with nginx on a free port; yields the file's URL."""
        workers = workers or self.service_workers
        root = Path(tempfile.mkdtemp(prefix="nginx-", dir=self.tmp))
        (root / "www").mkdir()
        (root / "www" / "body").write_bytes(body)
        port = free_port()
        conf = root / "nginx.conf"
        conf.write_text(textwrap.dedent(f"""\
            daemon off;
            master_process on;
            user root;
            worker_processes {workers};
            pid {root}/nginx.pid;
            error_log {root}/error.log warn;
            events {{ worker_connections 4096; }}
            http {{
                access_log off;
                # Keep connections open like the service does, so wrk never reconnects mid-run.
                keepalive_requests 100000000;
                keepalive_timeout 75s;
                client_body_temp_path {root}/tmp-body;
                proxy_temp_path {root}/tmp-proxy;
                fastcgi_temp_path {root}/tmp-fastcgi;
                uwsgi_temp_path {root}/tmp-uwsgi;
                scgi_temp_path {root}/tmp-scgi;
                types {{ }}
                default_type {content_type};
                server {{
                    listen 127.0.0.1:{port};
                    root {root}/www;
                    location = /body {{ }}
                }}
            }}
        """))
        log_path = self._next_log("nginx")
        with open(log_path, "wb") as log_file:
            proc = self.spawn(["nginx", "-p", str(root), "-e", str(root / "error.log"),
                               "-c", str(conf)], stdout=log_file, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}/body"
        try:
            def ready() -> bool:
                if proc.poll() is not None:
                    err = (root / "error.log")
                    detail = err.read_text(errors="replace") if err.exists() else ""
                    raise RuntimeError(f"nginx exited with {proc.returncode}:\n{detail}")
                try:
                    status, got = http_request(url, timeout=1.0)
                    return status == 200 and got == body
                except (OSError, urllib.error.URLError):
                    return False
            wait_until(ready, 10, 0.02, f"nginx at {url}")
            yield url
        finally:
            self.stop(proc)


# ---- counting the statements the service sends ----------------------------------------------

class StatementCounter:
    """A PostgreSQL wire-protocol proxy that notes every statement the service sends.

    A statement is a simple-protocol Query message or an extended-protocol Execute; the SQL text
    comes from the Query or from the Parse behind the Execute's portal. Only the client side of
    the conversation is read, server answers are piped through untouched. (pg_stat_database's
    xact_commit is no count of statements: PostgreSQL counts a Parse/Describe/Sync round trip,
    which a first use of a prepared statement needs, as a transaction of its own.)
    """

    def __init__(self, ctx: Context):
        self._target = (ctx.pg_host, ctx.pg_port)
        self.events: list[tuple[float, str]] = []  # (monotonic time, SQL)
        self.port = 0
        self.loop = asyncio.new_event_loop()
        self._server = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "StatementCounter":
        self._thread.start()
        if not self._ready.wait(10) or not self.port:
            raise RuntimeError("the statement-counting proxy did not start")
        return self

    def __exit__(self, *exc) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start():
            self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
            self.port = self._server.sockets[0].getsockname()[1]
        try:
            self.loop.run_until_complete(start())
        finally:
            self._ready.set()
        self.loop.run_forever()
        self._server.close()
        for task in asyncio.all_tasks(self.loop):
            task.cancel()
        self.loop.run_until_complete(asyncio.sleep(0))
        self.loop.close()

    def window(self, start: float, end: float) -> list[str]:
        return [sql for at, sql in list(self.events) if start <= at < end]

    async def _client(self, creader, cwriter) -> None:
        try:
            sreader, swriter = await asyncio.open_connection(*self._target)
        except OSError:
            cwriter.close()
            return

        async def pipe_back():
            try:
                while data := await sreader.read(65536):
                    cwriter.write(data)
                    await cwriter.drain()
            except (OSError, asyncio.IncompleteReadError):
                pass
            finally:
                cwriter.close()

        back = asyncio.ensure_future(pipe_back())
        statements: dict[bytes, str] = {}
        portals: dict[bytes, bytes] = {}
        try:
            while True:  # start-up: SSL/GSS requests, then the start-up message
                head = await creader.readexactly(8)
                length, code = struct.unpack("!ii", head)
                swriter.write(head + await creader.readexactly(length - 8))
                if code not in (80877103, 80877104):
                    break
            while True:
                head = await creader.readexactly(5)
                kind, length = head[:1], struct.unpack("!i", head[1:])[0]
                body = await creader.readexactly(length - 4)
                swriter.write(head + body)
                await swriter.drain()
                if kind == b"Q":
                    sql = body.rstrip(b"\0").decode(errors="replace")
                    # The change listener's keep-alive (every 10 s, on its own connection) is no
                    # statement of what is measured; windows of different length would count it
                    # a different number of times.
                    if sql.strip() not in LISTENER_STATEMENTS:
                        self.events.append((time.monotonic(), sql))
                elif kind == b"P":
                    name, rest = body.split(b"\0", 1)
                    statements[name] = rest.split(b"\0", 1)[0].decode(errors="replace")
                elif kind == b"B":
                    portal, statement = body.split(b"\0", 2)[:2]
                    portals[portal] = statement
                elif kind == b"E":
                    portal = body.split(b"\0", 1)[0]
                    sql = statements.get(portals.get(portal, b""), "?")
                    self.events.append((time.monotonic(), sql))
                elif kind == b"X":
                    break
        except (OSError, asyncio.IncompleteReadError):
            pass
        finally:
            swriter.close()
            await back


# What the change listener (src/db/listen.rs) sends on its own connection.
LISTENER_STATEMENTS = {"SELECT 1"}


def statement_label(sql: str) -> str:
    """'INSERT mail_outbox', 'SELECT webinar_registrations', 'BEGIN' ..."""
    words = sql.split(None, 1)
    verb = words[0].upper() if words else "?"
    table = re.search(r'"(\w+)"', sql)
    if table and verb in ("SELECT", "INSERT", "UPDATE", "DELETE"):
        return f"{verb} {table.group(1)}"
    return verb
