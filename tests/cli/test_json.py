"""One way JSON is built (docs/json.md): every document the cli prints is the `as_json()`
of a typed core object, whose shape core/shapes.py declares; docs/json.md lists those
shapes (cog); and what each command prints is exactly its declared shape.

- An AST check over src/colabctl/cli: the JSON printers of cli/output.py are given
  `as_json()` results only, never a dict built in the cli; no other cli module imports
  `json`. A planted violation shows the check catches each kind.
- Every `as_json` in src is annotated to return a declared shape, so mypy holds its keys.
- Every command with a `--json` option has a shape, every shape is in docs/json.md, and
  every command's output on the demo store has the declared keys, in order, with values
  of the declared types (both engines).

Engines: the outputs on both (the demo store copied into each); the static checks on none."""

from __future__ import annotations

import ast
import json
import shutil
import types
from pathlib import Path
from typing import Any, Union, get_args, get_origin, is_typeddict

import pytest
import typer
from support import ACME, BETA, BRUNO, CARLA, OWNER, ROOT, START, Cli, FakeClock, ok, raw

from colabctl.cli import build
from colabctl.core import demo, shapes
from colabctl.core.shapedoc import keys, markdown
from colabctl.core.shapes import SHAPES
from colabctl.store.engine import Target

CLI = ROOT / "src" / "colabctl" / "cli"
SRC = ROOT / "src" / "colabctl"
ELENA = "elena.prado@example.com"  # the demo's pending invitee

# -- the cli prints as_json()s only ----------------------------------------------------------

PRINTERS = ("emit_json", "json_text")  # cli/output.py's; json_lines() returns a third


def _is_as_json(node: ast.expr) -> bool:
    """`x.as_json(...)`, or a list (or generator) of them."""
    if isinstance(node, (ast.ListComp, ast.GeneratorExp)):
        node = node.elt
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "as_json"
    )


def _printer_name(func: ast.expr, writers: set[str]) -> str | None:
    if isinstance(func, ast.Attribute) and func.attr in PRINTERS:
        return func.attr
    if isinstance(func, ast.Name) and (func.id in PRINTERS or func.id in writers):
        return func.id
    return None


def json_faults(source: str, name: str) -> list[str]:
    """What in one cli module's SOURCE prints JSON some other way than an as_json()."""
    tree = ast.parse(source, name)
    # names bound to a writer of JSON lines: `emit = output.json_lines()`
    writers = {
        target.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "json_lines"
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    faults = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name == "json" for a in node.names):
            faults.append(f"{name}:{node.lineno}: imports json (only cli/output.py writes JSON)")
        if isinstance(node, ast.ImportFrom) and node.module == "json":
            faults.append(f"{name}:{node.lineno}: imports from json")
        if not isinstance(node, ast.Call):
            continue
        printer = _printer_name(node.func, writers)
        if printer is None:
            continue
        if len(node.args) != 1 or not _is_as_json(node.args[0]):
            faults.append(f"{name}:{node.lineno}: {printer}() of something not an as_json()")
    return faults


def test_the_cli_prints_only_as_json_results() -> None:
    modules = sorted(p for p in CLI.glob("*.py") if p.name != "output.py")
    assert len(modules) > 10
    faults = [f for path in modules for f in json_faults(path.read_text("utf-8"), path.name)]
    assert faults == []


PLANTED = """\
import json
from json import dumps

def one(found, answer):
    output.emit_json({"findings": [f.as_json() for f in found]})
    output.emit_json([{"id": p.id} for p in found])
    output.emit_json(found)
    data = answer.as_json()
    output.emit_json(data)
    output.json_text({"format": 1})
    emit = output.json_lines()
    emit({**answer, "allowed": True})

def fine(found, answer):
    output.emit_json(answer.as_json())
    output.emit_json([f.as_json() for f in found])
    output.json_text(answer.as_json(), indent=None)
    emit = output.json_lines()
    emit(answer.as_json())
"""


