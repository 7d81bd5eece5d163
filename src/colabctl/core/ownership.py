"""Handing over the business: the owner offers ownership to an active collaborator,
who accepts it (docs/ownership.md).

The owner is one column of `accounts`, so every rule that says "the owner" (who may
read or change the account, `whoami`, `matrix`, `who-can`, `can`'s `owner` reason)
reads it afresh and follows the new owner from the acceptance's own transaction on.
The schema holds the rest: one open offer per account (a partial unique index) and
no live membership for the owner in their own account (triggers, migration m005).

Each mutation has the house's two forms: `transfer(ctx, ...)` opens the one write
transaction, `transfer_in(s, acct, ...)` holds the rules and the writes.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any, NamedTuple

from colabctl.core import access
from colabctl.core.access import Standing
from colabctl.core.clock import iso
from colabctl.core.identity import email_key
from colabctl.core.names import quoted
from colabctl.core.session import Account, Context, Session, User, live_sql, writing
from colabctl.core.words import status
from colabctl.errors import Conflict, NotFound
from colabctl.i18n import _

if TYPE_CHECKING:
    from colabctl.core import shapes

OFFER_LIFETIME = timedelta(days=7)

_SELECT = (
    "SELECT t.id, a.slug, f.email, r.email, t.keep_as, t.status, t.offered_at, t.expires_at,"
    " t.closed_at FROM transfers t JOIN accounts a ON a.id = t.account_id"
    " JOIN users f ON f.id = t.from_id JOIN users r ON r.id = t.to_id"
)


class Offer(NamedTuple):
    id: int
    account: str
    from_: str
    to: str
    keep_as: str | None
    status: str  # effective: open, accepted, cancelled, expired
    offered_at: str
    expires_at: str
    closed_at: str | None

    def as_json(self) -> shapes.Transfer:
        return {
            "to": self.to,
            "offered_at": self.offered_at,
            "expires_at": self.expires_at,
            "from": self.from_,
            "keep_as": self.keep_as,
        }


def _offer(s: Session, row: Any) -> Offer:
    offer = Offer(*row)
    # like an invitation, an offer's expiry is judged at every read
    if offer.status == "open" and offer.expires_at <= s.now_iso:
        return offer._replace(status="expired")
    return offer


def open_offer(s: Session, acct: Account) -> Offer | None:
    """The account's open offer, if one has not expired."""
    row = s.conn.execute(
        f"{_SELECT} WHERE t.account_id = ? AND t.status = 'open'", (acct.id,)
    ).fetchone()
    offer = _offer(s, row) if row else None
    return offer if offer is not None and offer.status == "open" else None


def visible_offer(s: Session, acct: Account, viewer: str) -> Offer | None:
    """The open offer as `account show` gives it: to the owner and the recipient only."""
    offer = open_offer(s, acct)
    if offer is None:
        return None
    if email_key(viewer) in (email_key(acct.owner_email), email_key(offer.to)):
        return offer
    return None


def _latest_to(s: Session, acct: Account, user: User) -> Offer | None:
    row = s.conn.execute(
        f"{_SELECT} WHERE t.account_id = ? AND t.to_id = ? ORDER BY t.id DESC LIMIT 1",
        (acct.id, user.id),
    ).fetchone()
    return _offer(s, row) if row else None


class Done(NamedTuple):
    offer: Offer
    message: str


# -- offer --------------------------------------------------------------------------


def transfer(ctx: Context, slug: str, email: str, *, keep_as: str | None = None) -> Done:
    with writing(ctx) as s:
        return transfer_in(s, access.managed(s, slug, legal_entity=False), email, keep_as)


