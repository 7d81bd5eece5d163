"""The plan: its changes, in the order a plan lists and applies them, and their JSON
(docs/team-file.md, docs/json.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from colabctl.core import shapes
    from colabctl.core.review import Finding
    from colabctl.core.sod import SodRule

KINDS = (
    "register-user",
    "create-account",
    "rename-account",
    "set-tax-id",
    "create-profile",
    "change-profile",
    "invite",
    "set-profile",
    "set-access-until",
    "renew",
    "reinvite",
    "remove",
    "delete-profile",
)
ORDER = {kind: i for i, kind in enumerate(KINDS)}
PLAN_FORMAT = "colabctl-plan"
PLAN_VERSION = 1
DEFAULT_MAX_REMOVALS = 10


@dataclass
class Change:
    account: str
    kind: str
    target: str
    before: Any
    after: Any
    gains: dict[str, list[str]] = field(default_factory=dict)
    losses: dict[str, list[str]] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)  # gains/losses that wait for acceptance

    def as_json(self) -> shapes.Change:
        return {
            "account": self.account,
            "kind": self.kind,
            "target": self.target,
            "before": self.before,
            "after": self.after,
            "gains": self.gains,
            "losses": self.losses,
            "on_acceptance": self.pending,
        }


class PlanReview(NamedTuple):
    """The review findings a plan would open (new) and close (resolved)."""

    new: list[Finding]
    resolved: list[Finding]

    def as_json(self) -> shapes.PlanFindings:
        return {
            "new": [f.as_json() for f in self.new],
            "resolved": [f.as_json() for f in self.resolved],
        }

    def failing(self, level: str) -> list[Finding]:
        """The new findings at LEVEL or above (high, medium, low): what fails the gate."""
        from colabctl.core.sod import SEVERITIES

        bar = SEVERITIES.index(level)
        return [f for f in self.new if SEVERITIES.index(f.severity) <= bar]


@dataclass
class Plan:
    head: tuple[int, str]
    changes: list[Change]
    warnings: list[str]
    notes: list[str]
    findings: PlanReview | None = None  # judged with the plan's consequences

    @property
    def removals(self) -> int:
        return sum(1 for c in self.changes if c.kind == "remove")

    def as_json(self) -> shapes.Plan:
        from colabctl.core.audit import Head

        return {
            "head": Head(*self.head).as_json(),
            "changes": [c.as_json() for c in self.changes],
            "warnings": self.warnings,
            "notes": self.notes,
            "findings": (self.findings or PlanReview([], [])).as_json(),
        }


class Options(NamedTuple):
    prune: bool = False
    reinvite: bool = False
    consequences: bool = True  # who gains and loses what, and the findings
    rules: tuple[SodRule, ...] | None = None  # the findings' rules; None: the shipped ones
