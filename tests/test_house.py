"""The house's "one X" claims (CONTRIBUTING.md), held by reading the source: each rule
below walks every module of src/colabctl and fails naming the file and line where the
claim stopped being true. Each rule is shown to fail on a planted violation (BAD), and
to let the right way through (GOOD), so none of them passes by looking at nothing.

An exception that has a reason carries it beside the code, in a comment the rule
recognises: `# house: RULE: why` on the offending line, the line above it, or anywhere
in the function around it (e.g. __main__.py writes its interrupt line before anything of
colabctl is loaded, cli/output.py included).

What each rule allows is said in its docstring; import-linter (pyproject.toml) holds the
layers, and cog the generated docs (.ci/run)."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "colabctl"


@dataclass(frozen=True)
class Module:
    path: str  # relative to src/colabctl, with slashes: "cli/output.py"
    source: str
    tree: ast.Module


Found = Iterator[tuple[int, str]]  # (line, what)


def _name(node: ast.expr) -> str:
    """`typer.Exit` -> "typer.Exit", `Exit` -> "Exit"; anything else -> ""."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _name(node.value)
        return f"{inner}.{node.attr}" if inner else f"?.{node.attr}"
    return ""


def _last(node: ast.expr) -> str:
    return _name(node).rsplit(".", 1)[-1]


def _is_int(node: ast.expr | None) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int)
        and not isinstance(node.value, bool)
    )


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every string literal, and every literal part of an f-string, with its line."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def _imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every module imported (for `from a.b import c`: "a.b" and "a.b.c")."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


# -- the rules -------------------------------------------------------------------------


EXITS = frozenset({"Exit", "SystemExit", "exit", "_exit"})


def exit_numbers(module: Module) -> Found:
    """No bare exit numbers: every exit names its errors.ExitCode member. Refused:
    `Exit(1)`, `sys.exit(2)`, `os._exit(130)`, `SystemExit(0)`, and an exit with no code at
    all (`typer.Exit()`, `raise typer.Exit`), which is a silent 0."""
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and _last(node.func) in EXITS:
            code = node.args[0] if node.args else None
            code = next((k.value for k in node.keywords if k.arg == "code"), code)
            if code is None or _is_int(code):
                yield node.lineno, f"{ast.unparse(node)}: name an ExitCode member"
        elif (
            isinstance(node, ast.Raise)
            and node.exc is not None
            and not isinstance(node.exc, ast.Call)
            and _last(node.exc) in {"Exit", "SystemExit"}
        ):
            yield node.lineno, f"raise {ast.unparse(node.exc)}: name an ExitCode member"


STREAMS = frozenset({"stdout", "stderr", "__stdout__", "__stderr__"})


def prints(module: Module) -> Found:
    """Only cli/output.py prints: elsewhere no print(), typer/click echo, sys.stdout or
    sys.stderr (not even to ask whether it is a terminal: output answers that), no write
    to file descriptor 1 or 2, and no rich Console."""
    if module.path == "cli/output.py":
        return
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call):
            called = _name(node.func)
            if called == "print" or _last(node.func) in {"echo", "secho"}:
                yield node.lineno, f"{called}(): print through cli/output.py"
            elif called == "os.write" and node.args and _is_int(node.args[0]):
                yield node.lineno, "os.write to a standard stream: print through cli/output.py"
        elif (
            isinstance(node, ast.Attribute) and node.attr in STREAMS and _name(node.value) == "sys"
        ):
            yield node.lineno, f"sys.{node.attr}: only cli/output.py uses it"
    for line, name in _imports(module.tree):
        if name.startswith("rich.console") or name == "rich.print":
            yield line, f"import {name}: only cli/output.py draws"


def atomic_writer(module: Module) -> Found:
    """One atomic writer, core/files.py (`write_output`, `write_atomically`,
    `folder_atomically`): no os.replace, os.rename, shutil.move or Path.rename/replace
    elsewhere. (`x.replace(one_argument)` is Path.replace: str.replace takes two, datetime's
    and a NamedTuple's take keywords.)"""
    if module.path == "core/files.py":
        return
    for node in ast.walk(module.tree):
        if not isinstance(node, ast.Call):
            continue
        called = _name(node.func)
        moves = called in {"os.replace", "os.rename", "os.renames", "shutil.move"}
        path_move = isinstance(node.func, ast.Attribute) and (
            node.func.attr == "rename"
            or (node.func.attr == "replace" and len(node.args) == 1 and not node.keywords)
        )
        if moves or path_move:
            yield node.lineno, f"{ast.unparse(node)}: write through core/files.py"


