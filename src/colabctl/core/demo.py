"""`colabctl demo`: a sample store, built through the same core functions as
every command, in its own file (never the user's store or config)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from colabctl.core import accounts, collaborators, ownership, profiles
from colabctl.core.clock import Clock, system_clock
from colabctl.core.session import Context
from colabctl.core.users import register

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


@dataclass(frozen=True)
class Demo:
    path: Path
    owner: str
    account: str
    second_account: str
    shared: str


def build(path: Path = DEFAULT_PATH, clock: Clock = system_clock) -> Demo:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

    def as_(email: str) -> Context:
        return Context(db=str(path), actor=email, clock=clock)

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
