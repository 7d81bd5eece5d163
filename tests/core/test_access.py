"""core/access.py, the one decision function and who may look or change: `decide` (every
reason of docs/json.md, in the order they are decided: unknown account; owner; owner-only
id; membership and its status; the profile), the standings it judges as read from a store,
`choose_account`, `readable`, `managed` and `owned_accounts`, and the commands built on
them (`can`, `who_can`, `matrix`, `can --batch`: `batch`, `batch_lines`).

`can --batch` loads the standings a chunk of lines needs in one query (`standings_of`),
which on a server saves one round trip per (user, account) pair: the answers must be
exactly those of looking each pair up as its line comes (chunk=1), line for line, whatever
the chunk size, on both engines; and a line that fails (an actor who is no user) fails at
the same line, after the same answers.

Engines: both; the chunk tests by their own fixtures (a SQLite file and a PostgreSQL
schema side by side)."""

from __future__ import annotations

import io
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import (
    ACME,
    BEA,
    BOB,
    CAIO,
    CNPJ,
    OWNER,
    SOPORTE_HAS,
    TECNICO_HAS,
    ZED,
    FakeClock,
    preset_ids,
)

from colabctl.core import access, accounts, collaborators, profiles, users
from colabctl.core.access import Standing, decide
from colabctl.core.catalog import Permission, catalog
from colabctl.core.session import Context, reading
from colabctl.errors import ColabError, ExitCode, Forbidden, Invalid, NotFound
from colabctl.store.engine import Target

As = Callable[[str | None], Context]

ACCT = ACME
WHO = BEA
GRANTED = "purchases.request_refunds"  # in the profile below
NOT_GRANTED = "withdrawal.withdraw"  # delegable, not in the profile
OWNER_ONLY = "account.bank"
PROFILE = frozenset({GRANTED, "products.view"})


def standing(**fields: object) -> Standing:
    base: dict[str, object] = {
        "user": WHO,
        "account": ACCT,
        "owner": False,
        "status": None,
        "profile": None,
        "granted": frozenset(),
    }
    base.update(fields)
    return Standing(**base)  # type: ignore[arg-type]


def member(status: str, granted: frozenset[str] = PROFILE) -> Standing:
    """A membership in `status` whose profile `soporte` holds `granted`."""
    return standing(
        status=status,
        profile="soporte",
        granted=granted,
        invited_at="2026-11-02T09:00:00Z",
        expires_at="2026-11-09T09:00:00Z",
    )