def test_the_check_catches_each_planted_violation() -> None:
    faults = json_faults(PLANTED, "planted.py")
    lines = [int(f.split(":")[1]) for f in faults]
    assert lines == [1, 2, 5, 6, 7, 9, 10, 12], faults


def test_every_as_json_returns_a_declared_shape() -> None:
    """So mypy holds each one to its shape: a key missing or too many, a wrong type."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        source = path.read_text("utf-8")
        if "def as_json" not in source:
            continue
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.FunctionDef) and node.name == "as_json":
                found[f"{path.relative_to(SRC)}:{node.lineno}"] = node.returns
    assert len(found) > 25
    for where, returns in found.items():
        assert returns is not None, where
        for part in ast.unparse(returns).split(" | "):
            module, _, shape = part.partition(".")
            assert module == "shapes" and is_typeddict(getattr(shapes, shape, None)), where


# -- the registry, the commands and the page ---------------------------------------------------


def _leaves(group: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    found = {}
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            if getattr(command, "invoke_without_command", False):
                found[(*path, name)] = command
            found |= _leaves(command, (*path, name))
        else:
            found[(*path, name)] = command
    return found


def test_every_json_command_has_a_declared_shape() -> None:
    leaves = _leaves(typer.main.get_command(build()))
    with_json = {path for path, c in leaves.items() if any("--json" in p.opts for p in c.params)}
    declared = {s.command for s in SHAPES if s.command is not None}
    assert with_json - declared == set()
    assert declared <= set(leaves)


def test_every_shape_is_in_the_doc() -> None:
    page = (ROOT / "docs" / "json.md").read_text("utf-8")
    for shown in SHAPES:
        assert markdown(shown.id) in page, f"{shown.id}: run `cog -r docs/json.md`"


def _objects_in(kind: Any) -> list[type]:
    if is_typeddict(kind):
        return [kind]
    return [found for arg in get_args(kind) for found in _objects_in(arg)]


def _reached(*kinds: type) -> set[type]:
    """KINDS and every object nested in them."""
    reached: set[type] = set()
    todo = list(kinds)
    while todo:
        kind = todo.pop()
        if kind not in reached:
            reached.add(kind)
            todo += [found for key in keys(kind) for found in _objects_in(key.type)]
    return reached


def test_every_declared_shape_is_used() -> None:
    """No shape left behind in core/shapes.py: each is some entry's, nested in one, or a
    part of one (a base its as_json builds in steps)."""
    reached = _reached(*(kind for s in SHAPES for kind in (s.shape, *s.variants)))
    declared = [v for v in vars(shapes).values() if is_typeddict(v)]
    for kind in declared:
        names = {k.name for k in keys(kind)}
        assert kind in reached or any(names < {k.name for k in keys(r)} for r in reached), kind


# -- what each command prints, against its shape -------------------------------------------


def faults(value: Any, kind: Any, where: str, seen: set[type] | None = None) -> list[str]:
    """How VALUE (parsed JSON) differs from the declared KIND: keys (in order), types.
    SEEN collects the shapes of the objects that matched theirs."""
    seen = set() if seen is None else seen
    if kind is Any:
        return []
    if get_origin(kind) in (Union, types.UnionType):
        arms = [faults(value, arm, where, seen) for arm in get_args(kind)]
        return [] if [] in arms else arms[0]
    if kind is type(None):
        return [] if value is None else [f"{where}: {value!r} is not null"]
    if is_typeddict(kind):
        return _object_faults(value, kind, where, seen)
    if get_origin(kind) is list:
        if not isinstance(value, list):
            return [f"{where}: not a list"]
        return [
            f
            for i, item in enumerate(value)
            for f in faults(item, get_args(kind)[0], where + f"[{i}]", seen)
        ]
    if get_origin(kind) is dict:
        if not isinstance(value, dict):
            return [f"{where}: not an object"]
        return [
            f
            for k, item in value.items()
            for f in faults(item, get_args(kind)[1], f"{where}.{k}", seen)
        ]
    if kind is float:
        ok_type = isinstance(value, (int, float)) and not isinstance(value, bool)
    else:
        ok_type = type(value) is kind
    return [] if ok_type else [f"{where}: {value!r} is not {kind.__name__}"]


def _object_faults(value: Any, kind: type, where: str, seen: set[type]) -> list[str]:
    if not isinstance(value, dict):
        return [f"{where}: not an object"]
    declared = keys(kind)
    expected = [k.name for k in declared if k.required or k.name in value]
    if list(value) != expected:
        return [f"{where}: keys {list(value)}, declared {expected}"]
    seen.add(kind)
    return [
        f
        for k in declared
        if k.name in value
        for f in faults(value[k.name], k.type, f"{where}.{k.name}", seen)
    ]


def test_the_check_of_a_shape_catches_each_difference() -> None:
    head = {"seq": 1, "hash": "ab"}
    assert faults(head, shapes.Head, "head") == []
    assert faults({"hash": "ab", "seq": 1}, shapes.Head, "head") != []  # order
    assert faults({"seq": 1}, shapes.Head, "head") != []  # a key missing
    assert faults({**head, "more": 1}, shapes.Head, "head") != []  # a key too many
    assert faults({"seq": True, "hash": "ab"}, shapes.Head, "head") != []  # a type
    assert faults({"line": 2, "error": "empty line"}, shapes.BatchUnread, "") == []
    assert faults({"line": 2, "input": [1], "error": "x"}, shapes.BatchUnread, "") == []


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> demo.Demo:
    return demo.build(tmp_path_factory.mktemp("demo") / "demo.db", clock=FakeClock(START))


@pytest.fixture
def demo_store(cli: Cli, demo_template: demo.Demo, db_path: Target, tmp_path: Path) -> Path:
    """The demo store, as this test's store (copied into it on either engine); its
    policy tests beside it, with a team file that moves bruno to financiero."""
    ok(cli("store", "copy", str(demo_template.path), str(db_path)))
    policy = tmp_path / "demo-policy"
    shutil.copytree(demo_template.policy, policy)
    team = (policy / "team.toml").read_text("utf-8")
    moved = team.replace(f'"{BRUNO}" = "soporte"', f'"{BRUNO}" = "financiero"')
    assert moved != team
    (tmp_path / "team.toml").write_text(moved, "utf-8")
    return policy


def runs(policy: Path, db_path: Target) -> dict[str, list[tuple[list[str], int]]]:
    """Per entry of SHAPES with a command: command lines (without --json) and their exit
    codes, chosen so that each nested object shows up at least once."""
    team = str(policy.parent / "team.toml")
    anchor = "1:" + "0" * 64  # not in the chain: `anchor` is an object
    return {
        "whoami": [(["--as", CARLA, "whoami"], 0), (["--as", ELENA, "whoami"], 0)],
        "whoami-account": [(["--as", BRUNO, "whoami", "--account", ACME], 0)],
        "account-list": [(["--as", CARLA, "account", "list"], 0)],
        "account-show": [
            (["account", "show", ACME], 0),
            (["--as", CARLA, "account", "show", BETA], 0),
        ],
        "permissions": [(["permissions"], 0)],
        "preset-list": [(["preset", "list"], 0)],
        "preset-show": [(["preset", "show", "soporte"], 0)],
        "profile-list": [(["profile", "list", "-a", ACME], 0)],
        "profile-show": [(["profile", "show", "soporte", "-a", ACME], 0)],
        "collaborator-list": [(["collaborator", "list", "-a", ACME], 0)],
        "collaborator-show": [(["collaborator", "show", BRUNO, "-a", ACME], 0)],
        "can": [(["can", BRUNO, "products.view", "withdrawal.withdraw", "-a", ACME], 1)],
        "who-can": [(["who-can", "products.view", "-a", ACME], 0)],
        "matrix": [(["matrix", "-a", ACME], 0)],
        "audit-log": [(["audit", "log"], 0)],
        "audit-head": [(["audit", "head"], 0)],
        "audit-verify": [(["audit", "verify", "--anchor", anchor], 1)],
        "store-info": [(["store", "info"], 0)],
        "store-copy": [(["store", "copy", str(db_path), str(policy.parent / "copy.db")], 0)],
        "test": [
            # judged on the team file, elena counts as accepted: the matrix fails
            (["test", str(policy), "--team", str(policy / "team.toml")], 1),
            (["test", str(policy)], 0),
        ],
        "review": [(["review", "-a", ACME], 0)],
        "exit-codes": [(["help", "exit-codes"], 0)],
        "plan": [(["plan", "-f", team], 0)],
        "saved-plan": [(["plan", "-f", team, "-o", "-"], 0)],  # the document on stdout
        "apply": [(["apply", "-f", team, "--yes"], 0)],  # last: it writes
    }


def _run(cli: Cli, args: list[str], code: int, json_flag: bool = True) -> str:
    line = ["--as", OWNER, *args] if args[0] != "--as" else args
    result = cli(*line, *(["--json"] if json_flag else []))
    ok(result, code)
    return result.stdout


def test_every_json_command_prints_its_declared_shape(
    cli: Cli, demo_store: Path, db_path: Target, tmp_path: Path
) -> None:
    planned = runs(demo_store, db_path)
    assert set(planned) == {s.id for s in SHAPES if s.command is not None and s.form != "lines"}
    # an acknowledged finding, so that `ack` is an object somewhere
    finding = json.loads(_run(cli, ["review", "-a", ACME], 0))["findings"][0]["id"]
    ok(cli("--as", OWNER, "review", "ack", finding, "--reason", "agreed", "-a", ACME))
    by_id = {s.id: s for s in SHAPES}
    found: list[str] = []
    seen: set[type] = set()
    for entry_id, lines in planned.items():  # in this order: apply, which writes, last
        shown = by_id[entry_id]
        for args, code in lines:
            document = json.loads(_run(cli, args, code, json_flag=shown.id != "saved-plan"))
            kind = types.GenericAlias(list, shown.shape) if shown.form == "list" else shown.shape
            found += faults(document, kind, " ".join(args), seen)
    assert found == []
    # every object of every shape was there to be checked (a break: the next test's)
    assert {k for s in SHAPES if s.form != "lines" for k in _reached(s.shape)} - seen == {
        shapes.Break
    }


def test_an_audit_break_has_its_declared_shape(cli: Cli, demo_store: Path, db_path: Target) -> None:
    raw(db_path, ("UPDATE accounts SET name = ? WHERE slug = ?", ("Renamed by hand", ACME)))
    verdict = json.loads(_run(cli, ["audit", "verify"], 1))
    assert verdict["breaks"], verdict
    assert faults(verdict, shapes.Verification, "audit verify") == []


def test_every_batch_line_has_a_declared_shape(cli: Cli, demo_store: Path) -> None:
    source = demo_store.parent / "questions.jsonl"
    lines = [
        {"user": BRUNO, "account": ACME, "permission": "products.view"},
        {"user": BRUNO, "account": ACME, "permission": "no.such"},
        [1, 2],
    ]
    source.write_text("\n".join(map(json.dumps, lines)) + "\nnot json\n", "utf-8")
    (shown,) = [s for s in SHAPES if s.id == "can-batch"]
    answers = _run(cli, ["can", "--batch", str(source)], 6, json_flag=False).splitlines()
    assert len(answers) == 4
    for number, line in enumerate(answers, 1):
        verdicts = [
            faults(json.loads(line), variant, f"line {number}") for variant in shown.variants
        ]
        assert [] in verdicts, verdicts
