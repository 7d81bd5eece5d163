"""Matrix snapshots: who holds what in an account, written with `--update` and held
against the standings now (docs/policy-tests.md, "What each assertion asks")."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from colabctl.core import tomlfile
from colabctl.core.access import Standing, decide, held_permissions
from colabctl.core.catalog import catalog
from colabctl.core.files import write_file
from colabctl.core.identity import email_key
from colabctl.core.names import at_line
from colabctl.core.policy.judge import Judge, Miss, Result, unknown, verdict
from colabctl.core.policy.testfile import MAX_TEST_FILE_BYTES, Case
from colabctl.errors import Invalid
from colabctl.i18n import Text, _


def grid(people: list[Standing]) -> dict[str, Any]:
    """Who holds what: everyone holding at least one permission (the owner and active
    collaborators), by email, with their role and what decide allows them."""
    held: dict[str, Any] = {}
    for st in people:
        perms = held_permissions(st)
        if perms:
            held[st.user] = {
                "role": "owner" if st.owner else st.profile,
                "permissions": [p.id for p in perms],
            }
    return dict(sorted(held.items(), key=lambda item: email_key(item[0])))


def snapshot_text(account: str, people: list[Standing]) -> str:
    return (
        json.dumps({"account": account, "holders": grid(people)}, indent=2, ensure_ascii=False)
        + "\n"
    )


def read_snapshot(path: Path, shown: str) -> dict[str, Any] | None:
    """The snapshot's holders; None when there is no snapshot yet."""
    if not path.exists():
        return None
    raw = tomlfile.read(path, shown, limit=MAX_TEST_FILE_BYTES, what="a matrix snapshot")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Invalid(_("%(file)s: not UTF-8 text") % {"file": shown}) from exc
    except json.JSONDecodeError as exc:
        raise Invalid(
            _("%(where)s: malformed JSON (the parser says: %(reason)s)")
            % {"where": at_line(shown, exc.lineno), "reason": exc.msg}
        ) from exc
    holders = data.get("holders") if isinstance(data, dict) else None
    if not isinstance(holders, dict) or not all(
        isinstance(v, dict)
        and isinstance(v.get("permissions"), list)
        and all(isinstance(p, str) for p in v["permissions"])
        and (v.get("role") is None or isinstance(v.get("role"), str))
        for v in holders.values()
    ):
        raise Invalid(
            _("%(file)s: not a matrix snapshot (%(shape)s)")
            % {"file": shown, "shape": '{"account", "holders": {email: {"role", "permissions"}}}'},
            hint=_("rewrite it with `colabctl test --update`"),
        )
    return holders


def diff(
    old: dict[str, Any], new: dict[str, Any], people: list[Standing], shown: str
) -> list[Miss]:
    """What changed since the snapshot, one line per (person, permission) and per role:
    the actual side is decide's answer for that person now."""
    by_key = {email_key(st.user): st for st in people}
    before = {email_key(k): (k, v) for k, v in old.items()}
    after = {email_key(k): (k, v) for k, v in new.items()}
    cat = catalog()
    misses: list[Miss] = []
    for key in sorted(set(before) | set(after)):
        email = (after.get(key) or before[key])[0]
        was = before.get(key, (email, {"role": None, "permissions": []}))[1]
        now = after.get(key, (email, {"role": None, "permissions": []}))[1]
        st = by_key.get(key, Standing(email, "", status=None))
        if was.get("role") != now.get("role") and was.get("role") and now.get("role"):
            misses.append(
                Miss(
                    email,
                    None,
                    Text("role %(role)s (%(file)s)", role=was["role"], file=shown),
                    Text("role %(role)s", role=now["role"]),
                )
            )
        gained = set(now["permissions"]) - set(was["permissions"])
        lost = set(was["permissions"]) - set(now["permissions"])
        for perm_id in cat.ordered(gained | lost):
            perm = cat.by_id.get(perm_id)
            actual = verdict(*decide(st, perm)) if perm else Text("denied (not in the catalog)")
            expected = verdict(perm_id not in gained, shown)
            misses.append(Miss(email, perm_id, expected, actual))
    return misses


def judge_matrix(j: Judge, case: Case, *, update: bool, notes: list[str]) -> Result:
    assert case.snapshot is not None
    shown = case.snapshot_shown
    people = j.people(case.account)
    if people is None:
        return Result(case, False, reason="unknown-account", misses=[unknown(case)])
    new = grid(people)
    old = read_snapshot(case.snapshot, shown)
    if update:
        if old != new:
            write_file(
                case.snapshot,
                snapshot_text(case.account, people).encode("utf-8"),
                store=j.s.ctx.store_file(),
            )
            notes.append(Text("wrote %(file)s", file=shown))
        return Result(case, True)
    if old is None:
        miss = Miss(
            None,
            None,
            Text("a snapshot in %(file)s", file=shown),
            Text("no such file (write it: --update)"),
        )
        return Result(case, False, misses=[miss])
    misses = diff(old, new, people, shown)
    return Result(case, not misses, misses=misses)
