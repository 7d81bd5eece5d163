"""Cold start of three kinds of command as whole processes, each against a bare
`python -c "import typer"` from the same venv measured in the same run (README,
Performance):

- `colabctl can USER PERM -a SLUG`, the hot question: at most 1.3x;
- a write, `colabctl profile edit NAME --description TEXT -a SLUG`, a real change on every
  run (a new description, its audit row, the lock and the commit): at most 1.6x;
- a table read, `colabctl collaborator list -a SLUG`: at most 1.6x. colabctl draws the
  table itself, in rich's box (cli/boxes.py), loading rich's cell measures but never its
  console, which cost about 35 ms of CPU after typer, over half a bare `import typer`.

    python bench/cold_start.py --venv /tmp/vb [--runs 60] [--langs es,pt]
        [--accounts 10000 --collaborators 100000]

The figure is CPU time (user + system of the process, from os.wait4), which other work
on a shared machine disturbs less than wall time (printed too). Time it with a
NON-editable install (as users get it): an editable one reads catalog.toml instead of
the wheel's catalog.json. The commands run strictly alternating (order reversed every
other iteration) on a copy of make_store's store (the writes change it); it prints
medians, p10/p90, the ratio of medians and the median of side-by-side ratios, for each
command in English and for `can` also as a person reading Spanish or Portuguese runs
it ($COLABCTL_LANG=es, pt: one compiled catalog read, the messages asked for looked up
in it), each with its verdict against 1.3x and set beside `can` in English: what the
language costs. Two further commands, `python -c "import colabctl.cli.access"` and
the same for the table read's modules (loaded as colabctl's entry point loads them, the
garbage collector off, then frozen), show how much of `can`'s and the table read's
gaps is importing and how much is building the command, reading and answering. Then
`PYTHONPROFILEIMPORTTIME=1` lists what each command imports beyond typer (sqlite-utils,
loaded only to create or migrate a store, must be absent from all three, and rich's
console from the table read), and hyperfine, if installed, gives a second opinion on
`can`.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from _proc import (
    OUT_DIR,
    Command,
    Timing,
    alternate_timed,
    clean_env,
    install_kind,
    line,
    load_note,
    med,
    paired_ratios,
    venv,
)
from make_store import ensure_store, sample_check

BASELINE = "import typer"
CAN, WRITE, TABLE = "colabctl can", "colabctl profile edit", "colabctl collaborator list"
TARGETS = {CAN: 1.3, WRITE: 1.6, TABLE: 1.6}
YES = {"es": "sí", "pt": "sim"}  # can's answer, in the language it runs in
HEAVY = ("rich", "email_validator", "stdnum", "tomllib", "sqlite_utils", "platformdirs")
# What each command may load of HEAVY: a table read measures cells with rich.cells;
# nothing else needs any. And what none may load: rich's console and table (a table is
# drawn by cli/boxes.py; rich draws only where that cannot match it, output._rich_draws).
EXPECTED = {TABLE: {"rich"}}
NEVER = ("rich.console", "rich.table")
# The modules of each command, imported alone (a label, the code): what of its gap over
# typer is importing (--no-breakdown skips them). Imported as colabctl's entry point loads
# them (colabctl/__main__.py): the garbage collector off, then what was loaded frozen.
_AS_LOADED = "import gc; gc.disable(); import {}; gc.freeze()"
IMPORTS = {
    CAN: ("import colabctl.cli.access", _AS_LOADED.format("colabctl.cli.access")),
    TABLE: (
        "import the table read's modules",
        _AS_LOADED.format("colabctl.cli.collaborators, colabctl.cli.boxes"),
    ),
}


def parse_importtime(stderr: str) -> dict[str, tuple[int, int]]:
    """module -> (self us, cumulative us), from -X importtime output."""
    found: dict[str, tuple[int, int]] = {}
    for line_ in stderr.splitlines():
        if not line_.startswith("import time:") or "self [us]" in line_:
            continue
        self_us, cumulative, name = line_.removeprefix("import time:").split("|")
        found[name.strip()] = (int(self_us), int(cumulative))
    return found


def imports_of(argv: Sequence[str], env: dict[str, str]) -> dict[str, tuple[int, int]]:
    result = subprocess.run(
        argv, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True, text=True
    )
    return parse_importtime(result.stderr)


def store_copy(source: str) -> str:
    """A copy of the cached store under bench/out/, which the write may change."""
    OUT_DIR.mkdir(exist_ok=True)
    target = OUT_DIR / "cold_start.db"
    for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    dst.close()
    src.close()
    return str(target)


def profile_of(path: str, slug: str) -> str:
    """The first profile (by name) of account SLUG: the one the write edits."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = conn.execute(
            "SELECT p.name FROM profiles p JOIN accounts a ON a.id = p.account_id"
            " WHERE a.slug = ? ORDER BY p.name LIMIT 1",
            (slug,),
        ).fetchone()
    finally:
        conn.close()
    return str(row[0])