def toml_reader(module: Module) -> Found:
    """One TOML reader, core/tomlfile.py (capped, with lines in its errors): tomllib and
    tomli are imported nowhere else. (tomli_w writes; a docstring may name tomllib.)"""
    if module.path == "core/tomlfile.py":
        return
    for line, name in _imports(module.tree):
        if name.split(".")[0] in {"tomllib", "tomli"}:
            yield line, f"import {name}: read TOML through core/tomlfile.py"


def progress_bar(module: Module) -> Found:
    """One progress bar, cli/output.progress_bar: rich.progress is imported nowhere else."""
    if module.path == "cli/output.py":
        return
    for line, name in _imports(module.tree):
        if name.startswith("rich.progress"):
            yield line, f"import {name}: use output.progress_bar"


STORED_STATUS_LIST = re.compile(r"\bstatus\s+(?:NOT\s+)?IN\s*\(", re.IGNORECASE)


def status_derived_once(module: Module) -> Found:
    """A membership's status is derived once (core/session.py: `status_sql`, which reads
    expired and ended from the clock), so no SQL in core/ picks rows by a list of stored
    statuses: `status IN ('pending', 'active')` means the live row, and is written once,
    `session.live_sql` (with the expiry bookkeeping beside it, the only other place that
    reads a stored status to decide). Comparing the derived status (`{STATUS_SQL} IN
    (...)`) is the right way and passes. store/ is below the derivation: its migrations,
    indexes and row-level policies speak of stored statuses by nature."""
    if not module.path.startswith("core/") or module.path == "core/session.py":
        return
    for line, text in _strings(module.tree):
        if STORED_STATUS_LIST.search(text):
            yield line, f"{text.strip()[:60]!r}: use session.live_sql or session.STATUS_SQL"


OWNER_IN_SQL = re.compile(r"(?<!SET )\b(?:\w+\.)?owner_id\s*(?:=|<>|!=)", re.IGNORECASE)


def ownership_decided_once(module: Module) -> Found:
    """Who owns an account is decided in core/access.py (`standing_of`, `managed`,
    `owned_accounts`): no Python comparison of an owner_id anywhere else in core/, and no
    SQL comparing owner_id with something, but for `session.owned_sql`, the one SQL for
    "the accounts someone owns" (which access.py uses, and the session for a suggestion
    and a server login's bookkeeping). `SET owner_id = ?` (a transfer) and
    `JOIN users u ON u.id = a.owner_id` (the owner's email) decide nothing and pass."""
    if not module.path.startswith("core/") or module.path == "core/access.py":
        return
    allowed: set[int] = set()
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef) and (module.path, node.name) == (
            "core/session.py",
            "owned_sql",
        ):
            allowed |= set(range(node.lineno, (node.end_lineno or node.lineno) + 1))
        if isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(_last(side) == "owner_id" for side in sides):
                yield node.lineno, f"{ast.unparse(node)}: ask core/access.py"
    for line, text in _strings(module.tree):
        if line not in allowed and OWNER_IN_SQL.search(text):
            yield line, f"{text.strip()[:60]!r}: use session.owned_sql (core/access.py decides)"


PAIR_REFUSAL = re.compile(
    r"cannot be used with|are alternatives|mutually exclusive|\bnot both\b", re.IGNORECASE
)


def exclusive_options(module: Module) -> Found:
    """Options that cannot go together are refused by one function, cli/common.exclusive
    (a usage error, 2: "A cannot be used with B"), so no message anywhere else says two
    options cannot go together."""
    if module.path == "cli/common.py":
        return
    for line, text in _strings(module.tree):
        if PAIR_REFUSAL.search(text):
            yield line, f"{text.strip()[:60]!r}: refuse the pair with common.exclusive"


RULES: dict[str, Callable[[Module], Found]] = {
    "exit-number": exit_numbers,
    "prints": prints,
    "atomic-writer": atomic_writer,
    "toml-reader": toml_reader,
    "progress-bar": progress_bar,
    "status-sql": status_derived_once,
    "ownership": ownership_decided_once,
    "exclusive": exclusive_options,
}