CASES = [
    # (id, standing, permission, allowed, reason)
    ("owner-delegable", standing(owner=True), GRANTED, True, "owner"),
    ("owner-not-in-any-profile", standing(owner=True), NOT_GRANTED, True, "owner"),
    ("active-granted", member("active"), GRANTED, True, "profile:soporte"),
    ("active-not-granted", member("active"), NOT_GRANTED, False, "not-granted"),
    ("pending", member("pending"), GRANTED, False, "invitation-pending"),
    ("expired", member("expired"), GRANTED, False, "invitation-expired"),
    ("declined", member("declined"), GRANTED, False, "invitation-declined"),
    ("revoked", member("revoked"), GRANTED, False, "revoked"),
    ("access-ended", member("ended"), GRANTED, False, "access-ended"),
    ("never-invited", standing(), GRANTED, False, "not-a-collaborator"),
    ("unknown-account", standing(account=None), GRANTED, False, "unknown-account"),
    # precedence: unknown account before owner
    (
        "unknown-account-beats-owner",
        standing(account=None, owner=True),
        GRANTED,
        False,
        "unknown-account",
    ),
    (
        "unknown-account-beats-active-profile",
        standing(account=None, status="active", profile="soporte", granted=PROFILE),
        GRANTED,
        False,
        "unknown-account",
    ),
    # owner before owner-only
    ("owner-beats-owner-only", standing(owner=True), OWNER_ONLY, True, "owner"),
    # owner-only before membership and its status
    ("owner-only-active", member("active"), OWNER_ONLY, False, "owner-only"),
    (
        "owner-only-even-if-granted",
        member("active", PROFILE | {OWNER_ONLY}),
        OWNER_ONLY,
        False,
        "owner-only",
    ),
    ("owner-only-pending", member("pending"), OWNER_ONLY, False, "owner-only"),
    ("owner-only-revoked", member("revoked"), OWNER_ONLY, False, "owner-only"),
    ("owner-only-stranger", standing(), OWNER_ONLY, False, "owner-only"),
    # status before the profile: a non-active member holding the id in its profile
    ("status-beats-profile-pending", member("pending"), GRANTED, False, "invitation-pending"),
    ("status-beats-profile-expired", member("expired"), GRANTED, False, "invitation-expired"),
    ("status-beats-profile-declined", member("declined"), GRANTED, False, "invitation-declined"),
    ("status-beats-profile-revoked", member("revoked"), GRANTED, False, "revoked"),
    ("status-beats-profile-ended", member("ended"), GRANTED, False, "access-ended"),
    ("owner-only-ended", member("ended"), OWNER_ONLY, False, "owner-only"),
    ("ended-not-granted", member("ended"), NOT_GRANTED, False, "access-ended"),
    # a non-active member whose profile lacks the id is still judged on its status
    ("pending-not-granted", member("pending"), NOT_GRANTED, False, "invitation-pending"),
    ("revoked-not-granted", member("revoked"), NOT_GRANTED, False, "revoked"),
]


