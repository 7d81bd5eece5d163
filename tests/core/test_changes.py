"""core/changes.change: an audit row in words, a pure function of the row as shown."""

from __future__ import annotations

from typing import Any

import pytest

from colabctl.core.changes import change
from colabctl.store.audit import Entry
from colabctl.store.replay import KNOWN_ACTIONS

BOB = "bruno@x.com"


def entry(action: str, target: str | None = None, **details: Any) -> Entry:
    return Entry(1, "2026-11-02T09:00:00Z", "ana@x.com", "acme", action, target, details)


@pytest.mark.parametrize(
    ("row", "words"),
    [
        (entry("user.create", BOB, name="Bruno"), f'new user {BOB} ("Bruno")'),
        (entry("user.create", BOB, name=None), f"new user {BOB}"),
        (entry("user.rename", BOB, name="B."), f'{BOB}: name "B."'),
        (
            entry("account.create", "acme", name="Acme", country="BR", tax_id="11222333000181"),
            'acme created as "Acme", tax ID BR 11.222.333/0001-81',
        ),
        (
            entry("account.create", "acme", name="Acme", country=None, tax_id=None),
            'acme created as "Acme", a tax ID',
        ),
        (entry("account.create", "acme", name="Acme"), 'acme created as "Acme"'),
        (entry("account.rename", "acme", name="New", previous="Old"), 'name "Old" → "New"'),
        (
            entry("account.set_tax_id", "acme", country="ES", tax_id="B58378431", previous=None),
            "tax ID ES B58378431 registered",
        ),
        (
            entry("profile.create", "soporte", permissions=["a.b"] * 10, preset="soporte"),
            "soporte created with 10 permissions from preset soporte",
        ),
        (entry("profile.create", "x", permissions=["a.b"]), "x created with 1 permission"),
        (
            entry(
                "profile.edit",
                "soporte",
                added=["purchases.request_refunds"],
                removed=["reports.sales_by_source"],
                description=None,
            ),
            "soporte: +purchases.request_refunds -reports.sales_by_source",
        ),
        (
            entry("profile.edit", "soporte", added=[], removed=[], description="Help"),
            'soporte: description "Help"',
        ),
        (  # a row from before the assigned were counted: its holders moved
            entry("profile.delete", "x", reassigned_to="y", holders=[BOB, "c@x.com"]),
            "x deleted; 2 people moved to y",
        ),
        (  # the holders and the assigned (expired, ended) all moved
            entry("profile.delete", "x", reassigned_to="y", holders=[BOB], assigned=["c@x.com"]),
            "x deleted; 2 people moved to y",
        ),
        (
            entry("profile.delete", "x", reassigned_to="y", holders=[], assigned=["c@x.com"]),
            "x deleted; 1 person moved to y",
        ),
        (entry("profile.delete", "x", reassigned_to=None, holders=[]), "x deleted"),
        (
            entry("invitation.create", BOB, profile="soporte", expires_at="2026-11-09T09:00:00Z"),
            f"{BOB} invited as soporte, expires 2026-11-09T09:00:00Z",
        ),
        (
            entry(
                "invitation.create",
                BOB,
                profile="soporte",
                expires_at="2026-11-09T09:00:00Z",
                access_until="2027-03-31T23:59:59Z",
            ),
            f"{BOB} invited as soporte, expires 2026-11-09T09:00:00Z, access until 2027-03-31",
        ),
        (entry("invitation.accept", BOB, profile="soporte"), f"{BOB} joined as soporte"),
        (entry("invitation.decline", BOB, profile="soporte"), f"{BOB} declined the invitation"),
        (
            entry("invitation.expire", BOB, expired_at="2026-11-09T09:00:00Z"),
            f"{BOB}: invitation expired at 2026-11-09T09:00:00Z",
        ),
        (
            entry("invitation.renew", BOB, expires_at="2026-11-16T09:00:00Z", was="expired"),
            f"{BOB}: invitation renewed until 2026-11-16T09:00:00Z",
        ),
        (
            entry("collaborator.set_profile", BOB, **{"from": "soporte", "to": "financiero"}),
            f"{BOB}: soporte → financiero",
        ),
        (
            entry(
                "collaborator.set_access_until",
                BOB,
                **{"from": None, "to": "2027-03-31T23:59:59Z", "was": "active"},
            ),
            f"{BOB}: access until 2027-03-31",
        ),
        (
            entry(
                "collaborator.set_access_until",
                BOB,
                **{"from": "2027-03-31T23:59:59Z", "to": None, "was": "ended"},
            ),
            f"{BOB}: access no longer ends",
        ),
        (
            entry("collaborator.set_access_until", BOB, **{"to": "2027-03-31T18:00:00Z"}),
            f"{BOB}: access until 2027-03-31T18:00:00Z",
        ),
        (
            entry("collaborator.remove", BOB, profile="soporte", was="active"),
            f"{BOB} removed (was active, soporte)",
        ),
        (
            entry(
                "account.transfer_offer", BOB, keep_as="soporte", expires_at="2026-11-09T09:00:00Z"
            ),
            f"ownership offered to {BOB} until 2026-11-09T09:00:00Z; the owner stays as soporte",
        ),
        (entry("account.transfer_cancel", BOB), f"the offer to {BOB} cancelled"),
        (
            entry("account.transfer_expire", BOB, expired_at="2026-11-09T09:00:00Z"),
            f"the offer to {BOB} expired at 2026-11-09T09:00:00Z",
        ),
        (
            entry(
                "account.transfer_accept",
                BOB,
                **{"from": "ana@x.com", "previous_profile": "soporte", "kept_as": None},
            ),
            f"{BOB} now owns the account; ana@x.com left",
        ),
        (
            entry(
                "review.ack",
                BOB,
                finding="b97b4cba70a2",
                fingerprint="f",
                kind="high-risk-holder",
                severity="medium",
                reason="known",
            ),
            'finding b97b4cba70a2 (high-risk-holder, medium) accepted: "known"',
        ),
        (entry("store.bind", "bruno", user=BOB), f"login bruno bound to {BOB}"),
        (entry("store.unbind", "bruno", user=BOB), f"login bruno unbound from {BOB}"),
        (entry("demo.build", None, note="x"), "the demo store built"),
        (entry("store.checkpoint", None, checkpoint=1), "a checkpoint of the whole state"),
    ],
)
def test_each_action_in_words(row: Entry, words: str) -> None:
    assert change(row) == words


def test_every_action_has_words() -> None:
    from colabctl.core import changes

    assert set(changes._WORDS) == KNOWN_ACTIONS


def test_a_row_colabctl_did_not_write_falls_back_to_its_action() -> None:
    assert change(entry("profile.edit", "x", nonsense=True)) == "profile.edit x"
    assert change(entry("something.else", "y")) == "something.else y"
    assert change(entry("something.else")) == "something.else"
