"""Files colabctl reads by name and files it writes (docs/exit-codes.md, "Files").

- Every file read by name has a size cap: `/dev/zero` is refused (6) at once, a folder
  is 6, a FIFO reads like a file; a `can --batch` line over 64 KB gets an error line.
- `-o FILE` and `--junit FILE` create missing folders; a command that fails (2 to 8, or
  130) leaves no such file and no folder it made, and an existing file as it was; an
  exit of 1 is an answer and writes its file. A test run prints its results when its
  report cannot be written, then exits 6 naming the file.
- `demo` writes its sample policy tests into demo-policy/ beside its store, replacing
  only a folder it wrote itself, and leaves no -wal/-shm beside a target it refuses.
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from pathlib import Path

import pytest
from support import ACME, BEA, OWNER, Cli, failure, ok, refused

from colabctl.cli import policy as policy_cli
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres")

CHECKS = f"""
[[check]]
account = "{ACME}"
user = "{OWNER}"
allow = ["products.view"]
"""
FAILING = f"""
[[check]]
account = "{ACME}"
user = "{BEA}"
allow = ["withdrawal.withdraw"]
"""


def policy_file(folder: Path, text: str = CHECKS) -> Path:
    path = folder / "policy.toml"
    path.write_text(text, encoding="utf-8")
    return path


# -- reading: caps ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["profile", "create", "xy", "--from", "{file}", "-a", ACME],
        ["review", "-a", ACME, "--rules", "{file}"],
        ["test", "{file}"],
        ["plan", "-f", "{file}"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_file_that_never_ends_is_refused(
    cli: Cli, legal_account: str, db_path: Target, args: list[str]
) -> None:
    result = refused(cli, db_path, 6, "--as", OWNER, *(a.format(file="/dev/zero") for a in args))
    assert "/dev/zero: too large for" in result.stderr


def test_a_config_that_never_ends_or_is_a_folder_is_refused(
    cli: Cli, legal_account: str, db_path: Target, tmp_path: Path
) -> None:
    for config, said in (("/dev/zero", "too large for a config"), (str(tmp_path), "cannot read")):
        error, _ = failure(cli("whoami", env={"COLABCTL_CONFIG": config}), 6)
        assert f"the config {config}: {said}" in error


def test_a_fifo_is_read_like_a_file(cli: Cli, legal_account: str, tmp_path: Path) -> None:
    fifo = tmp_path / "config.fifo"
    os.mkfifo(fifo)

    def feed() -> None:
        with fifo.open("w", encoding="utf-8") as handle:
            handle.write(f'user = "{OWNER}"\n')

    writer = threading.Thread(target=feed)
    writer.start()
    try:
        found = json.loads(ok(cli("whoami", "--json", env={"COLABCTL_CONFIG": str(fifo)})).stdout)
    finally:
        writer.join(timeout=10)
    assert found["user"] == OWNER


def test_a_batch_line_over_64_kb_gets_an_error_line(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    good = json.dumps({"user": OWNER, "account": ACME, "permission": "products.view"})
    huge = json.dumps({"user": "x" * 70_000, "account": ACME, "permission": "products.view"})
    path = tmp_path / "checks.jsonl"
    path.write_text(f"{good}\n{huge}\n{good}\n", encoding="utf-8")
    result = cli("--as", OWNER, "can", "--batch", str(path))
    assert result.exit_code == 6
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line.get("allowed") for line in lines] == [True, None, True]
    assert lines[1] == {"line": 2, "error": "line longer than 64 KB"}


# -- writing: folders, and nothing left by a failure ----------------------------------------


def test_junit_and_o_create_missing_folders(cli: Cli, legal_account: str, tmp_path: Path) -> None:
    report = tmp_path / "reports" / "ci" / "policy.xml"
    ok(cli("--as", OWNER, "test", str(policy_file(tmp_path)), "--junit", str(report)))
    assert report.read_text(encoding="utf-8").startswith("<?xml")
    exported = tmp_path / "profiles" / "soporte.toml"
    ok(cli("--as", OWNER, "profile", "export", "soporte", "-a", ACME, "-o", str(exported)))
    assert 'name = "soporte"' in exported.read_text(encoding="utf-8")


def test_an_answer_of_no_still_writes_its_file(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    report = tmp_path / "out" / "policy.xml"
    ok(cli("--as", OWNER, "test", str(policy_file(tmp_path, FAILING)), "--junit", str(report)), 1)
    assert "<failure" in report.read_text(encoding="utf-8")


def test_an_interrupted_run_leaves_no_report_and_no_folder(
    cli: Cli, legal_account: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C after the report was written, while the results print: 130, and neither the
    report nor the folders made for it are left; an existing report stays as it was."""

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(policy_cli, "_print", interrupted)
    tests = policy_file(tmp_path)
    report = tmp_path / "reports" / "ci" / "policy.xml"
    failure(cli("--as", OWNER, "test", str(tests), "--junit", str(report)), 130)
    assert not (tmp_path / "reports").exists()
    kept = tmp_path / "kept.xml"
    kept.write_text("the last run's\n", encoding="utf-8")
    failure(cli("--as", OWNER, "test", str(tests), "--junit", str(kept)), 130)
    assert kept.read_text(encoding="utf-8") == "the last run's\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_failed_plan_leaves_no_output_folder(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    out = tmp_path / "new" / "plan.json"
    result = cli("--as", OWNER, "plan", "-f", str(tmp_path / "missing.toml"), "-o", str(out))
    assert result.exit_code == 6
    assert not (tmp_path / "new").exists()


