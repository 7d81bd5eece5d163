"""Team as code (docs/team-file.md): export a team file, plan what it would change,
apply the plan in one transaction.

The store is read in bulk (a few queries for every account in the file, never one per
person), the plan is computed in memory, and apply runs the mutations' in-transaction
forms (`*_in`, `*_many_in`), the very code the one-at-a-time commands run, inside the
command's one write transaction: all or nothing. Consequences (who gains or loses what) come
from `access.decide`, on each person's standing before and after each change.

The rooms: `file` reads and validates a team file; `model` is the plan and its changes;
`state` reads the store in bulk; `planner` computes a plan; `simulate` works out what
it does to whom and the findings it would open and close; `checks` holds the rules its
values meet; `executor` applies one; `saved` writes and reads saved plans; `commands`
are plan and apply as the CLI calls them; `exporter` writes a team file.
"""

from colabctl.core.team.commands import Applied, apply_file, apply_plan, brake, plan, preview
from colabctl.core.team.exporter import export
from colabctl.core.team.model import (
    DEFAULT_MAX_REMOVALS,
    KINDS,
    Change,
    Options,
    Plan,
    PlanReview,
)
from colabctl.core.team.saved import load_plan, save_plan

__all__ = [
    "DEFAULT_MAX_REMOVALS",
    "KINDS",
    "Applied",
    "Change",
    "Options",
    "Plan",
    "PlanReview",
    "apply_file",
    "apply_plan",
    "brake",
    "export",
    "load_plan",
    "plan",
    "preview",
    "save_plan",
]