# -- running them ----------------------------------------------------------------------

MARK = re.compile(r"#\s*house:\s*([a-z, -]+?)\s*:")


def _excused(module: Module, rule: str, line: int) -> bool:
    """Whether a `# house: RULE: why` comment covers LINE: on it, just above it, or in
    the function around it."""
    lines = module.source.splitlines()
    spans = [(line - 1, line)]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            end = node.end_lineno or node.lineno
            if node.lineno <= line <= end:
                spans.append((node.lineno, end))
    for first, last in spans:
        for text in lines[max(first, 1) - 1 : last]:
            found = MARK.search(text)
            if found and rule in {r.strip() for r in found[1].split(",")}:
                return True
    return False


def violations(rule: str, module: Module) -> list[str]:
    return [
        f"{module.path}:{line}: {what}"
        for line, what in RULES[rule](module)
        if not _excused(module, rule, line)
    ]


def module(path: str, source: str) -> Module:
    return Module(path, source, ast.parse(source))


@functools.cache
def source_modules() -> list[Module]:
    """Every module of src/colabctl, parsed once for all the rules."""
    return [
        module(path.relative_to(SRC).as_posix(), path.read_text("utf-8"))
        for path in sorted(SRC.rglob("*.py"))
    ]


@pytest.mark.parametrize("rule", list(RULES))
def test_the_source_keeps_the_rule(rule: str) -> None:
    found = [v for m in source_modules() for v in violations(rule, m)]
    assert found == [], "\n".join(found)