def transfer_in(s: Session, acct: Account, email: str, keep_as: str | None = None) -> Done:
    """Offer ACCT to EMAIL, an active collaborator; the owner keeps KEEP_AS (a profile)
    once it is accepted, or leaves the account."""
    if keep_as is not None:
        s.profile_row(acct, keep_as)  # exit 3 when there is no such profile
    recipient = _recipient(s, acct, email)
    current = open_offer(s, acct)
    if current is not None:
        now_open = {"account": acct.slug, "to": current.to, "until": current.expires_at}
        raise Conflict(
            _("%(account)s already has an open transfer offer (to %(to)s, until %(until)s)")
            % now_open,
            hint=_("cancel it first: `colabctl account cancel-transfer %(account)s`") % now_open,
        )
    expires_at = iso(s.now + OFFER_LIFETIME)
    offer_id = s.conn.execute(
        "INSERT INTO transfers (account_id, from_id, to_id, keep_as, status, offered_at,"
        " expires_at) VALUES (?, ?, ?, ?, 'open', ?, ?) RETURNING id",
        (acct.id, acct.owner_id, recipient.id, keep_as, s.now_iso, expires_at),
    ).fetchone()[0]
    s.record(
        "account.transfer_offer",
        account=acct.slug,
        target=recipient.email,
        details={"keep_as": keep_as, "expires_at": expires_at},
    )
    offer = _offer(s, s.conn.execute(f"{_SELECT} WHERE t.id = ?", (offer_id,)).fetchone())
    names: dict[str, object] = {
        "account": acct.slug,
        "to": recipient.email,
        "until": expires_at,
        "keep": keep_as,
    }
    if keep_as:
        said = _(
            "offered %(account)s to %(to)s until %(until)s; once they accept"
            " (`colabctl account accept-transfer %(account)s`), you will stay as %(keep)s"
        )
    else:
        said = _(
            "offered %(account)s to %(to)s until %(until)s; once they accept"
            " (`colabctl account accept-transfer %(account)s`), you will leave the account"
        )
    return Done(offer, said % names)


def _recipient(s: Session, acct: Account, email: str) -> User:
    """The user EMAIL names, if they are an active collaborator of ACCT: ownership goes
    to no one else (not to the owner, who has it)."""
    names: dict[str, object] = {"owner": acct.owner_email, "account": acct.slug, "email": email}
    if email_key(email) == email_key(acct.owner_email):
        raise Conflict(_("%(owner)s already owns %(account)s") % names)
    recipient = s.user_by_email(email)
    member = access.standing_of(s, acct, email) if recipient is not None else None
    if recipient is not None and member is not None and member.status == "active":
        return recipient
    if member and member.status:
        said = _(
            "%(email)s is not an active collaborator of %(account)s (their membership is"
            " %(status)s): ownership goes only to one"
        )
    else:
        said = _(
            "%(email)s is not an active collaborator of %(account)s: ownership goes only to one"
        )
    raise Conflict(
        said % (names | {"status": status(member.status) if member and member.status else ""}),
        hint=_(
            "invite them (`colabctl invite %(email)s --profile NAME -a %(account)s`)"
            " and wait for them to accept"
        )
        % names,
    )


# -- cancel -------------------------------------------------------------------------


def cancel_transfer(ctx: Context, slug: str) -> Done:
    with writing(ctx) as s:
        return cancel_transfer_in(s, access.managed(s, slug, legal_entity=False))


def cancel_transfer_in(s: Session, acct: Account) -> Done:
    offer = open_offer(s, acct)
    if offer is None:
        raise NotFound(_("%(account)s has no open transfer offer") % {"account": acct.slug})
    s.conn.execute(
        "UPDATE transfers SET status = 'cancelled', closed_at = ? WHERE id = ?",
        (s.now_iso, offer.id),
    )
    s.record("account.transfer_cancel", account=acct.slug, target=offer.to)
    closed = offer._replace(status="cancelled", closed_at=s.now_iso)
    said = _("cancelled the offer of %(account)s to %(to)s")
    return Done(closed, said % {"account": acct.slug, "to": offer.to})


# -- accept -------------------------------------------------------------------------


def accept_transfer(ctx: Context, slug: str) -> Done:
    with writing(ctx) as s:
        return accept_transfer_in(s, s.get_account(slug))


