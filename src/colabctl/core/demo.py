"""`colabctl demo`: a sample store, built through the same core functions as
every command, in its own file (never the user's store or config)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from colabctl.core import accounts, collaborators, ownership, profiles
from colabctl.core.clock import Clock, system_clock
from colabctl.core.session import Context, writing
from colabctl.core.users import register
from colabctl.errors import Conflict, Invalid, StoreFault
from colabctl.i18n import _
from colabctl.store.db import first_audit_action, is_sqlite
from colabctl.store.engine import is_url

DEFAULT_PATH = Path("colabctl-demo.db")
OWNER = "ana.souza@example.com"
SECOND_OWNER = "fabio.lima@example.com"
PRESETS = ("soporte", "tecnico", "financiero", "gerente-afiliados")
TEAM = {
    "soporte": ("bruno.costa@example.com", "Bruno Costa"),
    "tecnico": ("carla.mendes@example.com", "Carla Mendes"),
    "financiero": ("diego.rocha@example.com", "Diego Rocha"),
    "gerente-afiliados": ("elena.prado@example.com", "Elena Prado"),
}
PENDING = "gerente-afiliados"  # one invitation left open
SHARED = "carla.mendes@example.com"  # works for both accounts


# The first audit row of every store `demo` builds: demo replaces a file only if it
# carries this mark (the audit log is append-only, so the mark stays first), or if it
# is blank (what a demo killed before its first commit leaves).
MARK = "demo.build"
NOTE = "built by `colabctl demo`, which may replace this file"

# Sample policy tests (docs/policy-tests.md) in a folder beside the store, which
# `colabctl test --help` uses; demo replaces the folder only if it holds this mark.
POLICY_FOLDER = "demo-policy"
POLICY_MARK = ".colabctl-demo"
POLICY_FILES = {
    POLICY_MARK: "written by `colabctl demo`, which may replace this folder\n",
    "acme.toml": """\
# Policy tests for the demo's acme-cursos (docs/policy-tests.md), run by
#   colabctl test demo-policy/                  against the store, as you
#   colabctl test demo-policy/acme.toml --team demo-policy/team.toml
# (the second judges the state team.toml asks for, in a scratch store)

[[check]]
account = "acme-cursos"
user = "bruno.costa@example.com"
allow = ["purchases.request_refunds", "purchases.search"]
deny = ["withdrawal.withdraw", "account.bank"]

[[check]]
account = "acme-cursos"
user = "diego.rocha@example.com"
allow = ["withdrawal.withdraw", "receipts.send"]
deny = ["purchases.request_refunds", "tools.checkout_settings"]

[[only]]              # only the owner and Finance can withdraw
account = "acme-cursos"
permission = "withdrawal.withdraw"
holders = ["owner", "profile:financiero"]
""",
    "matrix.toml": """\
# acme-cursos' whole who-can-do-what, against a snapshot: a change fails with a diff
# until `colabctl test demo-policy/matrix.toml --update` writes it anew.

[[matrix]]
account = "acme-cursos"
file = "acme.matrix.json"
""",
    "team.toml": """\
# acme-cursos as a team file (docs/team-file.md), as the demo built it.
version = 1

[accounts.acme-cursos]
name = "Acme Cursos Online"
owner = "ana.souza@example.com"
tax_id = { country = "BR", number = "11.222.333/0001-81" }

[accounts.acme-cursos.profiles.soporte]
preset = "soporte"

[accounts.acme-cursos.profiles.tecnico]
preset = "tecnico"

[accounts.acme-cursos.profiles.financiero]
preset = "financiero"

[accounts.acme-cursos.profiles.gerente-afiliados]
preset = "gerente-afiliados"