@pytest.mark.parametrize(
    ("standing_", "perm_id", "allowed", "reason"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_decide(standing_: Standing, perm_id: str, allowed: bool, reason: str) -> None:
    assert decide(standing_, catalog().by_id[perm_id]) == (allowed, reason)


def test_every_reason_of_spec_is_covered() -> None:
    spec_reasons = {
        "owner",
        "profile:<name>",
        "not-granted",
        "owner-only",
        "invitation-pending",
        "invitation-expired",
        "invitation-declined",
        "revoked",
        "access-ended",
        "not-a-collaborator",
        "unknown-account",
    }
    covered = {"profile:<name>" if r.startswith("profile:") else r for *_, r in CASES}
    assert covered == spec_reasons


def test_the_profile_reason_names_the_profile() -> None:
    st = standing(status="active", profile="gerente-afiliados", granted=PROFILE)
    assert decide(st, catalog().by_id[GRANTED]) == (True, "profile:gerente-afiliados")


@pytest.mark.parametrize("perm", catalog().permissions, ids=lambda p: p.id)
def test_owner_holds_every_catalog_id_and_nobody_else_an_owner_only_one(
    perm: Permission,
) -> None:
    everything = frozenset(p.id for p in catalog().permissions)
    assert decide(standing(owner=True), perm) == (True, "owner")
    active = member("active", everything)
    allowed, reason = decide(active, perm)
    if perm.owner_only:
        assert (allowed, reason) == (False, "owner-only")
    else:
        assert (allowed, reason) == (True, "profile:soporte")


@pytest.mark.parametrize("status", ["pending", "expired", "declined", "revoked", "ended"])
def test_only_active_members_hold_anything(status: str) -> None:
    everything = frozenset(p.id for p in catalog().permissions)
    st = member(status, everything)
    assert not any(decide(st, p)[0] for p in catalog().permissions)


# -- standings, read from a store ------------------------------------------------------------


def test_standing_of_the_owner_a_member_a_stranger_and_no_account(
    acme_db: Target, ctx_as: As
) -> None:
    with reading(ctx_as(OWNER)) as s:
        owner = access.standing_of(s, ACME, OWNER)
        bob = access.standing_of(s, ACME, "Bob.Costa@Example.COM")  # any spelling of him
        zed = access.standing_of(s, ACME, ZED)
        missing = access.standing_of(s, "no-such", OWNER)
    assert (owner.owner, owner.role) == (True, "owner")
    assert (bob.user, bob.status, bob.role) == ("Bob.Costa@Example.COM", "active", "soporte")
    assert bob.granted == frozenset(preset_ids("soporte"))
    assert (zed.account, zed.status, zed.role, zed.granted) == (ACME, None, None, frozenset())
    assert missing == Standing(OWNER, None)


def test_standings_are_the_owner_then_everyone_by_email(acme_db: Target, ctx_as: As) -> None:
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    collaborators.decline(ctx_as(BEA), ACME)
    with reading(ctx_as(OWNER)) as s:
        found = access.standings(s, s.get_account(ACME))
    assert [(st.user, st.owner, st.status, st.role) for st in found] == [
        (OWNER, True, None, "owner"),
        (BEA, False, "declined", None),
        (BOB, False, "active", "soporte"),
        (CAIO, False, "pending", None),
    ]
    assert [st.granted for st in found[1:]] == [
        frozenset(),
        frozenset(preset_ids("soporte")),
        frozenset(),
    ]


def test_roles_of_are_the_accounts_owned_or_actively_worked_for(
    acme_db: Target, ctx_as: As
) -> None:
    accounts.create(ctx_as(BOB), "bobs", "Bob's")
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)  # pending
    with reading(ctx_as(OWNER)) as s:
        assert access.roles_of(s, s.actor()) == [(ACME, "owner")]
        bob = s.user_by_email(BOB)
        caio = s.user_by_email(CAIO)
        assert bob is not None and caio is not None
        assert access.roles_of(s, bob) == [(ACME, "soporte"), ("bobs", "owner")]
        assert access.roles_of(s, caio) == []


def test_the_account_is_the_one_named_else_the_only_one_else_a_question(
    acme_db: Target, ctx_as: As, monkeypatch: pytest.MonkeyPatch
) -> None:
    with reading(ctx_as(OWNER)) as s:
        assert access.choose_account(s).slug == ACME  # her only one
    accounts.create(ctx_as(OWNER), "second", "Second")
    with reading(ctx_as(OWNER)) as s, pytest.raises(Invalid) as several:
        access.choose_account(s)
    assert several.value.message == f"which account? you have several: {ACME}, second"
    assert several.value.hint == "pass -a SLUG, or set one with `colabctl use SLUG`"
    monkeypatch.setenv("COLABCTL_ACCOUNT", "second")
    with reading(ctx_as(OWNER)) as s:
        assert access.choose_account(s).slug == "second"
        assert access.choose_account(s, ACME).slug == ACME  # -a before $COLABCTL_ACCOUNT


def test_someone_with_no_account_is_told_to_create_one(acme_db: Target, ctx_as: As) -> None:
    users.register(ctx_as(None), ZED)
    with reading(ctx_as(ZED)) as s, pytest.raises(Invalid) as none:
        access.choose_account(s)
    assert none.value.message == "no account given, and you have none"
    assert none.value.hint == "create one with `colabctl account create SLUG --name NAME`"


def test_an_outsider_gets_what_a_missing_account_gets(acme_db: Target, ctx_as: As) -> None:
    users.register(ctx_as(None), ZED)
    with reading(ctx_as(ZED)) as s:
        told = []
        for slug in (ACME, "no-such"):
            for look in (access.readable, access.managed):
                with pytest.raises(NotFound) as caught:
                    look(s, slug)
                told.append((caught.value.message.replace(slug, "SLUG"), caught.value.hint))
    assert set(told) == {('no account "SLUG"', "`colabctl account list` shows yours")}


def test_a_collaborator_may_read_but_only_the_owner_may_change(acme_db: Target, ctx_as: As) -> None:
    with reading(ctx_as(BOB)) as s:
        assert access.readable(s, ACME).slug == ACME
        with pytest.raises(Forbidden) as refused:
            access.managed(s, ACME)
    assert refused.value.message == f"only the owner of {ACME} ({OWNER}) can do that"
    with reading(ctx_as(OWNER)) as s:
        assert access.managed(s, ACME).slug == ACME


def test_profiles_and_collaborators_need_a_legal_entity(acme_db: Target, ctx_as: As) -> None:
    accounts.create(ctx_as(OWNER), "plain", "Plain")
    with reading(ctx_as(OWNER)) as s:
        assert access.managed(s, "plain", legal_entity=False).slug == "plain"
        with pytest.raises(Forbidden) as refused:
            access.managed(s, "plain")
    assert refused.value.message == (
        "plain is not a legal entity: profiles and collaborators need a business tax ID"
    )
    assert refused.value.hint == (
        "register one with `colabctl account set-tax-id plain ID --country CC`"
    )


def test_owned_accounts_are_the_actors_own_by_slug(acme_db: Target, ctx_as: As) -> None:
    accounts.create(ctx_as(OWNER), "aaa-first", "First")
    accounts.create(ctx_as(BOB), "bobs", "Bob's", tax_id=CNPJ, country="BR")
    with reading(ctx_as(OWNER)) as s:
        assert [a.slug for a in access.owned_accounts(s)] == ["aaa-first", ACME]
    with reading(ctx_as(BOB)) as s:
        (bobs,) = access.owned_accounts(s)
    assert (bobs.slug, bobs.owner_email, bobs.legal_entity) == ("bobs", BOB, True)


# -- the commands ---------------------------------------------------------------------------


def test_can_answers_each_permission_and_all_or_any(acme_db: Target, ctx_as: As) -> None:
    mine = access.can(ctx_as(OWNER), BOB, [SOPORTE_HAS, TECNICO_HAS], account=ACME)
    assert [(p.id, ok, why) for p, ok, why in mine.results] == [
        (SOPORTE_HAS, True, "profile:soporte"),
        (TECNICO_HAS, False, "not-granted"),
    ]
    assert not mine.allowed
    assert access.can(ctx_as(OWNER), BOB, [SOPORTE_HAS, TECNICO_HAS], account=ACME, any_=True)[3]
    with pytest.raises(Invalid, match="unknown permission"):
        access.can(ctx_as(OWNER), BOB, ["no.such"], account=ACME)


def test_can_tells_a_stranger_and_an_invitee_nothing_about_others(
    acme_db: Target, ctx_as: As
) -> None:
    stranger = access.can(ctx_as("stranger@example.com"), BOB, [SOPORTE_HAS], account=ACME)
    assert stranger.results[0][1:] == (False, "unknown-account")
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    about_herself = access.can(ctx_as(BEA), BEA, [TECNICO_HAS], account=ACME)
    about_bob = access.can(ctx_as(BEA), BOB, [SOPORTE_HAS], account=ACME)
    assert about_herself.results[0][1:] == (False, "invitation-pending")
    assert about_bob.results[0][1:] == (False, "unknown-account")


def test_who_can_lists_the_holders_and_why(acme_db: Target, ctx_as: As) -> None:
    assert [h.as_json() for h in access.who_can(ctx_as(BOB), SOPORTE_HAS, account=ACME)] == [
        {"user": OWNER, "account": ACME, "role": "owner", "reason": "owner"},
        {"user": BOB, "account": ACME, "role": "soporte", "reason": "profile:soporte"},
    ]
    assert [f.user for f in access.who_can(ctx_as(OWNER), TECNICO_HAS, account=ACME)] == [OWNER]


def test_the_matrix_holds_the_owner_and_active_and_pending_people(
    acme_db: Target, ctx_as: As
) -> None:
    collaborators.invite(ctx_as(OWNER), CAIO, profile="tecnico", account=ACME)  # pending
    collaborators.invite(ctx_as(OWNER), BEA, profile="tecnico", account=ACME)
    collaborators.decline(ctx_as(BEA), ACME)  # declined: not in the matrix
    grid = access.matrix(ctx_as(OWNER), account=ACME)
    assert [(p.user, p.role) for p in grid.people] == [
        (OWNER, "owner"),
        (BOB, "soporte"),
        (CAIO, None),
    ]
    assert grid.grants == {
        OWNER: [p.id for p in catalog().permissions],
        BOB: preset_ids("soporte"),
        CAIO: [],  # pending: nothing until accepted
    }


# -- can --batch: lines ---------------------------------------------------------------------


def test_batch_lines_are_bounded_and_keep_bad_bytes_apart() -> None:
    stream = io.BytesIO(b'{"a": 1}\n' + b"x" * 25 + b"\n\xff\nlast")
    lines = list(access.batch_lines(stream, limit=10))
    assert lines == ['{"a": 1}\n', "x" * 10, "\udcff\n", "last"]
    assert [type(line) for line in lines] == [str, access.Overlong, str, str]


@pytest.mark.parametrize(
    ("line", "answer"),
    [
        (access.Overlong("x"), {"line": 1, "error": "line longer than 64 KB"}),
        (" \n", {"line": 1, "error": "empty line"}),
        ("\udcff\n", {"line": 1, "error": "not UTF-8 text"}),
        ('"\\ud800"', {"line": 1, "error": "a string in it is not text (lone surrogate)"}),
        (
            '{"user": "a@example.com"}',
            {
                "line": 1,
                "input": {"user": "a@example.com"},
                "error": 'expected {"user", "account", "permission"} strings',
            },
        ),
        (
            '{"user": "a@example.com", "account": "x", "permission": "no.such"}',
            {
                "user": "a@example.com",
                "account": "x",
                "permission": "no.such",
                "error": 'unknown permission "no.such"',
            },
        ),
    ],
)
def test_a_line_that_is_no_question_is_answered_with_its_error(
    tmp_path: Path, clock: FakeClock, line: str, answer: dict[str, Any]
) -> None:
    ctx = Context(db=str(tmp_path / "none.db"), actor=OWNER, clock=clock)
    assert [(a.as_json(), code) for a, code in access.batch(ctx, [line])] == [
        (answer, ExitCode.INVALID)
    ]
    assert not (tmp_path / "none.db").exists()  # a read never creates the store


# -- can --batch: chunks against one by one ---------------------------------------------------

B_OWNER = "ana@example.com"
B_OTHER_OWNER = "otto@example.com"
B_PEOPLE = ["bea@example.com", "Caio.Reis@example.com", "dora@example.com", "eva@example.com"]
B_SLUGS = ["acme-cursos", "beta-cursos"]
B_OTHER = "gamma-cursos"  # otto's: ana is an outsider there
B_PERMS = ["products.view", "purchases.search", "tools.checkout_settings", "withdrawal.withdraw"]


def _batch_store(db: str, clock: FakeClock) -> None:
    def ctx(actor: str | None) -> Context:
        return Context(db=db, actor=actor, clock=clock)

    for email in [B_OWNER, B_OTHER_OWNER, *B_PEOPLE]:
        users.register(ctx(None), email)
    for slug, owner in [(B_SLUGS[0], B_OWNER), (B_SLUGS[1], B_OWNER), (B_OTHER, B_OTHER_OWNER)]:
        accounts.create(ctx(owner), slug, slug.title(), tax_id=CNPJ, country="BR")
        profiles.create(ctx(owner), "soporte", perms=B_PERMS[:2], account=slug)
    collaborators.invite(ctx(B_OWNER), B_PEOPLE[0], profile="soporte", account=B_SLUGS[0])
    collaborators.accept(ctx(B_PEOPLE[0]), B_SLUGS[0])
    collaborators.invite(ctx(B_OWNER), B_PEOPLE[1], profile="soporte", account=B_SLUGS[0])
    collaborators.invite(ctx(B_OWNER), B_PEOPLE[2], profile="soporte", account=B_SLUGS[1])
    collaborators.accept(ctx(B_PEOPLE[2]), B_SLUGS[1])
    collaborators.remove(ctx(B_OWNER), B_PEOPLE[2], account=B_SLUGS[1])
    collaborators.invite(ctx(B_OTHER_OWNER), B_PEOPLE[3], profile="soporte", account=B_OTHER)
    collaborators.accept(ctx(B_PEOPLE[3]), B_OTHER)


def _questions(seed: int, count: int, *, nul: bool = False) -> list[str]:
    """Lines of every kind, the same (user, account) pair asked again and again, under
    other spellings too, with malformed lines in between (and, with `nul`, a NUL in a
    name now and then: no stored name matches one, and a server refuses to look it up)."""
    rng = random.Random(seed)
    who = [B_OWNER, B_OTHER_OWNER, *B_PEOPLE, "BEA@Example.com", "nobody@example.com"]
    where = [*B_SLUGS, B_OTHER, "no-such-account", "ACME-CURSOS"]
    lines = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.04:
            lines.append(rng.choice(["", "not json", "[1, 2]", '{"user": 1}', "NaN"]))
        elif roll < 0.06:
            item = {"user": rng.choice(who), "account": rng.choice(where), "permission": "nope"}
            lines.append(json.dumps(item))
        elif roll < 0.07 and nul:
            item = {"user": "x\x00@example.com", "account": B_SLUGS[0], "permission": B_PERMS[0]}
            lines.append(json.dumps(item))
        else:
            item = {
                "user": rng.choice(who),
                "account": rng.choice(where),
                "permission": rng.choice(B_PERMS),
            }
            lines.append(json.dumps(item))
    return lines


def _answers(ctx: Context, lines: list[str], chunk: int) -> tuple[list[Any], str | None]:
    """What batch yields, and the error it ends with (if any)."""
    found: list[Any] = []
    try:
        for line, code in access.batch(ctx, iter(lines), chunk=chunk):
            found.append((line.as_json(), code))
    except ColabError as exc:
        return found, f"{exc.exit_code}: {exc.message}"
    return found, None


def _check_chunks(db: str, clock: FakeClock, lines: list[str]) -> dict[str, Any]:
    found = {}
    for actor in [B_OWNER, B_PEOPLE[0], B_PEOPLE[3], "stranger@example.com"]:
        ctx = Context(db=db, actor=actor, clock=clock)
        one_by_one = _answers(ctx, lines, chunk=1)
        for chunk in (3, 200, 5000):
            assert _answers(ctx, lines, chunk=chunk) == one_by_one, (actor, chunk)
        found[actor] = one_by_one
    return found


def _check_answers(found: dict[str, Any], lines: list[str]) -> None:
    owner_answers, error = found[B_OWNER]
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
    _batch_store(db, clock)
    for nul in (False, True):
        lines = _questions(seed=7, count=1200, nul=nul)
        _check_answers(_check_chunks(db, clock, lines), lines)


@pytest.mark.postgres
def test_chunks_answer_as_one_by_one_on_postgresql_and_as_on_sqlite(
    pg_url: str, tmp_path: Path, clock: FakeClock
) -> None:
    db = str(tmp_path / "store.db")
    _batch_store(db, clock)
    _batch_store(pg_url, clock)
    lines = _questions(seed=7, count=1200)
    found = _check_chunks(pg_url, clock, lines)
    _check_answers(found, lines)
    assert found == _check_chunks(db, clock, lines)
    # a NUL: the server refuses the lookup (6) at that line, chunked or not
    lines = _questions(seed=8, count=1200, nul=True)
    found = _check_chunks(pg_url, clock, lines)
    answered, error = found[B_OWNER]
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
    db = str(tmp_path / "store.db")  # none: a line that is no question needs no lookup
    found, error = _answers(Context(db=db, actor=B_OWNER, clock=clock), [line], chunk=200)
    assert error is None
    assert found == [({"line": 1, "error": expected}, ExitCode.INVALID)]