def test_results_are_printed_when_the_report_cannot_be_written(
    cli: Cli, legal_account: str, tmp_path: Path
) -> None:
    blocker = tmp_path / "reports"
    blocker.write_text("a file where a folder would go\n", encoding="utf-8")
    report = blocker / "policy.xml"
    result = cli("--as", OWNER, "test", str(policy_file(tmp_path)), "--junit", str(report))
    assert result.exit_code == 6
    assert result.stdout.splitlines()[-1] == "1 passed, 0 failed"
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: cannot write {report}: Not a directory"]


# -- demo ----------------------------------------------------------------------------------


@pytest.mark.engines("sqlite")
def test_demo_writes_its_policy_tests_beside_its_store(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "team" / "demo.db"
    db.parent.mkdir()
    ok(cli("demo", "--db", str(db)))
    policy = db.parent / "demo-policy"
    assert {p.name for p in policy.iterdir()} >= {"acme.toml", "matrix.toml", "team.toml"}
    env = {"COLABCTL_DB": str(db), "COLABCTL_USER": OWNER}
    monkeypatch.chdir(db.parent)
    ran = ok(cli("test", "demo-policy/", "--json", env=env))
    assert json.loads(ran.stdout)["failed"] == 0
    # built again: its own folder is replaced
    (policy / "acme.toml").write_text("# edited\n", encoding="utf-8")
    ok(cli("demo", "--db", str(db)))
    assert "[[check]]" in (policy / "acme.toml").read_text(encoding="utf-8")


@pytest.mark.engines("sqlite")
def test_demo_never_replaces_a_folder_it_did_not_write(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    ok(cli("demo", "--db", str(db)))
    before = db.read_bytes()
    shutil.rmtree(tmp_path / "demo-policy")
    mine = tmp_path / "demo-policy"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine\n", encoding="utf-8")
    error, _ = failure(cli("demo", "--db", str(db)), 4)
    assert "demo-policy" in error
    assert [p.name for p in mine.iterdir()] == ["notes.txt"]
    assert db.read_bytes() == before  # the store is left alone too


@pytest.mark.engines("sqlite")
def test_a_refused_demo_target_gets_no_wal_or_shm(
    cli: Cli, legal_account: str, db_path: Path, tmp_path: Path
) -> None:
    """Not a demo store (a store in WAL mode, closed cleanly): refused, and looking at it
    leaves nothing beside it."""
    target = tmp_path / "other.db"
    shutil.copyfile(db_path, target)
    failure(cli("demo", "--db", str(target)), 4)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("other")) == ["other.db"]


@pytest.mark.engines("sqlite")
def test_demo_clears_what_a_killed_demo_left_of_its_folder(cli: Cli, tmp_path: Path) -> None:
    """demo-policy/ is written in a marked temporary folder and renamed into place, so a
    kill never leaves an unmarked demo-policy/; what it leaves is cleared next time."""
    left = tmp_path / ".demo-policy.x1y2z3"
    left.mkdir()
    (left / ".colabctl-demo").write_text("written by `colabctl demo`\n", encoding="utf-8")
    ok(cli("demo", "--db", str(tmp_path / "demo.db")))
    assert not left.exists()
    assert (tmp_path / "demo-policy" / ".colabctl-demo").is_file()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".demo-policy")] == []