[accounts.acme-cursos.collaborators]
"bruno.costa@example.com" = "soporte"
"carla.mendes@example.com" = "tecnico"
"diego.rocha@example.com" = "financiero"
"elena.prado@example.com" = "gerente-afiliados"
""",
}


def write_policy(folder: Path, owner: Context) -> None:
    """The sample policy tests in FOLDER (not there), and the matrix snapshot they compare
    against, taken from the demo store as its OWNER sees it. Written whole before FOLDER
    appears (files.folder_atomically): a demo killed on the way never leaves a FOLDER
    without its mark (which the next demo would refuse to replace)."""
    from colabctl.core import policy
    from colabctl.core.files import folder_atomically

    with folder_atomically(folder) as temp:
        for name, text in POLICY_FILES.items():  # the mark first
            (temp / name).write_text(text, encoding="utf-8")
        policy.run(owner, [str(temp / "matrix.toml")], update=True)


def _make_room(path: Path, policy: Path) -> None:
    """Clear PATH for a new demo if it holds nothing or an earlier demo, and POLICY if it
    is a folder an earlier demo wrote; anything else is a Conflict, and then nothing is
    touched."""
    if os.path.lexists(path):
        refusal = Conflict(
            _("%(file)s exists and is not a store built by `colabctl demo`; it was left untouched")
            % {"file": path},
            hint=_("give demo another --db PATH, or move that file away first"),
        )
        if not path.is_file() or (path.stat().st_size and not _is_demo_store(path)):
            raise refusal
    if os.path.lexists(policy) and not (policy.is_dir() and (policy / POLICY_MARK).is_file()):
        raise Conflict(
            _("%(folder)s exists and was not written by `colabctl demo`; it was left untouched")
            % {"folder": policy},
            hint=_(
                "build the demo in another folder (--db FOLDER/colabctl-demo.db), or move"
                " %(folder)s away first"
            )
            % {"folder": policy},
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    import shutil

    # the folder, and what a demo killed while writing it left (write_policy)
    for folder in [policy, *policy.parent.glob(f".{policy.name}.*")]:
        if folder.is_dir() and (folder / POLICY_MARK).is_file():
            shutil.rmtree(folder)


def _is_demo_store(path: Path) -> bool:
    """Whether PATH is a SQLite file whose first audit row is the demo's mark (or that has
    no schema at all). Looking may create -wal and -shm files beside it (a WAL store opened
    to read): those that were not there before are removed again."""
    if not is_sqlite(path):
        return False
    sides = [Path(f"{path}{suffix}") for suffix in ("-wal", "-shm")]
    there = [side.exists() for side in sides]
    try:
        blank, first = first_audit_action(path)
    except StoreFault:
        return False
    finally:
        for side, was in zip(sides, there, strict=True):
            if not was:
                side.unlink(missing_ok=True)
    return blank or first == MARK


@dataclass(frozen=True)
class Demo:
    path: Path
    owner: str
    account: str
    second_account: str
    shared: str
    policy: Path  # the sample policy tests: demo-policy/ beside the store


def build(path: Path | str = DEFAULT_PATH, clock: Clock = system_clock) -> Demo:
    """Build the demo at PATH, replacing only a demo store built before (docs/commands.md).
    Always a SQLite file: a server's store is never replaced wholesale."""
    if is_url(os.fspath(path)):
        raise Invalid(
            _("demo builds a SQLite file, never a store on a server"),
            hint=_("colabctl demo && colabctl store copy %(file)s URL (an empty store)")
            % {"file": DEFAULT_PATH},
        )
    path = Path(path)
    policy = path.parent / POLICY_FOLDER
    _make_room(path, policy)

    def as_(email: str | None) -> Context:
        return Context(db=str(path), actor=email, clock=clock)

    # The mark goes in with the schema, in the first transaction: whatever a kill leaves
    # is either a blank file or a marked one, and the next `demo` rebuilds both.
    with writing(as_(None)) as s:
        s.record(MARK, details={"note": NOTE}, actor=None)
    register(as_(OWNER), OWNER, name="Ana Souza")
    accounts.create(
        as_(OWNER), "acme-cursos", "Acme Cursos Online", tax_id="11.222.333/0001-81", country="BR"
    )
    for preset in PRESETS:
        profiles.create(as_(OWNER), preset, preset=preset, account="acme-cursos")
    for profile, (email, name) in TEAM.items():
        collaborators.invite(as_(OWNER), email, profile=profile, account="acme-cursos")
        register(as_(email), email, name=name)
        if profile != PENDING:
            collaborators.accept(as_(email), "acme-cursos")

    register(as_(SECOND_OWNER), SECOND_OWNER, name="Fábio Lima")
    accounts.create(
        as_(SECOND_OWNER), "beta-digital", "Beta Digital", tax_id="B58378431", country="ES"
    )
    profiles.create(as_(SECOND_OWNER), "tecnico", preset="tecnico", account="beta-digital")
    collaborators.invite(as_(SECOND_OWNER), SHARED, profile="tecnico", account="beta-digital")
    collaborators.accept(as_(SHARED), "beta-digital")
    # an open handover (docs/ownership.md): fabio offers beta-digital to carla, who may
    # accept it (`colabctl --as carla... account accept-transfer beta-digital`)
    ownership.transfer(as_(SECOND_OWNER), "beta-digital", SHARED)
    write_policy(policy, as_(OWNER))
    return Demo(path, OWNER, "acme-cursos", "beta-digital", SHARED, policy)
