"""Accounts: creation, the business tax ID that makes one a legal entity, listing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from colabctl.core import access, ownership
from colabctl.core.names import clean_text, quoted, validate_slug
from colabctl.core.session import STATUS_SQL, Account, Context, Session, reading, writing
from colabctl.errors import Conflict, Invalid
from colabctl.i18n import _

if TYPE_CHECKING:
    from colabctl.core import shapes


@dataclass(frozen=True)
class AccountView:
    slug: str
    name: str
    owner: str
    tax_country: str | None
    tax_id: str | None  # formatted; None for a collaborator (owner-only account data)
    legal_entity: bool
    role: str  # the actor's: owner, or their profile
    current: bool = False
    # `account show`'s counts; None in a list
    profiles: int | None = None
    collaborators: int | None = None
    # an open ownership offer, shown to the owner and its recipient only
    transfer: ownership.Offer | None = None

    def as_json(self) -> shapes.Account | shapes.AccountShown:
        data: shapes.Account = {
            "slug": self.slug,
            "name": self.name,
            "owner": self.owner,
            "legal_entity": self.legal_entity,
            "tax_id": self.tax_id,
            "country": self.tax_country,
            "transfer": self.transfer.as_json() if self.transfer else None,
            "role": self.role,
            "current": self.current,
        }
        if self.profiles is None or self.collaborators is None:
            return data
        return {**data, "profiles": self.profiles, "collaborators": self.collaborators}


def _view(account: Account, *, owner_view: bool = True, **extra: Any) -> AccountView:
    """The account as shown; the tax ID is account data, which only its owner sees."""
    tax_id = None
    if owner_view and account.tax_id is not None and account.tax_country is not None:
        from colabctl.core.taxid import format_tax_id

        tax_id = format_tax_id(account.tax_id, account.tax_country)
    country = account.tax_country if owner_view else None
    legal = account.legal_entity
    return AccountView(
        account.slug, account.name, account.owner_email, country, tax_id, legal, **extra
    )


def _tax_id(number: str | None, country: str | None) -> tuple[str, str] | None:
    if number is None and country is None:
        return None
    if number is None or country is None:
        raise Invalid(
            _("a tax ID needs both --tax-id and --country"),
            hint=_("e.g. %(example)s") % {"example": "--tax-id 11.222.333/0001-81 --country BR"},
        )
    from colabctl.core.taxid import validate_business_tax_id

    valid = validate_business_tax_id(number, country)
    return valid.country, valid.number


def create(
    ctx: Context, slug: str, name: str, *, tax_id: str | None = None, country: str | None = None
) -> AccountView:
    slug = validate_slug(slug, what="account slug")
    name = clean_text(name, what="account name")
    tax = _tax_id(tax_id, country)
    with writing(ctx) as s:
        return create_in(s, slug, name, tax)


def create_in(s: Session, slug: str, name: str, tax: tuple[str, str] | None) -> AccountView:
    """create(), inside the caller's transaction; SLUG, NAME and TAX already validated."""
    return _view(create_row_in(s, slug, name, tax), role="owner")


def create_row_in(s: Session, slug: str, name: str, tax: tuple[str, str] | None) -> Account:
    """create_in(), answering with the account as written (not read back: a team-file
    apply creates thousands)."""
    me = s.actor()
    if s.store.slug_taken(slug):  # a question about the whole store: slugs are one namespace
        raise taken(slug)
    country, number = tax if tax else (None, None)
    account_id: int = s.conn.execute(
        "INSERT INTO accounts (slug, name, owner_id, tax_country, tax_id, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (slug, name, me.id, country, number, s.now_iso),
    ).fetchone()[0]
    details: dict[str, Any] = {"name": name}
    if tax:
        details.update(country=tax[0], tax_id=tax[1])
    s.record("account.create", account=slug, target=slug, details=details)
    return Account(account_id, slug, name, me.id, me.email, country, number)


def taken(slug: str) -> Conflict:
    """What creating a taken slug says, to anyone: slugs are one namespace, so it tells
    nothing more than that the slug is in use (a team file naming another's account too)."""
    return Conflict(_("account %(slug)s already exists") % {"slug": quoted(slug)})


def rename_in(s: Session, account: Account, name: str) -> AccountView:
    """Give ACCOUNT a new display NAME (already clean_text'ed), inside the caller's
    transaction. The slug never changes."""
    if name == account.name:
        return _view(account, role="owner")
    s.conn.execute("UPDATE accounts SET name = ? WHERE id = ?", (name, account.id))
    s.record(
        "account.rename",
        account=account.slug,
        target=account.slug,
        details={"name": name, "previous": account.name},
    )
    return _view(s.get_account(account.slug), role="owner")


def set_tax_id(ctx: Context, slug: str, number: str, country: str) -> AccountView:
    tax = _tax_id(number, country)
    assert tax is not None
    with writing(ctx) as s:
        return set_tax_id_in(s, access.managed(s, slug, legal_entity=False), tax)


def set_tax_id_in(s: Session, account: Account, tax: tuple[str, str]) -> AccountView:
    if (account.tax_country, account.tax_id) == tax:
        return _view(account, role="owner")
    s.conn.execute(
        "UPDATE accounts SET tax_country = ?, tax_id = ? WHERE id = ?",
        (tax[0], tax[1], account.id),
    )
    s.record(
        "account.set_tax_id",
        account=account.slug,
        target=account.slug,
        details={
            "country": tax[0],
            "tax_id": tax[1],
            "previous": account.tax_id and f"{account.tax_country}:{account.tax_id}",
        },
    )
    return _view(s.get_account(account.slug), role="owner")


def list_mine(ctx: Context) -> list[AccountView]:
    """Accounts the actor owns or collaborates on (active), with their role."""
    with reading(ctx) as s:
        current = ctx.account_choice(None)
        me = s.actor()
        found = []
        for slug, role in access.roles_of(s, me):
            account = s.get_account(slug)
            offer = ownership.visible_offer(s, account, me.email)
            found.append(
                _view(
                    account,
                    owner_view=role == "owner",
                    role=role,
                    current=slug == current,
                    transfer=offer,
                )
            )
        return found


def show(ctx: Context, slug: str) -> AccountView:
    with reading(ctx) as s:
        account = s.get_account(slug)
        mine = access.actor_standing(s, account)
        counts = s.conn.execute(
            "SELECT (SELECT count(*) FROM profiles WHERE account_id = :a),"
            f" (SELECT count(*) FROM memberships m WHERE m.account_id = :a"
            f"  AND {STATUS_SQL} = 'active')",
            {"a": account.id, "now": s.now_iso},
        ).fetchone()
        return _view(
            account,
            owner_view=mine.owner,
            role=mine.role,
            current=slug == ctx.account_choice(None),
            profiles=counts[0],
            collaborators=counts[1],
            transfer=ownership.visible_offer(s, account, mine.user),
        )
