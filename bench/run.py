#!/usr/bin/env python3
"""Benchmark driver: prepares a context, runs the selected benchmarks, prints one table.

Benchmarks live in `bench/bench_<area>.py`, each exposing `run(ctx) -> list[Row]`; they are found
automatically and selected by area name (`--only foundation`). Results also go to
bench/out/results.json.
"""

from __future__ import annotations

import sys

sys.dont_write_bytecode = True  # no __pycache__ inside the source tree

import argparse
import datetime
import importlib
import json
import os
import platform
import signal
import time
import traceback
from pathlib import Path
from typing import Callable

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from harness import OUT_DIR, REPO_DIR, Context, Row, cpu_busy, wait_for_quiet  # noqa: E402


def discover() -> dict[str, Callable[[Context], list[Row]]]:
    """The registry: area name -> run function, from every bench/bench_<area>.py."""
    registry = {}
    for path in sorted(BENCH_DIR.glob("bench_*.py")):
        name = path.stem[len("bench_"):]
        module = importlib.import_module(path.stem)
        run = getattr(module, "run", None)
        if not callable(run):
            raise SystemExit(f"{path} has no run(ctx) function")
        registry[name] = run
    return registry


def fmt_num(value, unit: str = "") -> str:
    if value is None:
        return "-"
    if abs(value) >= 1000:
        text = f"{value:,.0f}".replace(",", " ")
    elif abs(value) >= 100:
        text = f"{value:.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".rstrip()


def render_table(rows: list[Row]) -> str:
    header = ["#", "figure", "value", "reference (same run)", "ratio", "target", "pass/fail"]
    lines = []
    for index, row in enumerate(rows, start=1):
        ref = "-"
        if row.reference is not None:
            ref = fmt_num(row.reference, row.unit)
            if row.reference_label:
                ref += f" ({row.reference_label})"
        ratio = "-" if row.ratio is None else f"{row.ratio:.2f}"
        verdict = {True: "PASS", False: "FAIL", None: "info"}[row.passed]
        lines.append([str(index), row.figure, fmt_num(row.value, row.unit), ref, ratio, row.target or "-",
                      verdict])
    widths = [max(len(r[i]) for r in [header, *lines]) for i in range(len(header))]

    def line(cells):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in lines]
    notes = [f"  [{i + 1}] {r.figure}: {r.note}" for i, r in enumerate(rows) if r.note]
    if notes:
        out += ["", "notes:", *notes]
    return "\n".join(out)


def main() -> int:
    registry = discover()
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", action="append", metavar="NAME",
                        help=f"run only these areas (repeatable or comma-separated): "
                             f"{', '.join(registry)}")
    parser.add_argument("--list", action="store_true", help="list the benchmark areas and exit")
    parser.add_argument("--binary", default=str(REPO_DIR / "target" / "release" / "mentorsti"),
                        help="the service binary (default: target/release/mentorsti)")
    parser.add_argument("--pg-host", default=os.environ.get("BENCH_PGHOST", "127.0.0.1"))
    parser.add_argument("--pg-port", type=int, default=int(os.environ.get("BENCH_PGPORT", "5432")))
    parser.add_argument("--pg-user", default=os.environ.get("BENCH_PGUSER", "postgres"))
    parser.add_argument("--db-name", default=os.environ.get("BENCH_DB", "mentorsti_bench"))
    parser.add_argument("--keep-db", action="store_true",
                        help="leave the bench database in place afterwards (for inspection)")
    parser.add_argument("--quiet-wait", type=float, default=30, metavar="SECONDS",
                        help="wait up to this long for other processes to leave the CPUs idle "
                             "before measuring (default 30; 0 to skip)")
    parser.add_argument("-v", "--verbose", action="store_true", help="echo the commands run")
    args = parser.parse_args()

    if args.list:
        print("\n".join(registry))
        return 0
    selected = list(registry)
    if args.only:
        selected = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
        unknown = [n for n in selected if n not in registry]
        if unknown:
            parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(registry)}")

    binary = Path(args.binary)
    if not os.access(binary, os.X_OK):
        parser.error(f"{binary} is not an executable; build with `cargo build --release`")

    # SIGTERM/SIGHUP behave like Ctrl-C so the finally blocks stop every process started.
    # A second signal is ignored so that it cannot cut the cleanup short.
    stop_signals = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

    def interrupted(signum, _frame):
        for sig in stop_signals:
            signal.signal(sig, signal.SIG_IGN)
        raise KeyboardInterrupt(f"signal {signum}")
    for sig in stop_signals:
        signal.signal(sig, interrupted)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    workers = os.cpu_count() or 1
    ctx = Context(binary, args.pg_host, args.pg_port, args.pg_user, args.db_name,
                  service_workers=workers, verbose=args.verbose)
    rows: list[Row] = []
    failures: list[str] = []
    started = time.monotonic()
    busy_before = busy_after = None
    try:
        if args.quiet_wait > 0:
            busy_before = wait_for_quiet(args.quiet_wait)
            ctx.log(f"CPU busy before measuring: {busy_before:.0%}")
        ctx.log(f"fresh database {args.db_name} on {args.pg_host}:{args.pg_port}")
        ctx.recreate_database()
        ctx.migrate()
        for name in selected:
            ctx.log(f"running {name}")
            t0 = time.monotonic()
            try:
                produced = registry[name](ctx)
            except KeyboardInterrupt:
                raise
            except Exception as err:  # one broken area should not hide the others' figures
                traceback.print_exc()
                failures.append(f"{name}: {err}")
                rows.append(Row(figure=f"{name}: benchmark crashed", value=0, unit="",
                                passed=False, note=str(err).splitlines()[0][:200],
                                benchmark=name))
                continue
            for row in produced:
                row.benchmark = row.benchmark or name
            rows.extend(produced)
            ctx.log(f"{name} done in {time.monotonic() - t0:.0f} s")
        busy_after = cpu_busy()
    except KeyboardInterrupt:
        ctx.log("interrupted; stopping everything")
        return 130
    finally:
        ctx.close()
        if not args.keep_db:
            ctx.drop_database()

    result = {
        "when": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "cpus": workers,
        "binary": str(binary),
        "benchmarks": selected,
        "seconds": round(time.monotonic() - started, 1),
        "cpu_busy_before": busy_before,
        "cpu_busy_after": busy_after,
        "rows": [r.to_json() for r in rows],
    }
    (OUT_DIR / "results.json").write_text(json.dumps(result, indent=2) + "\n")

    print()
    print(render_table(rows))
    print(f"\n{len(rows)} rows in {result['seconds']:.0f} s; written to "
          f"{(OUT_DIR / 'results.json').relative_to(REPO_DIR)}")
    noisy = [b for b in (busy_before, busy_after) if b is not None and b >= 0.2]
    if noisy:
        shown = ", ".join(f"{label} {b:.0%}" for label, b in
                          (("before", busy_before), ("after", busy_after)) if b is not None)
        print(f"WARNING: other processes kept the CPUs busy around this run ({shown}); "
              f"the figures are noisy.")
    failed = [r for r in rows if r.passed is False]
    return 1 if failed or failures else 0


if __name__ == "__main__":
    sys.exit(main())