def checked(cmd: Command, answer: str | None = None) -> None:
    """Run CMD once, exiting unless it succeeds (and, given ANSWER, prints exactly it)."""
    argv = [arg.replace("{run}", "check") for arg in cmd.argv]
    done = subprocess.run(argv, env=cmd.env, capture_output=True, text=True)
    if done.returncode != 0 or (answer is not None and done.stdout.strip() != answer):
        sys.exit(f"{cmd.name}: exit {done.returncode}: {done.stdout}{done.stderr}")


def ratios(times: dict[str, list[Timing]], name: str, target: float) -> str:
    """NAME's CPU time against the baseline's: ratio of medians, side-by-side ratios."""
    mine, base = times[name], times[BASELINE]
    ratio = med(mine, "cpu") / med(base, "cpu")
    pairs = paired_ratios([t.cpu for t in mine], [t.cpu for t in base])
    verdict = "within" if ratio <= target else "OVER"
    return (
        f"  {name:34} {ratio:.2f}x (target <= {target}x: {verdict}); side by side: median"
        f" {pairs.median:.2f}x, p10 {pairs.p10:.2f}x, p90 {pairs.p90:.2f}x;"
        f" wall {med(mine, 'wall') / med(base, 'wall'):.2f}x"
    )


def gap(times: dict[str, list[Timing]], name: str, imports: str) -> str:
    """NAME's CPU time over the baseline's, split at IMPORTS' (its modules imported alone)."""
    base, mine, imp = (med(times[n], "cpu") for n in (BASELINE, name, imports))
    return (
        f"`{name}`'s gap over {BASELINE}: {(mine - base) * 1e3:.1f} ms CPU = importing its"
        f" modules {(imp - base) * 1e3:.1f} ms + building the command, reading the store,"
        f" answering, exiting {(mine - imp) * 1e3:.1f} ms"
    )


def language_cost(times: dict[str, list[Timing]], lang: str) -> str:
    """`can` in LANG against `can` in English, side by side: what the catalog costs."""
    mine, english = times[f"{CAN} ({lang})"], times[CAN]
    pairs = paired_ratios([t.cpu for t in mine], [t.cpu for t in english])
    extra = med(mine, "cpu") - med(english, "cpu")
    return (
        f"  {CAN} ({lang}) against {CAN} in English: side by side median {pairs.median:.3f}x"
        f" (p10 {pairs.p10:.2f}x, p90 {pairs.p90:.2f}x); medians {extra * 1e3:+.1f} ms CPU"
    )


def import_report(name: str, argv: Sequence[str], env: dict[str, str], typer_only: set[str]) -> str:
    """What NAME imports beyond typer: how many modules, the heavy ones, the costliest."""
    loaded = imports_of([arg.replace("{run}", "imports") for arg in argv], env)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    unexpected = sorted({m.split(".")[0] for m in heavy} - EXPECTED.get(name, set()))
    unexpected += sorted(m for m in loaded if m in NEVER)
    extra = {m: t for m, t in loaded.items() if m not in typer_only}
    top = sorted(extra.items(), key=lambda kv: -kv[1][0])[:8]
    tops = sorted({m.split(".")[0] for m in heavy})
    return (
        f"  {name}: {len(loaded)} modules, {len(extra)} beyond typer"
        f" ({sum(t[0] for t in extra.values()) / 1e3:.1f} ms self time, one run);"
        f" heavy: {', '.join(tops) if tops else 'none'}"
        f"{' (UNEXPECTED: ' + ', '.join(unexpected) + ')' if unexpected else ''}\n"
        "    costliest: " + ", ".join(f"{m} {t[0] / 1e3:.1f}" for m, t in top)
    )