def accept_transfer_in(s: Session, acct: Account) -> Done:
    """The actor accepts the offer of ACCT made to them: they become its owner (their
    collaborator membership ends as revoked) and the previous owner stays with the
    offer's profile, or leaves. One transaction, one audit row."""
    me = s.actor()
    mine = access.standing_of(s, acct, me.email)
    offer = _latest_to(s, acct, me)
    if offer is None:
        if mine.role is None:
            raise s.no_account(acct.slug)  # an outsider learns nothing
        # The owner or a collaborator, who knows the account: "not found" (3), never 5,
        # which would tell them an offer to someone else exists (only the owner and the
        # recipient see it).
        raise NotFound(
            _("no transfer of %(account)s is offered to you") % {"account": acct.slug},
            hint=_("the owner offers one with `colabctl account transfer %(account)s EMAIL`")
            % {"account": acct.slug},
        )
    names: dict[str, object] = {
        "account": acct.slug,
        "owner": acct.owner_email,
        "expires": offer.expires_at,
        "at": offer.closed_at,
        "status": status(mine.status) if mine.status else "",
    }
    _refuse_unless_acceptable(offer, mine, names)
    _hand_over(s, acct, me, offer, _kept_profile(s, acct, offer, names))
    s.record(
        "account.transfer_accept",
        account=acct.slug,
        target=me.email,
        details={
            "from": acct.owner_email,
            "previous_profile": mine.profile,
            "kept_as": offer.keep_as,
        },
    )
    if offer.keep_as:
        said = _("you now own %(account)s; %(owner)s stays as %(profile)s")
    else:
        said = _("you now own %(account)s; %(owner)s left the account")
    return Done(
        offer._replace(status="accepted", closed_at=s.now_iso),
        said % (names | {"profile": offer.keep_as}),
    )


def _refuse_unless_acceptable(offer: Offer, mine: Standing, names: dict[str, object]) -> None:
    """An offer is accepted while it is open, by a recipient still actively collaborating."""
    if offer.status == "expired":
        raise Conflict(
            _("the offer of %(account)s to you expired on %(expires)s") % names,
            hint=_("ask the owner (%(owner)s) to offer it again") % names,
        )
    if offer.status == "accepted":
        raise Conflict(_("the offer of %(account)s to you was accepted on %(at)s") % names)
    if offer.status != "open":
        raise Conflict(_("the offer of %(account)s to you was cancelled on %(at)s") % names)
    if mine.status != "active":
        raise Conflict(
            _(
                "you are no longer an active collaborator of %(account)s (%(status)s):"
                " ownership goes only to one"
            )
            % names,
            hint=_("ask the owner (%(owner)s) to restore your access first") % names,
        )


def _kept_profile(s: Session, acct: Account, offer: Offer, names: dict[str, object]) -> int | None:
    """The id of the profile the previous owner keeps (None: they leave); refused when it
    was deleted since the offer."""
    if offer.keep_as is None:
        return None
    row = s.conn.execute(
        "SELECT id FROM profiles WHERE account_id = ? AND name = ?", (acct.id, offer.keep_as)
    ).fetchone()
    if row is None:
        names = names | {"profile": quoted(offer.keep_as), "from": offer.from_}
        raise Conflict(
            _("profile %(profile)s, which %(from)s was to keep, no longer exists in %(account)s")
            % names,
            hint=_(
                "ask the owner to cancel (`colabctl account cancel-transfer %(account)s`)"
                " and offer again"
            )
            % names,
        )
    return int(row[0])


def _hand_over(s: Session, acct: Account, me: User, offer: Offer, keep_id: int | None) -> None:
    """The writes of an acceptance: ME owns ACCT, the previous owner holds KEEP_ID's
    profile (or nothing), and the offer is closed."""
    # Order matters to the schema's triggers: the recipient leaves their membership
    # before they become the owner, and the old owner joins only once they are not.
    s.conn.execute(
        "UPDATE memberships SET status = 'revoked', ended_at = ? WHERE account_id = ?"
        f" AND user_id = ? AND {live_sql('')}",
        (s.now_iso, acct.id, me.id),
    )
    s.conn.execute("UPDATE accounts SET owner_id = ? WHERE id = ?", (me.id, acct.id))
    if keep_id is not None:
        s.conn.execute(
            "INSERT INTO memberships (account_id, user_id, profile_id, status, invited_by,"
            " invited_at, expires_at, responded_at) VALUES (?, ?, ?, 'active', ?, ?, ?, ?)",
            (acct.id, acct.owner_id, keep_id, me.id, s.now_iso, s.now_iso, s.now_iso),
        )
    s.conn.execute(
        "UPDATE transfers SET status = 'accepted', closed_at = ? WHERE id = ?",
        (s.now_iso, offer.id),
    )
