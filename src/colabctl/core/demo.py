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


def _make_room(path: Path) -> None:
    """Clear PATH for a new demo if it holds nothing or an earlier demo; anything else is
    a Conflict and stays untouched."""
    if os.path.lexists(path):
        refusal = Conflict(
            f"{path} exists and is not a store built by `colabctl demo`; it was left untouched",
            hint="give demo another --db PATH, or move that file away first",
        )
        if not path.is_file():
            raise refusal
        if path.stat().st_size:
            if not is_sqlite(path):
                raise refusal
            try:
                blank, first = first_audit_action(path)
            except StoreFault as exc:
                raise refusal from exc
            if not blank and first != MARK:
                raise refusal
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


@dataclass(frozen=True)
class Demo:
    path: Path
    owner: str
    account: str
    second_account: str
    shared: str


def build(path: Path | str = DEFAULT_PATH, clock: Clock = system_clock) -> Demo:
    """Build the demo at PATH, replacing only a demo store built before (docs/commands.md).
    Always a SQLite file: a server's store is never replaced wholesale."""
    if is_url(os.fspath(path)):
        raise Invalid(
            "demo builds a SQLite file, never a store on a server",
            hint=f"colabctl demo && colabctl store copy {DEFAULT_PATH} URL (an empty store)",
        )
    path = Path(path)
    _make_room(path)

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
    return Demo(path, OWNER, "acme-cursos", "beta-digital", SHARED)