def hyperfine_ratio(baseline: list[str], can: list[str], env: dict[str, str], runs: int) -> None:
    hyperfine = shutil.which("hyperfine")
    if not hyperfine:
        return
    OUT_DIR.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile(suffix=".json", dir=OUT_DIR, delete=False) as tmp:
        export = Path(tmp.name)
    subprocess.run(
        [
            hyperfine,
            "-N",
            "--style",
            "basic",
            "--warmup",
            "5",
            "--runs",
            str(runs),
            "--export-json",
            str(export),
            " ".join(baseline[:2]) + " 'import typer'",
            " ".join(can),
        ],
        env=env,
        check=True,
    )
    results = json.loads(export.read_text())["results"]
    export.unlink()
    h_base, h_can = (r["median"] for r in results)
    print(f"hyperfine medians (wall), `can`: ratio {h_can / h_base:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", help="venv to time (default: the one running this script)")
    parser.add_argument("--runs", type=int, default=60, help="runs of each command")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--accounts", type=int, default=10_000)
    parser.add_argument("--collaborators", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-breakdown", action="store_true", help="skip the import-only run")
    parser.add_argument(
        "--langs", default="es,pt", help="languages to time `can` in too (comma-separated; '')"
    )
    parser.add_argument("--no-hyperfine", action="store_true")
    parser.add_argument("--hyperfine-runs", type=int, default=30)
    args = parser.parse_args()

    info = ensure_store(args.accounts, args.collaborators, seed=args.seed)
    q = sample_check(info.path, seed=args.seed)
    db = store_copy(info.path)
    env = clean_env(COLABCTL_USER=q.actor, COLABCTL_DB=db)
    py, colabctl = venv(args.venv)
    can = [colabctl, "can", q.user, q.permission, "-a", q.account]
    baseline = [py, "-c", "import typer"]
    profile = profile_of(db, q.account)
    write = [colabctl, "profile", "edit", profile, "--description", "cold start, {run}"]
    table = [colabctl, "collaborator", "list", "-a", q.account]

    print(f"venv: {py}; colabctl from {install_kind(py)}")
    print(f"as COLABCTL_USER={q.actor}, on a copy of {info.path}:")
    for argv in (can, [*write, "-a", q.account], table):
        print(f"  {shlex.join(['colabctl', *argv[1:]])}")
    commands = [
        Command(BASELINE, baseline, env),
        Command(CAN, can, env),
        Command(WRITE, [*write, "-a", q.account], env),
        Command(TABLE, table, env),
    ]
    checked(commands[1], "yes")
    checked(commands[2])
    checked(commands[3])
    langs = [lang for lang in args.langs.split(",") if lang]
    for lang in langs:
        in_lang = Command(f"{CAN} ({lang})", can, {**env, "COLABCTL_LANG": lang})
        checked(in_lang, YES[lang])
        commands.append(in_lang)
    if not args.no_breakdown:
        for label, code in IMPORTS.values():
            commands.insert(1, Command(label, [py, "-c", code], env))
    print(f"{load_note()}; {args.runs} runs each, strictly alternating, {args.warmup} warm-up")
    times = alternate_timed(commands, args.runs, args.warmup)
    for cmd in commands:
        print(line(cmd.name, times[cmd.name]))
    print(f"CPU time against `{BASELINE}` (ratio of medians):")
    for name, target in TARGETS.items():
        print(ratios(times, name, target))
    for lang in langs:
        print(ratios(times, f"{CAN} ({lang})", TARGETS[CAN]))
    for lang in langs:
        print(language_cost(times, lang))
    if not args.no_breakdown:
        for name, (label, _) in IMPORTS.items():
            print(gap(times, name, label))

    typer_only = set(imports_of(baseline, env))
    print(f"imports (`{BASELINE}`: {len(typer_only)} modules):")
    for cmd in commands:
        if cmd.name in TARGETS:
            print(import_report(cmd.name, cmd.argv, env, typer_only))
    if not args.no_hyperfine:
        hyperfine_ratio(baseline, can, env, args.hyperfine_runs)
    print("(a 2-core machine shared with other work: trust medians and ratios, not single runs)")


if __name__ == "__main__":
    main()
