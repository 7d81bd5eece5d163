"""core/team/model.py: a plan, its changes in the order they are listed and applied, and
their JSON (docs/team-file.md, docs/json.md); the gate of `plan --fail-on`."""

from __future__ import annotations

from colabctl.core.review import Finding
from colabctl.core.team.model import KINDS, ORDER, Change, Options, Plan, PlanReview

HEAD = (7, "ab" * 32)


def _finding(severity: str, name: str = "f") -> Finding:
    return Finding(name, severity, "kind", "acme-cursos", "someone", "message", "print")


def test_changes_are_ordered_as_the_kinds_are_listed() -> None:
    assert KINDS[0] == "register-user" and KINDS[-1] == "delete-profile"
    assert KINDS.index("create-profile") < KINDS.index("invite") < KINDS.index("remove")
    assert [ORDER[k] for k in KINDS] == list(range(len(KINDS)))


def test_a_change_as_json_says_who_gains_and_loses_what() -> None:
    change = Change("acme-cursos", "set-profile", "bea@example.com", "soporte", "tecnico")
    change.gains["bea@example.com"] = ["tools.listboss"]
    change.pending.append("bea@example.com")
    assert change.as_json() == {
        "account": "acme-cursos",
        "kind": "set-profile",
        "target": "bea@example.com",
        "before": "soporte",
        "after": "tecnico",
        "gains": {"bea@example.com": ["tools.listboss"]},
        "losses": {},
        "on_acceptance": ["bea@example.com"],
    }


def test_a_plan_counts_its_removals_and_says_its_head() -> None:
    changes = [
        Change("a", "remove", "x@example.com", {"status": "active", "profile": "p"}, None),
        Change("a", "invite", "y@example.com", None, {"profile": "p"}),
        Change("a", "remove", "z@example.com", {"status": "pending", "profile": "p"}, None),
    ]
    plan = Plan(HEAD, changes, ["a warning"], ["a note"])
    assert plan.removals == 2
    data = plan.as_json()
    assert data["head"] == {"seq": 7, "hash": "ab" * 32}
    assert [c["target"] for c in data["changes"]] == [c.target for c in changes]
    assert (data["warnings"], data["notes"]) == (["a warning"], ["a note"])
    assert data["findings"] == {"new": [], "resolved": []}  # none judged: none listed


def test_the_gate_fails_on_new_findings_at_its_level_or_above() -> None:
    review = PlanReview(
        [_finding("low", "l"), _finding("high", "h"), _finding("medium", "m")],
        [_finding("high", "gone")],
    )
    assert [f.id for f in review.failing("high")] == ["h"]
    assert [f.id for f in review.failing("medium")] == ["h", "m"]
    assert [f.id for f in review.failing("low")] == ["l", "h", "m"]
    assert [f["id"] for f in review.as_json()["resolved"]] == ["gone"]


def test_the_options_default_to_no_pruning_and_full_consequences() -> None:
    assert Options() == Options(prune=False, reinvite=False, consequences=True, rules=None)
