"""The access report's model: what one report says, per account, whatever its format
(docs/report.md). Built by `gather.build`; rendered by `render`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from colabctl.core.collaborators import Membership
    from colabctl.core.review import Finding


@dataclass(frozen=True)
class Column:
    """One permission of the matrix."""

    id: str
    label: str
    risk: str  # low, medium, high; owner for the owner-only ids

    @property
    def owner_only(self) -> bool:
        return self.risk == "owner"

    @property
    def high_risk(self) -> bool:
        return self.risk == "high"


@dataclass(frozen=True)
class ColumnGroup:
    """A category's permissions, in catalog order."""

    category: str
    label: str
    columns: list[Column]


@dataclass(frozen=True)
class Person:
    user: str
    name: str | None
    role: str  # "owner", or the profile held
    access_until: str | None


@dataclass(frozen=True)
class MatrixGroup:
    """People who hold exactly the same permissions through the same role: the owner, or
    the active holders of one profile. `held` follows the report's columns."""

    role: str
    owner: bool
    held: tuple[bool, ...]
    people: list[Person]


@dataclass(frozen=True)
class Change:
    """An audit row as the report shows it."""

    seq: int
    at: str
    actor: str | None
    action: str
    target: str | None
    words: str


@dataclass(frozen=True)
class AccountReport:
    slug: str
    name: str
    owner: str
    owner_name: str | None
    owner_view: bool  # the reader owns it: findings, tax ID, review acks
    legal_entity: bool
    tax_id: str | None  # formatted; None unless owner_view
    country: str | None  # None unless owner_view
    active: int
    pending: int
    ending_count: int
    groups: list[MatrixGroup]
    findings: list[Finding] | None  # None: not the reader's to see
    invitations: list[Membership]  # pending and expired, the person's current row
    ending: list[Membership]  # active, access ending within the window
    changes: list[Change]  # newest first

    @property
    def holders(self) -> int:
        return sum(len(g.people) for g in self.groups)

    def severities(self) -> dict[str, int]:
        """Findings per severity (open and acknowledged alike)."""
        counts = {"high": 0, "medium": 0, "low": 0}
        for finding in self.findings or []:
            counts[finding.severity] += 1
        return counts


@dataclass(frozen=True)
class ChainState:
    """The audit chain as the report checked it: its links and head (`audit verify`
    also replays the state; the report does not)."""

    checked: bool  # False: this login may not read the whole chain
    intact: bool | None
    rows: int
    head: tuple[int, str] | None
    first_bad_seq: int | None = None
    problem: str | None = None

    @property
    def head_text(self) -> str | None:
        return None if self.head is None else f"{self.head[0]}:{self.head[1]}"


@dataclass(frozen=True)
class Report:
    actor: str
    made_at: str
    version: str
    lang: str
    since: str
    ending_before: str  # "access ending" means at or before this moment
    columns: list[ColumnGroup]
    accounts: list[AccountReport]
    chain: ChainState

    @property
    def column_count(self) -> int:
        return sum(len(g.columns) for g in self.columns)
