"""`can --batch` loads the standings a chunk of lines needs in one query (core/access.batch,
`standings_of`), which on a server saves one round trip per (user, account) pair. The
answers must be exactly those of looking each pair up as its line comes (chunk=1), line
for line, whatever the chunk size, on both engines; and a line that fails (an actor who
is no user) fails at the same line, after the same answers.

Engines: both, by its own fixtures: a SQLite file and a PostgreSQL schema side by side."""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
from support import FakeClock

from colabctl.core import access, accounts, collaborators, profiles, users
from colabctl.core.session import Context
from colabctl.errors import ColabError, ExitCode

CNPJ = "11.222.333/0001-81"
OWNER = "ana@example.com"
OTHER_OWNER = "otto@example.com"
PEOPLE = ["bea@example.com", "Caio.Reis@example.com", "dora@example.com", "eva@example.com"]
SLUGS = ["acme-cursos", "beta-cursos"]
OTHER = "gamma-cursos"  # otto's: ana is an outsider there
PERMS = ["products.view", "purchases.search", "tools.checkout_settings", "withdrawal.withdraw"]


def build(db: str, clock: FakeClock) -> None:
    def ctx(actor: str | None) -> Context:
        return Context(db=db, actor=actor, clock=clock)

    for email in [OWNER, OTHER_OWNER, *PEOPLE]:
        users.register(ctx(None), email)
    for slug, owner in [(SLUGS[0], OWNER), (SLUGS[1], OWNER), (OTHER, OTHER_OWNER)]:
        accounts.create(ctx(owner), slug, slug.title(), tax_id=CNPJ, country="BR")
        profiles.create(ctx(owner), "soporte", perms=PERMS[:2], account=slug)
    collaborators.invite(ctx(OWNER), PEOPLE[0], profile="soporte", account=SLUGS[0])
    collaborators.accept(ctx(PEOPLE[0]), SLUGS[0])
    collaborators.invite(ctx(OWNER), PEOPLE[1], profile="soporte", account=SLUGS[0])
    collaborators.invite(ctx(OWNER), PEOPLE[2], profile="soporte", account=SLUGS[1])
    collaborators.accept(ctx(PEOPLE[2]), SLUGS[1])
    collaborators.remove(ctx(OWNER), PEOPLE[2], account=SLUGS[1])
    collaborators.invite(ctx(OTHER_OWNER), PEOPLE[3], profile="soporte", account=OTHER)
    collaborators.accept(ctx(PEOPLE[3]), OTHER)


def questions(seed: int, count: int, *, nul: bool = False) -> list[str]:
    """Lines of every kind, the same (user, account) pair asked again and again, under
    other spellings too, with malformed lines in between (and, with `nul`, a NUL in a
    name now and then: no stored name matches one, and a server refuses to look it up)."""
    rng = random.Random(seed)
    who = [OWNER, OTHER_OWNER, *PEOPLE, "BEA@Example.com", "nobody@example.com"]
    where = [*SLUGS, OTHER, "no-such-account", "ACME-CURSOS"]
    lines = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.04:
            lines.append(rng.choice(["", "not json", "[1, 2]", '{"user": 1}', "NaN"]))
        elif roll < 0.06:
            item = {"user": rng.choice(who), "account": rng.choice(where), "permission": "nope"}
            lines.append(json.dumps(item))
        elif roll < 0.07 and nul:
            item = {"user": "x\x00@example.com", "account": SLUGS[0], "permission": PERMS[0]}
            lines.append(json.dumps(item))
        else:
            item = {
                "user": rng.choice(who),
                "account": rng.choice(where),
                "permission": rng.choice(PERMS),
            }
            lines.append(json.dumps(item))
    return lines


def answers(ctx: Context, lines: list[str], chunk: int) -> tuple[list[Any], str | None]:
    """What batch yields, and the error it ends with (if any)."""
    found: list[Any] = []
    try:
        for line, code in access.batch(ctx, iter(lines), chunk=chunk):
            found.append((line.as_json(), code))
    except ColabError as exc:
        return found, f"{exc.exit_code}: {exc.message}"
    return found, None


def check_chunks(db: str, clock: FakeClock, lines: list[str]) -> dict[str, Any]:
    found = {}
    for actor in [OWNER, PEOPLE[0], PEOPLE[3], "stranger@example.com"]:
        ctx = Context(db=db, actor=actor, clock=clock)
        one_by_one = answers(ctx, lines, chunk=1)
        for chunk in (3, 200, 5000):
            assert answers(ctx, lines, chunk=chunk) == one_by_one, (actor, chunk)
        found[actor] = one_by_one
    return found


def check_answers(found: dict[str, Any], lines: list[str]) -> None:
    owner_answers, error = found[OWNER]
    assert error is None and len(owner_answers) == len(lines)
    reasons = {item.get("reason") for item, code in owner_answers if code == ExitCode.OK}
    assert {"owner", "profile:soporte", "not-granted", "unknown-account", "revoked"} <= reasons
    assert "invitation-pending" in reasons
    # the actor who is no user: every line answered, every question as about a missing
    # account (docs/commands.md, "Who may look")
    stranger, error = found["stranger@example.com"]
    assert error is None and len(stranger) == len(lines)
    assert {item["reason"] for item, code in stranger if code == ExitCode.OK} == {"unknown-account"}


def test_chunks_answer_as_one_by_one_on_sqlite(tmp_path: Path, clock: FakeClock) -> None:
    db = str(tmp_path / "store.db")
    build(db, clock)
    for nul in (False, True):
        lines = questions(seed=7, count=1200, nul=nul)
        check_answers(check_chunks(db, clock, lines), lines)


@pytest.mark.postgres
def test_chunks_answer_as_one_by_one_on_postgresql_and_as_on_sqlite(
    pg_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    db = str(tmp_path / "store.db")
    build(db, clock)
    build(pg_url, clock)
    lines = questions(seed=7, count=1200)
    found = check_chunks(pg_url, clock, lines)
    check_answers(found, lines)
    assert found == check_chunks(db, clock, lines)
    # a NUL: the server refuses the lookup (6) at that line, chunked or not
    lines = questions(seed=8, count=1200, nul=True)
    found = check_chunks(pg_url, clock, lines)
    answered, error = found[OWNER]
    assert error is not None and error.startswith("6: ") and "NUL" in error
    assert "\\u0000" in lines[len(answered)]


@pytest.mark.parametrize(
    "line",
    ['\ufeff{"user": "a@example.com"}', "NaN", '{"user": Infinity}', "{", "[1, 2", '"x" y'],
)
def test_a_line_that_is_not_json_says_what_json_loads_says(
    tmp_path: Path, clock: FakeClock, line: str
) -> None:
    """One decoder serves every line (no new one per line, as json.loads with an option
    makes): its errors are json.loads's own, a byte order mark included."""

    def not_json(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")

    try:
        json.loads(line, parse_constant=not_json)
    except ValueError as exc:
        expected = f"not JSON: {exc}"
    db = str(tmp_path / "store.db")
    build(db, clock)
    found, error = answers(Context(db=db, actor=OWNER, clock=clock), [line], chunk=200)
    assert error is None
    assert found == [({"line": 1, "error": expected}, ExitCode.INVALID)]
