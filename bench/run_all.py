"""Every benchmark, one after another, with the machine they ran on and one summary table.

    .venv/bin/python -m bench.run_all [--quick] [--chart docs/benchmarks-latency.svg]

Each benchmark runs as its own process (its command is printed with its output), so one
does not warm up the next. The alert fan-out (bench/fanout.py) also writes its latencies
as JSON; from them this script draws the latency chart (SVG) and the summary table.
``--quick`` runs fewer rounds and fewer SMS subscribers, for a smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.chart import latency_svg
from bench.fanout import percentile

REPO = Path(__file__).resolve().parent.parent


def benchmarks(quick: bool, fanout_json: Path) -> list[list[str]]:
    py = [sys.executable, "-m"]
    rounds = "10" if quick else "30"
    return [
        [
            *py,
            "bench.fanout",
            "--rounds",
            rounds,
            "--backlog",
            "1000" if quick else "5000",
            "--json",
            str(fanout_json),
        ],
        [*py, "bench.schedule_lateness", "--posts", "1000"],
        [*py, "bench.month_view", "--posts", "2000", "--runs", "30" if quick else "100"],
        [*py, "bench.board_live", "--boards", "0,10,50,100"],
        [*py, "bench.web_memory", "--alerts", "90" if quick else "300"],
        [*py, "bench.stack_memory", *(["--alerts", "100", "--subscribers", "10000"] if quick else [])],
        [*py, "bench.sms_scale", *(["--subscribers", "10000", "--rounds", "1"] if quick else [])],
        [*py, "bench.inbox_list", "--runs", "20" if quick else "50"],
    ]


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} CPUs, {platform.machine()}, Python {platform.python_version()}, "
        f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}"
    )


def run(command: list[str]) -> tuple[str, float, int]:
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    output = done.stdout + (f"\n[stderr]\n{done.stderr[-3000:]}" if done.returncode else "")
    return output, time.perf_counter() - started, done.returncode


def summary(data: dict[str, Any]) -> list[str]:
    """The fan-out figures the issue asks for: medians, p99 and ratios to the limit."""
    series = {name: s["values"] for name, s in data["series"].items()}
    figures = data["figures"]

    def p(name: str, q: float) -> float:
        return percentile(series[name], q)

    def med(name: str) -> float:
        return statistics.median(series[name])

    lines = ["| what | Ernstfall | limit | ratio | Apprise (3 channels) |", "|---|---|---|---|---|"]
    ours_labels = [k.removeprefix("ernstfall ") for k in series if k.startswith("ernstfall ")]
    for label in [k for k in ours_labels if f"limit {k}" in series]:  # not the drain cycles' rounds
        ours, limit = f"ernstfall {label}", f"limit {label}"
        apprise = f"apprise {label}"
        appr = f"{med(apprise):.0f} / {p(apprise, 99):.0f} ms" if apprise in series else "not installed"
        lines.append(
            f"| alert → last of 8 platforms, platforms answer after {label}, p50 / p99 "
            f"| {med(ours):.0f} / {p(ours, 99):.0f} ms | {med(limit):.0f} / {p(limit, 99):.0f} ms "
            f"| {med(ours) / med(limit):.1f}× / {p(ours, 99) / p(limit, 99):.1f}× | {appr} |"
        )
        lines.append(
            f"| the alert API call itself ({label}), p50 / p99 | {med('api call ' + label):.0f} / "
            f"{p('api call ' + label, 99):.0f} ms | | | |"
        )
    for drain in [k for k in series if k.startswith("ernstfall ") and "draining" in k]:
        quiet = "ernstfall 0 ms, quiet, drain pace" + drain.partition("draining")[2]  # same cycle
        lines.append(
            f"| crisis p50 / p99 while community posts drain ({drain.removeprefix('ernstfall ')}) "
            f"| {med(drain):.0f} / {p(drain, 99):.0f} ms | {med(quiet):.0f} / {p(quiet, 99):.0f} ms quiet "
            f"just before | p99 {p(drain, 99) / p(quiet, 99) - 1:+.0%} | |"
        )
    for name, value in figures.items():
        lines.append(f"| {name} | {value:.0f} | | | |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--chart", type=Path, default=REPO / "docs" / "benchmarks-latency.svg")
    parser.add_argument("--only", help="comma-separated benchmark modules, e.g. bench.fanout")
    args = parser.parse_args()
    command = shlex.join([".venv/bin/python", "-m", "bench.run_all", *sys.argv[1:]])
    print(f"# Ernstfall benchmarks\n\ncommand: {command}")
    print(f"machine before: {machine()}\n", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        fanout_json = Path(tmp) / "fanout.json"
        for command in benchmarks(args.quick, fanout_json):
            if args.only and command[2] not in args.only.split(","):
                continue
            output, seconds, code = run(command)
            print(f"## {command[2]}\n\n$ {shlex.join(command[2:])}   ({seconds:.0f} s, exit {code})\n")
            print(output.strip() + "\n", flush=True)
        if fanout_json.exists():
            data = json.loads(fanout_json.read_text())
            print("## summary (alert fan-out)\n")
            print("\n".join(summary(data)) + "\n")
            args.chart.write_text(latency_svg({k: v["values"] for k, v in data["series"].items()}))
            print(f"chart: {args.chart.relative_to(REPO) if args.chart.is_relative_to(REPO) else args.chart}")
    print(f"machine after: {machine()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
