"""Helpers shared by the benchmarks: which venv to time, strictly alternating process
timings (wall, or wall and CPU), and robust statistics (medians and spreads, never
means)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

BENCH_DIR = Path(__file__).resolve().parent
OUT_DIR = BENCH_DIR / "out"


class Venv(NamedTuple):
    python: str
    colabctl: str


def venv(prefix: str | None) -> Venv:
    """The venv's python and colabctl (default: the venv running this script)."""
    root = Path(prefix or sys.prefix)
    return Venv(str(root / "bin" / "python"), str(root / "bin" / "colabctl"))


def install_kind(python: str) -> str:
    """Where that python imports colabctl from: 'site-packages' (as users install it) or the
    checkout (an editable install reads catalog.toml, not the built catalog.json)."""
    out = subprocess.run(
        [python, "-c", "import colabctl; print(colabctl.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return f"site-packages ({out})" if "site-packages" in out else f"EDITABLE ({out})"


def clean_env(**extra: str) -> dict[str, str]:
    """The environment with no colabctl or locale setting leaking in, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("COLABCTL_") and k not in ("PYTHONPROFILEIMPORTTIME", "PYTHONPATH")
    }
    env.setdefault("COLABCTL_CONFIG", str(OUT_DIR / "no-such-config.toml"))
    env.update(extra)
    return env


class Command(NamedTuple):
    name: str
    argv: Sequence[str]  # with alternate_timed, "{run}" in an argument becomes the run's label
    env: Mapping[str, str]
    stdin: str | None = None  # a file to read stdin from


def run_once(cmd: Command, *, stdout: int | None = subprocess.DEVNULL) -> float:
    """Wall seconds of one whole process, fork to exit."""
    handle = open(cmd.stdin, "rb") if cmd.stdin else None  # noqa: SIM115
    try:
        started = time.perf_counter()
        subprocess.run(
            cmd.argv, env=cmd.env, stdin=handle, stdout=stdout, stderr=subprocess.DEVNULL
        )
        return time.perf_counter() - started
    finally:
        if handle:
            handle.close()


def alternate(commands: Sequence[Command], runs: int, warmup: int = 3) -> dict[str, list[float]]:
    """Each iteration runs every command once; the order reverses every other iteration
    (ABC CBA ...), so drift and order effects fall on all of them alike."""
    for _ in range(warmup):
        for cmd in commands:
            run_once(cmd)
    times: dict[str, list[float]] = {cmd.name: [] for cmd in commands}
    for i in range(runs):
        for cmd in commands if i % 2 == 0 else reversed(commands):
            times[cmd.name].append(run_once(cmd))
    return times


class Timing(NamedTuple):
    wall: float
    cpu: float  # user + system of the process itself (its children, if any, included)
    code: int


def timed(cmd: Command, stdout: Path | None = None, *, run: str = "") -> Timing:
    """One whole process: wall time, fork to exit, and its CPU time from os.wait4 (the
    process's own, whatever else the machine runs). RUN replaces "{run}" in its argv."""
    argv = [arg.replace("{run}", run) for arg in cmd.argv]
    out = stdout.open("wb") if stdout else subprocess.DEVNULL
    handle = open(cmd.stdin, "rb") if cmd.stdin else None  # noqa: SIM115
    try:
        started = time.perf_counter()
        proc = subprocess.Popen(
            argv, env=cmd.env, stdin=handle, stdout=out, stderr=subprocess.DEVNULL
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    finally:
        if stdout and not isinstance(out, int):
            out.close()
        if handle:
            handle.close()
    return Timing(wall, usage.ru_utime + usage.ru_stime, proc.returncode)


def alternate_timed(
    commands: Sequence[Command], runs: int, warmup: int, outputs: dict[str, Path] | None = None
) -> dict[str, list[Timing]]:
    """alternate() with wall and CPU time of each process (ABC CBA ...); exits if a
    command fails. A command's "{run}" is "warmup N" or "run N" (a write that changes
    something on every run)."""
    outputs = outputs or {}
    for n in range(warmup):
        for cmd in commands:
            timed(cmd, outputs.get(cmd.name), run=f"warmup {n}")
    found: dict[str, list[Timing]] = {cmd.name: [] for cmd in commands}
    for i in range(runs):
        for cmd in commands if i % 2 == 0 else reversed(commands):
            t = timed(cmd, outputs.get(cmd.name), run=f"run {i}")
            if t.code != 0:
                sys.exit(f"{cmd.name} exited {t.code}")
            found[cmd.name].append(t)
    return found


def med(timings: Sequence[Timing], field: str) -> float:
    return float(statistics.median(float(getattr(t, field)) for t in timings))


def paired(numer: Sequence[Timing], denom: Sequence[Timing], field: str) -> float:
    """The median of side-by-side ratios (iteration i of each): robust to drifting load."""
    return float(
        statistics.median(
            float(getattr(a, field)) / float(getattr(b, field))
            for a, b in zip(numer, denom, strict=True)
        )
    )


def line(name: str, timings: Sequence[Timing]) -> str:
    walls = sorted(t.wall for t in timings)
    cpus = sorted(t.cpu for t in timings)
    return (
        f"  {name:34} cpu median {statistics.median(cpus) * 1e3:7.1f} ms"
        f" (p10 {cpus[len(cpus) // 10] * 1e3:6.1f}, p90 {cpus[len(cpus) * 9 // 10] * 1e3:6.1f})"
        f"   wall median {statistics.median(walls) * 1e3:7.1f} ms   (n={len(timings)})"
    )


def quantile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


class Spread(NamedTuple):
    n: int
    median: float
    p10: float
    p90: float
    lo: float
    hi: float

    def ms(self) -> str:
        return (
            f"median {self.median * 1e3:7.1f} ms   p10 {self.p10 * 1e3:6.1f}   "
            f"p90 {self.p90 * 1e3:6.1f}   min {self.lo * 1e3:6.1f}   max {self.hi * 1e3:6.1f}"
            f"   (n={self.n})"
        )

    def us(self) -> str:
        return (
            f"median {self.median * 1e6:8.2f} us   p10 {self.p10 * 1e6:7.2f}   "
            f"p90 {self.p90 * 1e6:7.2f}   (n={self.n})"
        )


def spread(samples: Sequence[float]) -> Spread:
    return Spread(
        len(samples),
        statistics.median(samples),
        quantile(samples, 0.1),
        quantile(samples, 0.9),
        min(samples),
        max(samples),
    )


def paired_ratios(numer: Sequence[float], denom: Sequence[float]) -> Spread:
    """Ratios of runs made side by side (iteration i of each): robust to load drifting."""
    return spread([a / b for a, b in zip(numer, denom, strict=True)])


def load_note() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.2f} (1 min), {five:.2f} (5 min) on {os.cpu_count()} CPUs"
