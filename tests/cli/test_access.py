"""`can`, `can --batch`, `who-can` and `matrix` through the CLI (docs/commands.md, docs/json.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import LEGAL_STEPS, Step, Templates, built_by_cli, copy_built
from support import (
    ACME,
    BEA,
    BOB,
    CAIO,
    DORA,
    ELI,
    FABI,
    GIA,
    NOBODY,
    OWNER,
    SOPORTE_HAS,
    TECNICO_HAS,
    ZED,
    Cli,
    FakeClock,
    colabctl,
    copy_store,
    create_legal_account,
    ctx_for,
    dump,
    exists,
    hidden,
    ok,
    preset_ids,
    refused,
)
from typer.testing import Result

from colabctl.core import users
from colabctl.core.catalog import catalog
from colabctl.store.engine import Target

pytestmark = pytest.mark.engines("sqlite", "postgres", "bound")

# in `people`: bea active (soporte), caio pending (tecnico), dora declined (soporte), eli
# revoked (tecnico), fabi expired (soporte), gia accepted soporte with access for 1h (ended),
# zed registered and nowhere
NOBODYS = "withdrawal.withdraw"  # in neither preset
OWNER_ONLY = "account.bank"
ALL_IDS = [p.id for p in catalog().permissions]


# -- helpers ----------------------------------------------------------------------


def answer(cli: Cli, *args: str) -> dict[str, Any]:
    result = cli("can", *args, "--json")
    assert result.exit_code in (0, 1), (result.stdout, result.stderr)
    data: dict[str, Any] = json.loads(result.stdout)
    assert result.exit_code == (0 if data["allowed"] else 1)
    return data


def reason(cli: Cli, email: str, perm: str, *args: str) -> str:
    data = answer(cli, email, perm, "-a", ACME, *args)
    [only] = data["results"]
    return str(only["reason"])


PEOPLE_STEPS: list[Step] = [
    *LEGAL_STEPS,
    ["invite", FABI, "--profile", "soporte", "--expires-in", "1h"],
    ["invite", GIA, "--profile", "soporte", "--access-until", "1h"],
    ["--as", GIA, "accept", ACME],
    lambda clock, _: clock.advance(hours=2),
    ["invite", BEA, "--profile", "soporte"],
    ["--as", BEA, "accept", ACME],
    ["invite", CAIO, "--profile", "tecnico"],
    ["invite", DORA, "--profile", "soporte"],
    ["--as", DORA, "decline", ACME],
    ["invite", ELI, "--profile", "tecnico"],
    ["--as", ELI, "accept", ACME],
    ["collaborator", "remove", ELI],
    lambda clock, store: users.register(ctx_for(store, None, clock), ZED),
]


@pytest.fixture
def people(
    cli: Cli, templates: Templates, engine: str, clock: FakeClock, db_path: Target, tmp_path: Path
) -> str:
    """acme-cursos (legal_account) and its people, one per fate: fabi's invitation expired,
    gia's access ended, bea active, caio pending, dora declined, eli removed, zed
    registered and in nothing; the clock two hours on. Built once per engine, copied."""
    built = templates.get(
        "people", engine, lambda folder, store: built_by_cli(folder, PEOPLE_STEPS, store)
    )
    copy_built(built, db_path, tmp_path)
    clock.advance(hours=2)  # where the steps left theirs
    return ACME


# -- can --------------------------------------------------------------------------


def test_yes_and_no(cli: Cli, people: str) -> None:
    yes = ok(cli("can", BEA, SOPORTE_HAS))
    assert (yes.stdout, yes.stderr) == ("yes\n", "")
    no = ok(cli("can", BEA, TECNICO_HAS), 1)
    assert (no.stdout, no.stderr) == ("no\n", "")
    assert ok(cli("can", OWNER, OWNER_ONLY)).stdout == "yes\n"
    # several permissions: yes only when all are held
    assert ok(cli("can", BEA, SOPORTE_HAS, "products.view")).stdout == "yes\n"
    assert ok(cli("can", BEA, SOPORTE_HAS, TECNICO_HAS), 1).stdout == "no\n"


@pytest.mark.parametrize(
    ("perms", "code"),
    [([SOPORTE_HAS], 0), ([TECNICO_HAS], 1), ([SOPORTE_HAS, TECNICO_HAS], 1)],
)
@pytest.mark.parametrize("flag", ["-q", "--quiet"])
def test_quiet_prints_nothing(
    cli: Cli, people: str, perms: list[str], code: int, flag: str
) -> None:
    result = ok(cli("can", BEA, *perms, flag), code)
    assert result.stdout == ""
    assert result.stderr == ""


def test_quiet_about_an_unknown_account_and_user(cli: Cli, people: str) -> None:
    for args in ([ZED, SOPORTE_HAS], [NOBODY, SOPORTE_HAS, "-a", "no-such"]):
        result = ok(cli("can", *args, "-q"), 1)
        assert (result.stdout, result.stderr) == ("", "")


def test_any(cli: Cli, people: str) -> None:
    assert ok(cli("can", BEA, TECNICO_HAS, SOPORTE_HAS, "--any")).stdout == "yes\n"
    assert ok(cli("can", BEA, TECNICO_HAS, NOBODYS, "--any"), 1).stdout == "no\n"
    data = answer(cli, BEA, TECNICO_HAS, SOPORTE_HAS, "--any")
    assert data["allowed"] is True
    assert [r["allowed"] for r in data["results"]] == [False, True]


def explain(cli: Cli, email: str, *perms: str, account: str = ACME, code: int = 1) -> list[str]:
    result = ok(cli("can", email, *perms, "-a", account, "--explain"), code)
    lines = result.stdout.splitlines()
    assert lines[0] == ("yes" if code == 0 else "no")
    assert len(lines) == 1 + len(perms), lines
    for line, perm in zip(lines[1:], perms, strict=True):
        assert perm in line, (perm, line)
    return lines[1:]


def test_explain_one_line_per_permission(cli: Cli, people: str) -> None:
    granted, not_granted, owner_only = explain(cli, BEA, SOPORTE_HAS, TECNICO_HAS, OWNER_ONLY)
    assert granted.startswith("  ✓") and "soporte" in granted
    assert not_granted.startswith("  ·") and "soporte" in not_granted
    assert owner_only.startswith("  ·") and "owner" in owner_only
    [owner] = explain(cli, OWNER, OWNER_ONLY, code=0)
    assert "own" in owner


def test_explain_membership_states(cli: Cli, people: str) -> None:
    rows = {m["user"]: m for m in json.loads(ok(cli("collaborator", "list", "--json")).stdout)}
    [pending] = explain(cli, CAIO, TECNICO_HAS)
    assert "pending since" in pending
    assert rows[CAIO]["invited_at"][:10] in pending
    [expired] = explain(cli, FABI, SOPORTE_HAS)
    assert "expired on" in expired
    assert rows[FABI]["expires_at"][:10] in expired
    [revoked] = explain(cli, ELI, TECNICO_HAS)
    assert "revoked" in revoked or "removed" in revoked
    [declined] = explain(cli, DORA, SOPORTE_HAS)
    assert "declined" in declined
    [stranger] = explain(cli, ZED, SOPORTE_HAS)
    assert "not a collaborator" in stranger
    [ended] = explain(cli, GIA, SOPORTE_HAS)
    assert "access to acme-cursos ended on" in ended
    assert rows[GIA]["access_until"] in ended
    [unknown_user] = explain(cli, NOBODY, SOPORTE_HAS)
    assert "not a collaborator" in unknown_user
    [unknown] = explain(cli, BEA, SOPORTE_HAS, account="no-such")
    assert "no account no-such" in unknown


def test_labels_are_accepted_as_permissions(cli: Cli, people: str) -> None:
    labels = catalog().by_id[SOPORTE_HAS].labels
    refs = [
        *labels.values(),
        "solicitar reembolsos",
        "  REQUEST   Refunds ",
        "buscar ventas por periodo",  # the catalog's "Buscar Ventas por Período", no accent
    ]
    for ref in refs:
        data = answer(cli, BEA, ref)
        assert data["allowed"] is True, ref
        [result] = data["results"]
        assert result["permission"] in (SOPORTE_HAS, "purchases.search_by_period")
    assert ok(cli("can", BEA, labels["en"], TECNICO_HAS), 1).stdout == "no\n"


def test_unknown_permission_suggests(cli: Cli, people: str, db_path: Path) -> None:
    result = refused(cli, db_path, 6, "can", BEA, "purchases.serch")
    assert "purchases.search" in result.stderr.splitlines()[1]
    refused(cli, db_path, 6, "can", BEA, SOPORTE_HAS, "not.a.permission")
    refused(cli, db_path, 6, "can", BEA, "purchases.serch", "-q")


def test_unknown_user_is_no(cli: Cli, people: str) -> None:
    for who in (NOBODY, "not even an email"):
        data = answer(cli, who, SOPORTE_HAS, "-a", ACME)
        assert data["allowed"] is False
        assert data["results"][0]["reason"] == "not-a-collaborator"


def test_unknown_account_is_no_never_3(cli: Cli, people: str) -> None:
    for who in (BEA, OWNER, NOBODY):
        result = cli("can", who, SOPORTE_HAS, "-a", "no-such-account")
        assert (result.exit_code, result.stdout) == (1, "no\n")
        data = answer(cli, who, OWNER_ONLY, "-a", "no-such-account")
        assert data["account"] == "no-such-account"  # as asked, though it does not exist
        assert data["results"] == [
            {"permission": OWNER_ONLY, "allowed": False, "reason": "unknown-account"}
        ]


def test_with_no_actor_at_all_can_is_5_before_any_lookup(
    cli: Cli, people: str, db_path: Path
) -> None:
    """Not "no" for a missing account and 5 for a real one: that would tell which exist."""
    ok(cli("logout"))
    for slug in ("no-such-account", ACME):
        refused(cli, db_path, 5, "can", BEA, SOPORTE_HAS, "-a", slug, hint="colabctl login")


def test_missing_store_is_no_and_stays_missing(cli: Cli, db_path: Path) -> None:
    assert not exists(db_path)
    data = json.loads(ok(cli("--as", BEA, "can", BEA, SOPORTE_HAS, "-a", ACME, "--json"), 1).stdout)
    assert data["allowed"] is False
    assert data["results"][0]["reason"] == "unknown-account"
    assert ok(cli("--as", BEA, "can", BEA, SOPORTE_HAS, "-a", ACME), 1).stdout == "no\n"
    assert not exists(db_path)


def test_json_shape(cli: Cli, people: str) -> None:
    data = answer(cli, BEA, SOPORTE_HAS, TECNICO_HAS, OWNER_ONLY, "-a", ACME)
    assert {"user", "account", "allowed", "results"} <= set(data)
    assert (data["user"], data["account"], data["allowed"]) == (BEA, ACME, False)
    assert [(r["permission"], r["allowed"], r["reason"]) for r in data["results"]] == [
        (SOPORTE_HAS, True, "profile:soporte"),
        (TECNICO_HAS, False, "not-granted"),
        (OWNER_ONLY, False, "owner-only"),
    ]


@pytest.mark.parametrize(
    ("who", "perm", "expected"),
    [
        (OWNER, OWNER_ONLY, "owner"),
        (OWNER, NOBODYS, "owner"),
        (BEA, SOPORTE_HAS, "profile:soporte"),
        (BEA, NOBODYS, "not-granted"),
        (BEA, OWNER_ONLY, "owner-only"),
        (CAIO, TECNICO_HAS, "invitation-pending"),
        (CAIO, OWNER_ONLY, "owner-only"),
        (FABI, SOPORTE_HAS, "invitation-expired"),
        (DORA, SOPORTE_HAS, "invitation-declined"),
        (ELI, TECNICO_HAS, "revoked"),
        (ZED, SOPORTE_HAS, "not-a-collaborator"),
        (GIA, SOPORTE_HAS, "access-ended"),
        (GIA, OWNER_ONLY, "owner-only"),
    ],
)
def test_every_reason(cli: Cli, people: str, who: str, perm: str, expected: str) -> None:
    assert reason(cli, who, perm) == expected


def test_who_may_ask(cli: Cli, people: str, db_path: Path) -> None:
    # a stranger asking about someone else gets the missing account's answer: "no"
    for outsider in (ZED, CAIO):  # a pending invitee is not yet a collaborator either
        before = dump(db_path)
        answer = ok(cli("--as", outsider, "can", BEA, SOPORTE_HAS, "-a", ACME, "--json"), 1)
        assert json.loads(answer.stdout)["results"] == [
            {"permission": SOPORTE_HAS, "allowed": False, "reason": "unknown-account"}
        ]
        assert answer.stderr == "" and dump(db_path) == before
    # ... anyone may ask about themself where they have a membership row; without one, the
    # missing account's answer ("not a collaborator" would say that the slug exists)
    mine = json.loads(ok(cli("--as", ZED, "can", ZED, SOPORTE_HAS, "-a", ACME, "--json"), 1).stdout)
    assert mine["results"][0]["reason"] == "unknown-account"
    # but anyone with a membership row there may ask about themself
    caio = json.loads(
        ok(
            cli("--as", CAIO, "can", "CAIO@example.com", TECNICO_HAS, "-a", ACME, "--json"), 1
        ).stdout
    )
    assert caio["results"][0]["reason"] == "invitation-pending"
    # an active collaborator may ask about anyone in the account
    assert ok(cli("--as", BEA, "can", CAIO, TECNICO_HAS, "-a", ACME), 1).stdout == "no\n"
    assert ok(cli("--as", BEA, "can", OWNER, OWNER_ONLY, "-a", ACME)).stdout == "yes\n"


# -- can --batch --------------------------------------------------------------------


def jsonl(items: list[Any]) -> str:
    return "".join((item if isinstance(item, str) else json.dumps(item)) + "\n" for item in items)


def outputs(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line) for line in result.stdout.splitlines()]


GOOD: list[dict[str, Any]] = [
    {"user": BEA, "account": ACME, "permission": SOPORTE_HAS},
    {"user": BEA, "account": ACME, "permission": TECNICO_HAS},
    {"user": OWNER, "account": ACME, "permission": OWNER_ONLY},
    {"user": CAIO, "account": ACME, "permission": TECNICO_HAS},
    {"user": ELI, "account": ACME, "permission": TECNICO_HAS},
    {"user": NOBODY, "account": ACME, "permission": "products.view"},
    {"user": BEA, "account": "no-such-account", "permission": SOPORTE_HAS},
    {"user": BEA, "account": ACME, "permission": "Request refunds", "id": 8},
    {"user": BEA, "account": ACME, "permission": OWNER_ONLY},
]
GOOD_ANSWERS = [
    (True, "profile:soporte"),
    (False, "not-granted"),
    (True, "owner"),
    (False, "invitation-pending"),
    (False, "revoked"),
    (False, "not-a-collaborator"),
    (False, "unknown-account"),
    (True, "profile:soporte"),
    (False, "owner-only"),
]


def run_batch(cli: Cli, tmp_path: Path, items: list[Any], *args: str) -> Result:
    """`can --batch FILE`: the file is written fresh for every call."""
    path = tmp_path / "checks.jsonl"
    path.write_text(jsonl(items), encoding="utf-8")
    return cli(*args, "can", "--batch", str(path))


def check_good_answers(result: Result) -> None:
    ok(result)  # all lines well formed: 0, whatever the answers
    assert result.stderr == ""
    out = outputs(result)
    assert len(out) == len(GOOD)
    for given, got, (allowed, why) in zip(GOOD, out, GOOD_ANSWERS, strict=True):
        assert got == {**given, "allowed": allowed, "reason": why}


def test_batch_file_answers_in_order(cli: Cli, people: str, tmp_path: Path) -> None:
    check_good_answers(run_batch(cli, tmp_path, GOOD))


def test_batch_stdin_answers_in_order(cli: Cli, people: str) -> None:
    check_good_answers(cli("can", "--batch", "-", input=jsonl(GOOD)))


@pytest.mark.slow
def test_batch_stdin_in_a_real_process(cli: Cli, people: str) -> None:
    """`-` as a separate process (the system clock: only answers that do not depend on it)."""
    items = [g for g in GOOD if g["user"] not in (CAIO,)]
    expected = [a for g, a in zip(GOOD, GOOD_ANSWERS, strict=True) if g["user"] not in (CAIO,)]
    done = colabctl("can", "--batch", "-", input=jsonl(items))
    assert done.returncode == 0, done.stderr
    got = [json.loads(line) for line in done.stdout.splitlines()]
    assert got == [
        {**i, "allowed": a, "reason": r} for i, (a, r) in zip(items, expected, strict=True)
    ]


def test_batch_all_no_is_still_exit_0(cli: Cli, people: str, tmp_path: Path) -> None:
    lines = [{"user": ZED, "account": ACME, "permission": p} for p in ALL_IDS]
    result = ok(run_batch(cli, tmp_path, lines))
    assert [o["allowed"] for o in outputs(result)] == [False] * len(ALL_IDS)
    assert [o["permission"] for o in outputs(result)] == ALL_IDS


def test_batch_malformed_lines(cli: Cli, people: str, db_path: Path, tmp_path: Path) -> None:
    good = {"user": BEA, "account": ACME, "permission": SOPORTE_HAS}
    bad: list[Any] = [
        "this is not json",
        "[1, 2, 3]",
        '"a string"',
        "42",
        {"user": BEA, "account": ACME},  # missing permission
        {"user": BEA, "permission": SOPORTE_HAS},  # missing account
        {"account": ACME, "permission": SOPORTE_HAS},  # missing user
        {"user": BEA, "account": ACME, "permission": "purchases.serch"},  # unknown permission
        {"user": BEA, "account": ACME, "permission": 7},  # not a string
        "{broken",
    ]
    items: list[Any] = []
    for b in bad:
        items += [good, b]
    last = {"user": BEA, "account": ACME, "permission": TECNICO_HAS}
    items.append(last)
    before = dump(db_path)
    result = run_batch(cli, tmp_path, items)
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1
    out = outputs(result)
    assert len(out) == len(items)
    for given, got in zip(items, out, strict=True):
        if given is good:
            assert got == {**good, "allowed": True, "reason": "profile:soporte"}
        elif given is last:
            assert got == {**last, "allowed": False, "reason": "not-granted"}
        else:
            assert "error" in got, (given, got)
            assert "allowed" not in got
    assert dump(db_path) == before


def test_batch_of_nothing(cli: Cli, people: str, tmp_path: Path) -> None:
    result = ok(run_batch(cli, tmp_path, []))
    assert result.stdout == ""


def test_batch_on_a_missing_store(cli: Cli, db_path: Path, tmp_path: Path) -> None:
    lines = [{"user": BEA, "account": ACME, "permission": SOPORTE_HAS}]
    result = ok(run_batch(cli, tmp_path, lines, "--as", BEA))
    assert outputs(result) == [{**lines[0], "allowed": False, "reason": "unknown-account"}]
    assert not exists(db_path)


# -- who-can -------------------------------------------------------------------------


def who_can(cli: Cli, *args: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(ok(cli("who-can", *args, "--json")).stdout)
    for entry in found:
        assert {"user", "account", "role"} <= set(entry)
    return found


def test_who_can(cli: Cli, people: str) -> None:
    pairs = [(f["user"], f["account"], f["role"]) for f in who_can(cli, SOPORTE_HAS)]
    assert pairs == [(OWNER, ACME, "owner"), (BEA, ACME, "soporte")]
    assert [f["user"] for f in who_can(cli, TECNICO_HAS)] == [OWNER]  # caio pending, eli revoked
    assert [f["user"] for f in who_can(cli, OWNER_ONLY)] == [OWNER]
    label = catalog().by_id[SOPORTE_HAS].labels["es"]
    assert [f["user"] for f in who_can(cli, label)] == [OWNER, BEA]
    table = ok(cli("who-can", SOPORTE_HAS)).stdout
    assert OWNER in table and BEA in table and CAIO not in table


def test_who_can_refusals(cli: Cli, people: str, db_path: Path) -> None:
    refused(cli, db_path, 6, "who-can", "purchases.serch", hint="purchases.search")
    hidden(cli, db_path, ACME, "--as", ZED, "who-can", SOPORTE_HAS, "-a", ACME)
    hidden(cli, db_path, ACME, "--as", CAIO, "who-can", SOPORTE_HAS, "-a", ACME)
    refused(cli, db_path, 3, "who-can", SOPORTE_HAS, "-a", "no-such-account")


def test_who_can_all_accounts(cli: Cli, people: str) -> None:
    create_legal_account(cli, "beta-cursos", "Beta", "soporte")
    ok(cli("invite", CAIO, "--profile", "soporte", "-a", "beta-cursos"))
    ok(cli("--as", CAIO, "accept", "beta-cursos"))
    ok(cli("--as", BEA, "account", "create", "bea-shop", "--name", "Bea Shop"))
    everywhere = {
        (f["user"], f["account"], f["role"]) for f in who_can(cli, SOPORTE_HAS, "--all-accounts")
    }
    assert everywhere == {
        (OWNER, ACME, "owner"),
        (BEA, ACME, "soporte"),
        (OWNER, "beta-cursos", "owner"),
        (CAIO, "beta-cursos", "soporte"),
    }
    # bea sees the accounts she owns or works for, not beta-cursos
    found = json.loads(
        ok(cli("--as", BEA, "who-can", SOPORTE_HAS, "--all-accounts", "--json")).stdout
    )
    assert {(f["user"], f["account"]) for f in found} == {
        (OWNER, ACME),
        (BEA, ACME),
        (BEA, "bea-shop"),
    }
    zed = json.loads(
        ok(cli("--as", ZED, "who-can", SOPORTE_HAS, "--all-accounts", "--json")).stdout
    )
    assert zed == []


# -- matrix --------------------------------------------------------------------------


def matrix_json(cli: Cli, *args: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok(cli("matrix", *args, "--json")).stdout)
    return data


def test_matrix_json(cli: Cli, people: str) -> None:
    data = matrix_json(cli)
    assert data["account"] == ACME
    for person in data["people"]:
        assert {"user", "role", "status"} <= set(person)
    assert data["people"][0]["user"] == OWNER
    assert data["people"][0]["role"] == "owner"
    by_user = {p["user"]: p for p in data["people"]}
    assert (by_user[BEA]["role"], by_user[BEA]["status"]) == ("soporte", "active")
    assert by_user[CAIO]["status"] == "pending"
    assert set(data["grants"]) >= {OWNER, BEA}
    assert data["grants"][OWNER] == ALL_IDS
    assert sorted(data["grants"][BEA]) == sorted(preset_ids("soporte"))
    # pending, expired, declined and revoked people hold nothing
    for user in (CAIO, DORA, ELI, FABI):
        assert data["grants"].get(user, []) == []
        assert by_user.get(user, {}).get("status") in (
            None,
            "pending",
            "expired",
            "declined",
            "revoked",
        )


def cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("│┃").split("│")]


def test_matrix_table(cli: Cli, people: str) -> None:
    out = ok(cli("matrix")).stdout
    lines = out.splitlines()
    header = next(line for line in lines if OWNER in line)
    assert header.index(OWNER) < header.index(BEA)
    for absent in (CAIO, DORA, ELI, FABI):
        assert absent not in header
    # pending people are listed apart, after the grid
    assert CAIO in out
    assert lines.index(header) < out.lower().count("\n", 0, out.lower().index("pending"))
    assert out.lower().index("pending") < out.index(CAIO)
    for other in (DORA, ELI, FABI):
        assert other not in out
    en = {p.id: p.labels["en"] for p in catalog().permissions}

    def row(perm: str) -> list[str]:
        [line] = [line for line in lines if f" {en[perm]} " in line]
        return cells(line)[1:]

    assert row(SOPORTE_HAS) == ["✓", "✓"]
    assert row(TECNICO_HAS) == ["✓", "·"]
    assert row(OWNER_ONLY) == ["✓", "·"]
    assert row(NOBODYS) == ["✓", "·"]


def test_matrix_by_category(cli: Cli, people: str) -> None:
    out = ok(cli("matrix", "--by-category")).stdout
    soporte = set(preset_ids("soporte"))
    for category in catalog().categories:
        ids = [p.id for p in catalog().permissions if p.category == category.id]
        [line] = [line for line in out.splitlines() if f" {category.labels['en']} " in line]
        assert cells(line)[1:] == [
            f"{len(ids)}/{len(ids)}",
            f"{len(soporte & set(ids))}/{len(ids)}",
        ], line


def test_matrix_refusals(cli: Cli, people: str, db_path: Path) -> None:
    hidden(cli, db_path, ACME, "--as", ZED, "matrix", "-a", ACME)
    hidden(cli, db_path, ACME, "--as", CAIO, "matrix", "-a", ACME)
    refused(cli, db_path, 3, "matrix", "-a", "no-such-account")
    data = json.loads(ok(cli("--as", BEA, "matrix", "--json")).stdout)
    assert data["account"] == ACME


@pytest.fixture(params=[6, 12, 4], ids=lambda n: f"{n}-active")
def crowd(cli: Cli, legal_account: str, request: pytest.FixtureRequest) -> list[str]:
    """Active collaborators with long addresses (6+; 4 exercises the numbered grid),
    and three pending ones."""
    active = [
        f"collaborator.number{i}.with.a.long.name@example.com" for i in range(1, request.param + 1)
    ]
    for i, email in enumerate(active):
        ok(cli("invite", email, "--profile", ("soporte", "tecnico")[i % 2]))
        ok(cli("--as", email, "accept", ACME))
    for i in range(1, 4):
        ok(cli("invite", f"still.pending.number{i}@example.com", "--profile", "tecnico"))
    return active


@pytest.mark.parametrize("args", [[], ["--by-category"], ["--lang", "es"], ["--lang", "pt"]])
def test_matrix_fits_80_columns(
    cli: Cli, crowd: list[str], monkeypatch: pytest.MonkeyPatch, args: list[str]
) -> None:
    from colabctl.cli import output

    monkeypatch.setenv("COLUMNS", "80")
    output.console.cache_clear()
    result = ok(cli("matrix", *args))
    too_wide = [
        f"{len(line)} columns: {line!r}"
        for line in result.stdout.splitlines() + result.stderr.splitlines()
        if len(line) > 80
    ]
    assert not too_wide, "\n".join(too_wide)
    # still readable: every active collaborator and every pending one is named somewhere
    for email in [*crowd, *(f"still.pending.number{i}@example.com" for i in range(1, 4))]:
        assert email in result.stdout + result.stderr


# -- what `can` never imports -------------------------------------------------------------------

# What the README's Performance section says `python -X importtime -m colabctl can ...` never
# shows: each costs start-up time that an answer does not need.
NEVER = {"rich", "email_validator", "stdnum", "tomllib", "sqlite_utils", "platformdirs"}


def imported(importtime: str) -> set[str]:
    """The top-level packages named by `-X importtime` lines on stderr."""
    return {
        line.split("|")[2].strip().split(".")[0]
        for line in importtime.splitlines()
        if line.startswith("import time:") and "|" in line and "imported package" not in line
    }


@pytest.fixture
def configured(acme_template: Path, tmp_path: Path) -> Path:
    """ana owns acme-cursos (bob active in soporte), and a config beside the store names ana
    as the logged-in user and acme-cursos as her current account."""
    db = copy_store(acme_template, tmp_path / "store.db")
    config = tmp_path / "config.toml"  # where support.process_env points COLABCTL_CONFIG
    config.write_text(f'user = "{OWNER}"\n\n[current]\n"{OWNER}" = "{ACME}"\n', "utf-8")
    return db


@pytest.mark.slow
@pytest.mark.engines("sqlite")  # the import path of `can` on SQLite (tests/store/test_pg_store.py)
@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--as", OWNER, "can", BOB, "products.view", "-a", ACME), {}),
        (("can", BOB, "products.view"), {"COLABCTL_USER": OWNER, "COLABCTL_ACCOUNT": ACME}),
    ],
    ids=["flags", "environment"],
)
def test_can_with_actor_and_account_given_never_reads_the_config(
    installed: Path, configured: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    """The wheel (its catalog.json; the checkout's catalog.toml would need tomllib), run as
    the README says, with a config present: given who acts and in which account, `can`
    imports none of NEVER: not tomllib, since the config is never read, and not platformdirs,
    since COLABCTL_DB and COLABCTL_CONFIG are set."""
    done = colabctl(
        *args,
        db=configured,
        env={"PYTHONPATH": str(installed), **env},
        python_options=("-X", "importtime"),
    )
    assert (done.returncode, done.stdout) == (0, "yes\n"), done.stderr[-2000:]
    assert imported(done.stderr) & NEVER == set()
    assert "colabctl" in imported(done.stderr)  # the probe sees what was imported


@pytest.mark.slow
@pytest.mark.engines("sqlite")  # the import path of `can` on SQLite
def test_can_that_needs_the_config_imports_tomllib_and_nothing_else_of_the_list(
    installed: Path, configured: Path
) -> None:
    """The other side of the claim: with the actor and the account left to the config, the
    config is read (the answer is ana's, in her current account) and tomllib is the one
    module of NEVER that comes in (its cost is in the README's Performance section)."""
    done = colabctl(
        "can",
        BOB,
        "products.view",
        db=configured,
        env={"PYTHONPATH": str(installed)},
        python_options=("-X", "importtime"),
    )
    assert (done.returncode, done.stdout) == (0, "yes\n"), done.stderr[-2000:]
    assert imported(done.stderr) & NEVER == {"tomllib"}
