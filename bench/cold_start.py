"""Cold start of `colabctl can USER PERM -a SLUG` as a whole process, against a bare
`python -c "import typer"` from the same venv (README, Performance: at most 1.3x).

    python bench/cold_start.py --venv /tmp/vb [--runs 60] [--accounts 10000 --collaborators 100000]

Time it with a NON-editable install (as users get it): an editable one reads
catalog.toml instead of the wheel's catalog.json. The commands run strictly
alternating (order reversed every other iteration); it prints medians, p10/p90 and
the ratio of medians, plus the median of side-by-side ratios, for `can` in English and,
as a person reading Spanish or Portuguese runs it ($COLABCTL_LANG=es, pt: one compiled
catalog loaded by the standard library's gettext), in each. A further command,
`python -c "import colabctl.cli.access"`, shows how much of the gap is importing and how
much is building the command and answering. Then `PYTHONPROFILEIMPORTTIME=1` lists what
`can` imports beyond typer (the heavy modules should be absent), and hyperfine, if
installed, gives a second opinion.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from _proc import (
    OUT_DIR,
    Command,
    alternate,
    clean_env,
    install_kind,
    load_note,
    paired_ratios,
    spread,
    venv,
)
from make_store import ensure_store, sample_check

TARGET = 1.3
YES = {"es": "sí", "pt": "sim"}  # can's answer, in the language it runs in
HEAVY = ("rich", "email_validator", "stdnum", "tomllib", "sqlite_utils", "platformdirs")


def parse_importtime(stderr: str) -> dict[str, tuple[int, int]]:
    """module -> (self us, cumulative us), from -X importtime output."""
    found: dict[str, tuple[int, int]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        self_us, cumulative, name = line.removeprefix("import time:").split("|")
        found[name.strip()] = (int(self_us), int(cumulative))
    return found


def imports_of(argv: list[str], env: dict[str, str]) -> dict[str, tuple[int, int]]:
    result = subprocess.run(
        argv, env={**env, "PYTHONPROFILEIMPORTTIME": "1"}, capture_output=True, text=True
    )
    return parse_importtime(result.stderr)


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
    env = clean_env(COLABCTL_USER=q.actor, COLABCTL_DB=info.path)
    py, colabctl = venv(args.venv)
    can = [colabctl, "can", q.user, q.permission, "-a", q.account]
    baseline = [py, "-c", "import typer"]

    print(f"venv: {py}; colabctl from {install_kind(py)}")
    print(f"question: COLABCTL_USER={q.actor} {' '.join(['colabctl', *can[1:]])}")
    check = subprocess.run(can, env=env, capture_output=True, text=True)
    if check.returncode != 0 or check.stdout.strip() != "yes":
        sys.exit(f"unexpected answer (exit {check.returncode}): {check.stdout}{check.stderr}")

    commands = [Command("import typer", baseline, env), Command("colabctl can", can, env)]
    langs = [lang for lang in args.langs.split(",") if lang]
    for lang in langs:
        in_lang = {**env, "COLABCTL_LANG": lang}
        answer = subprocess.run(can, env=in_lang, capture_output=True, text=True)
        if answer.returncode != 0 or answer.stdout.strip() != YES[lang]:
            sys.exit(f"unexpected answer in {lang}: {answer.stdout}{answer.stderr}")
        commands.append(Command(f"colabctl can ({lang})", can, in_lang))
    if not args.no_breakdown:
        imports_only = [py, "-c", "import colabctl.cli.access"]
        commands.insert(1, Command("import colabctl.cli.access", imports_only, env))
    print(f"{load_note()}; {args.runs} runs each, strictly alternating, {args.warmup} warm-up")
    times = alternate(commands, args.runs, args.warmup)
    base = spread(times["import typer"])
    for cmd in commands:
        print(f"  {cmd.name:28} {spread(times[cmd.name]).ms()}")
    mine = spread(times["colabctl can"])
    ratio = mine.median / base.median
    pairs = paired_ratios(times["colabctl can"], times["import typer"])
    verdict = "within" if ratio <= TARGET else "OVER"
    print(
        f"ratio of medians: {ratio:.2f}x (target <= {TARGET}x: {verdict}); side-by-side ratios:"
        f" median {pairs.median:.2f}x, p10 {pairs.p10:.2f}x, p90 {pairs.p90:.2f}x"
    )
    for lang in langs:
        name = f"colabctl can ({lang})"
        in_lang = spread(times[name]).median / base.median
        lang_pairs = paired_ratios(times[name], times["import typer"])
        print(
            f"  in {lang}: ratio of medians {in_lang:.2f}x"
            f" ({'within' if in_lang <= TARGET else 'OVER'}); side-by-side median"
            f" {lang_pairs.median:.2f}x"
        )
    if not args.no_breakdown:
        imp = spread(times["import colabctl.cli.access"]).median
        print(
            f"gap over import typer: {(mine.median - base.median) * 1e3:.1f} ms = importing "
            f"colabctl's modules {(imp - base.median) * 1e3:.1f} ms + building the command, "
            f"reading the store, answering, exiting {(mine.median - imp) * 1e3:.1f} ms"
        )

    loaded = imports_of(can, env)
    typer_only = imports_of(baseline, env)
    heavy = sorted(m for m in loaded if m.split(".")[0] in HEAVY)
    print(
        f"`can` imports {len(loaded)} modules ({len(typer_only)} for `import typer`);"
        f" heavy ones: {', '.join(heavy) if heavy else 'none'}"
    )
    extra = {m: t for m, t in loaded.items() if m not in typer_only}
    top = sorted(extra.items(), key=lambda kv: -kv[1][0])[:8]
    print(
        f"  beyond typer: {len(extra)} modules, {sum(t[0] for t in extra.values()) / 1e3:.1f} ms"
        " self time (one run): " + ", ".join(f"{m} {t[0] / 1e3:.1f}" for m, t in top)
    )

    hyperfine = shutil.which("hyperfine")
    if hyperfine and not args.no_hyperfine:
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
                str(args.hyperfine_runs),
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
        print(f"hyperfine medians: ratio {h_can / h_base:.2f}x")
    print("(a 2-core machine shared with other work: trust medians and ratios, not single runs)")


if __name__ == "__main__":
    main()