# (rule, module path, a planted violation, the same done the house's way)
SAMPLES: list[tuple[str, str, str, str]] = [
    (
        "exit-number",
        "cli/access.py",
        "import typer\ndef f():\n    raise typer.Exit(1)\n",
        "import typer\nfrom colabctl.errors import ExitCode\n"
        "def f():\n    raise typer.Exit(ExitCode.NO)\n",
    ),
    (
        "exit-number",
        "cli/__init__.py",
        "def f():\n    raise typer.Exit()\n",
        "def f(c):\n    raise typer.Exit(c)\n",
    ),
    (
        "exit-number",
        "cli/x.py",
        "def f():\n    raise typer.Exit\n",
        "def f():\n    raise typer.Exit(ExitCode.OK)\n",
    ),
    (
        "exit-number",
        "store/x.py",
        "import sys\nsys.exit(2)\n",
        "import sys\nsys.exit(ExitCode.USAGE)\n",
    ),
    (
        "exit-number",
        "x.py",
        "import os\nos._exit(130)\n",
        "import os\nos._exit(ExitCode.INTERRUPTED)\n",
    ),
    ("exit-number", "x.py", "raise SystemExit(code=0)\n", "raise SystemExit(code=ExitCode.OK)\n"),
    (
        "exit-number",
        "__main__.py",
        "import os\ndef f():\n    os._exit(130)\n",
        "import os\ndef f():\n    # house: exit-number: nothing is loaded yet\n    os._exit(130)\n",
    ),
    (
        "prints",
        "cli/__init__.py",
        'import typer\ntyper.echo("colabctl 1.0")\n',
        'output.emit_line("colabctl 1.0")\n',
    ),
    ("prints", "core/review.py", 'print("hello")\n', 'output.say("hello")\n'),
    ("prints", "cli/team.py", 'import sys\nsys.stderr.write("x")\n', 'output.say("x")\n'),
    (
        "prints",
        "cli/report.py",
        "import sys\nsys.stdout.isatty()\n",
        "output.stdout_is_terminal()\n",
    ),
    (
        "prints",
        "cli/policy.py",
        "from rich.console import Console\n",
        "from colabctl.cli import output\n",
    ),
    ("prints", "__main__.py", 'import os\nos.write(2, b"x")\n', 'import os\nos.write(fd, b"x")\n'),
    (
        "prints",
        "cli/output.py",
        'import sys\nsys.stdout.write("x")\n',
        'import sys\nsys.stdout.write("x")\n',
    ),
    (
        "atomic-writer",
        "core/demo.py",
        "import os\nos.replace(temp, folder)\n",
        "with folder_atomically(folder) as temp:\n    pass\n",
    ),
    ("atomic-writer", "core/config.py", "temp.rename(path)\n", "write_atomically(path, data)\n"),
    ("atomic-writer", "core/config.py", "temp.replace(path)\n", 'text.replace("a", "b")\n'),
    (
        "atomic-writer",
        "store/x.py",
        "import shutil\nshutil.move(a, b)\n",
        "moment.replace(tzinfo=UTC)\n",
    ),
    (
        "atomic-writer",
        "core/files.py",
        "import os\nos.replace(temp, path)\n",
        "import os\nos.replace(temp, path)\n",
    ),
    ("toml-reader", "core/config.py", "import tomllib\n", "from colabctl.core import tomlfile\n"),
    ("toml-reader", "core/catalog.py", "from tomli import loads\n", "import tomli_w\n"),
    ("toml-reader", "core/tomlfile.py", "import tomllib\n", "import tomllib\n"),
    (
        "progress-bar",
        "cli/team.py",
        "from rich.progress import Progress\n",
        "from colabctl.cli import output\n",
    ),
    ("progress-bar", "cli/team.py", "import rich.progress\n", "import rich.table\n"),
    (
        "status-sql",
        "core/profiles.py",
        "SQL = \"SELECT 1 FROM memberships m WHERE m.status IN ('pending', 'active')\"\n",
        'SQL = f"SELECT 1 FROM memberships m WHERE {live_sql()}"\n',
    ),
    (
        "status-sql",
        "core/team/state.py",
        "SQL = f\"SELECT 1 FROM memberships m WHERE m.id = {x} AND status NOT IN ('declined')\"\n",
        "SQL = f\"SELECT 1 FROM memberships m WHERE {STATUS_SQL} IN ('pending', 'active')\"\n",
    ),
    (
        "status-sql",
        "core/session.py",
        "SQL = \"SELECT 1 FROM memberships m WHERE m.status IN ('pending', 'active')\"\n",
        "SQL = \"SELECT 1 FROM memberships m WHERE m.status IN ('pending', 'active')\"\n",
    ),
    (
        "ownership",
        "core/team/planner.py",
        "ok = acct.owner_id == actor.id\n",
        "ok = access.standing_of(s, acct, actor).owner\n",
    ),
    (
        "ownership",
        "core/review.py",
        '"SELECT slug FROM accounts WHERE owner_id = ?"\n',
        "f\"SELECT slug FROM accounts WHERE id IN ({owned_sql('?')})\"\n",
    ),
    (
        "ownership",
        "core/session.py",
        'def other(u):\n    return f"SELECT id FROM accounts WHERE a.owner_id = {u}"\n',
        'def owned_sql(u):\n    return f"SELECT id FROM accounts WHERE owner_id = {u}"\n',
    ),
    (
        "ownership",
        "core/ownership.py",
        '"UPDATE accounts SET owner_id = ? WHERE owner_id <> ?"\n',
        '"UPDATE accounts SET owner_id = ? WHERE id = ?"\n',
    ),
    (
        "ownership",
        "core/access.py",
        "mine = acct.owner_id == me.id\n",
        "mine = acct.owner_id == me.id\n",
    ),
    (
        "exclusive",
        "cli/report.py",
        'ctx.fail(_("--all-accounts and --account are alternatives: give one"))\n',
        'exclusive(ctx, ("--account", account), ("--all-accounts", all_accounts))\n',
    ),
    (
        "exclusive",
        "cli/team.py",
        'raise typer.BadParameter("--prune cannot be used with --file")\n',
        'raise typer.BadParameter(_("give the team file with -f FILE"))\n',
    ),
    (
        "exclusive",
        "cli/common.py",
        'message = _("%(first)s cannot be used with %(other)s")\n',
        'message = _("%(first)s cannot be used with %(other)s")\n',
    ),
]


def _sample_id(sample: tuple[str, str, str, str]) -> str:
    return f"{sample[0]}:{sample[1]}:{SAMPLES.index(sample)}"


@pytest.mark.parametrize("sample", SAMPLES, ids=_sample_id)
def test_a_planted_violation_is_named_and_the_house_way_passes(
    sample: tuple[str, str, str, str],
) -> None:
    rule, path, bad, good = sample
    allowed_there = bad == good  # the rule's own module: the same code is fine there
    found = violations(rule, module(path, bad))
    if allowed_there:
        assert found == []
    else:
        assert found and all(v.startswith(f"{path}:") for v in found), found
    assert violations(rule, module(path, good)) == []
