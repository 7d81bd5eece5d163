"""`colabctl audit head` and `audit verify --anchor SEQ:HASH` through the CLI
(docs/storage.md, "Audit log"): the head to keep elsewhere, and the proof that a kept head
is still in the chain. Malformed anchors exit 6; an anchor not in the chain exits 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support import ACME, BOB, GENESIS, Cli, as_owner, dump, exists, failure, ok, refused

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")


def head(cli: Cli) -> str:
    text = ok(cli("audit", "head")).stdout
    as_json = json.loads(ok(cli("audit", "head", "--json")).stdout)
    assert set(as_json) == {"seq", "hash"} and isinstance(as_json["seq"], int)
    assert text == f"{as_json['seq']}:{as_json['hash']}\n"  # one line, nothing else
    return text.strip()


def verify_json(cli: Cli, *args: str) -> tuple[int, dict[str, Any]]:
    result = cli("audit", "verify", "--json", *args)
    assert "Traceback" not in result.stderr and result.stderr == ""
    verdict: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, verdict


@pytest.fixture
def store(cli: Cli, legal_account: str) -> str:
    """acme-cursos with bob invited; returns the head after that."""
    ok(cli(*as_owner("invite", BOB, "--profile", "soporte", "-a", ACME)))
    return head(cli)


def test_head_on_a_missing_store_is_the_genesis_and_creates_nothing(
    cli: Cli, db_path: Path
) -> None:
    assert head(cli) == f"0:{GENESIS}"
    assert not exists(db_path)
    code, verdict = verify_json(cli, "--anchor", f"0:{GENESIS}")
    assert code == 0 and verdict["anchor"]["in_chain"] is True
    code, verdict = verify_json(cli, "--anchor", f"1:{'a' * 64}")
    assert code == 1 and verdict["anchor"]["in_chain"] is False
    assert "the log is empty" in verdict["anchor"]["problem"]
    assert not exists(db_path)


def test_head_moves_one_seq_per_change_and_not_for_a_no_op(cli: Cli, store: str) -> None:
    seq = int(store.split(":")[0])
    ok(cli(*as_owner("invite", BOB, "--profile", "soporte", "-a", ACME)))  # no-op
    assert head(cli) == store
    ok(cli("--as", BOB, "accept", ACME))
    moved = head(cli)
    assert int(moved.split(":")[0]) == seq + 1 and moved != store


def test_verify_reports_the_head(cli: Cli, store: str) -> None:
    code, verdict = verify_json(cli)
    assert code == 0
    seq, digest = store.split(":")
    assert verdict["head"] == {"seq": int(seq), "hash": digest}
    assert verdict["anchor"] is None
    text = ok(cli("audit", "verify")).stdout.splitlines()
    assert text == [f"intact: {seq} rows verified", "state checked from seq 1", f"head: {store}"]


def test_a_kept_head_stays_in_the_chain_as_it_grows(cli: Cli, store: str) -> None:
    ok(cli("--as", BOB, "accept", ACME))
    ok(cli(*as_owner("profile", "create", "financiero", "--preset", "financiero")))
    for anchor in (store, store.upper(), f" {store}\n", head(cli)):
        code, verdict = verify_json(cli, "--anchor", anchor)
        assert code == 0, (anchor, verdict)
        seq, digest = anchor.strip().split(":")
        assert verdict["anchor"] == {
            "seq": int(seq),
            "hash": digest.lower(),
            "in_chain": True,
            "problem": None,
        }
    text = ok(cli("audit", "verify", "--anchor", store)).stdout.splitlines()
    assert text[-1] == f"anchor {store}: in the chain"


def test_an_anchor_with_an_unknown_seq_exits_1(cli: Cli, db_path: Path, store: str) -> None:
    seq, digest = store.split(":")
    beyond = f"{int(seq) + 5}:{digest}"
    before = dump(db_path)
    result = cli("audit", "verify", "--anchor", beyond)
    assert result.exit_code == 1 and result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"broken at seq {int(seq) + 5}: the anchor's row {int(seq) + 5} is missing"
        f" (the log ends at seq {seq})"
    )
    assert lines[-1] == f"anchor {beyond}: NOT in the chain"
    code, verdict = verify_json(cli, "--anchor", beyond)
    assert code == 1 and verdict["intact"] is False
    assert verdict["first_bad_seq"] == int(seq) + 5
    assert verdict["anchor"]["in_chain"] is False
    assert dump(db_path) == before


def test_an_anchor_with_another_hash_exits_1(cli: Cli, store: str) -> None:
    code, verdict = verify_json(cli, "--anchor", f"2:{'b' * 64}")
    assert code == 1
    assert verdict["first_bad_seq"] == 2
    assert verdict["anchor"]["problem"] == "row 2 has another hash than the anchor: rewritten"


HASH = "c" * 64
MALFORMED = [
    "",
    "12",
    "12:",
    f":{HASH}",
    f"x:{HASH}",
    f"-1:{HASH}",
    f"+1:{HASH}",
    f"1.0:{HASH}",
    f"1:{HASH[:-1]}",
    f"1:{HASH}c",
    f"1:{'g' * 64}",
    f"1:{HASH}:1",
    f"1 :{HASH}",
    f"1:0x{HASH[2:]}",
    f"١:{HASH}",  # an Arabic-Indic digit: int() would take it, an anchor does not
    f"0:{HASH}",  # seq 0 is the empty chain, whose only hash is 64 zeros
    f"99999999999999999999:{HASH}",
    "1:" + "\x1b[2J" + HASH[4:],
]


@pytest.mark.parametrize("anchor", MALFORMED)
def test_a_malformed_anchor_exits_6(cli: Cli, db_path: Path, store: str, anchor: str) -> None:
    result = refused(cli, db_path, 6, "audit", "verify", "--anchor", anchor, hint="audit head")
    assert result.stderr.startswith("error: bad anchor ")
    refused(cli, db_path, 6, "audit", "verify", "--json", "--anchor", anchor)


def test_a_malformed_anchor_on_a_missing_store_exits_6_and_creates_nothing(
    cli: Cli, db_path: Path
) -> None:
    failure(cli("audit", "verify", "--anchor", "nope"), 6)
    assert not exists(db_path)


def test_head_and_anchor_need_no_actor(cli: Cli, store: str) -> None:
    """Like verify, head is about the store, not an account: no login needed."""
    ok(cli("logout"))
    assert head(cli) == store
    assert verify_json(cli, "--anchor", store)[0] == 0


def test_help_has_examples(cli: Cli) -> None:
    for command in ("head", "verify"):
        text = ok(cli("audit", command, "--help")).stdout
        assert "Examples:" in text
        examples = text[text.index("Examples:") :].splitlines()[1:]
        lines = [line.strip() for line in examples if line.strip().startswith("colabctl")]
        assert lines and all(len(line) <= 76 for line in lines)


def test_the_example_anchor_line_works(cli: Cli, store: str) -> None:
    """`colabctl audit verify --anchor "$(colabctl audit head)"`, as the epilog shows."""
    assert ok(cli("audit", "verify", "--anchor", head(cli))).stdout.startswith("intact:")
