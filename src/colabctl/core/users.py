"""Users: logging in (registering on first use), logging out, the current account."""

from __future__ import annotations

from colabctl.core.config import read_config, update_config, write_config
from colabctl.core.errors import Forbidden, Invalid
from colabctl.core.identity import email_key, normalize_email
from colabctl.core.names import clean_text
from colabctl.core.session import Context, User, reading, writing


def login(ctx: Context, email: str, *, name: str | None = None) -> tuple[User, bool]:
    """Become EMAIL, registering it if new. Returns the user and whether it was created."""
    user, created = register(ctx, email, name=name)
    config = read_config()
    if config.get("user") != user.email:
        config.pop("account", None)  # the previous user's current account is not ours
    config["user"] = user.email
    write_config(config)  # after the store's commit, atomically
    return user, created


def register(ctx: Context, email: str, *, name: str | None = None) -> tuple[User, bool]:
    """Register EMAIL if new (and rename it if NAME changed); the store only."""
    address = normalize_email(email)
    display = clean_text(name, what="name") if name is not None else None
    with writing(ctx) as s:
        user = s.user_by_email(address)
        created = user is None
        if user is None:
            s.conn.execute(
                "INSERT INTO users (email, email_key, name, created_at) VALUES (?, ?, ?, ?)",
                (address, email_key(address), display, s.now_iso),
            )
            s.record("user.create", target=address, details={"name": display}, actor=address)
        elif display is not None and display != user.name:
            s.conn.execute("UPDATE users SET name = ? WHERE id = ?", (display, user.id))
            s.record("user.rename", target=user.email, details={"name": display}, actor=user.email)
        found = s.user_by_email(address)
        assert found is not None
        return found, created


def logout() -> str | None:
    config = read_config()
    who = config.pop("user", None)
    config.pop("account", None)
    write_config(config)
    return who if isinstance(who, str) else None


def use(ctx: Context, slug: str) -> str:
    """Make SLUG the current account: it must be one the actor owns or works for."""
    from colabctl.core.access import standing_of

    with reading(ctx) as s:
        account = s.get_account(slug)
        me = s.actor()
        logged_in = ctx.config().get("user")
        if logged_in != me.email:
            # the current account belongs to the logged-in user's config, not to --as
            raise Invalid(
                f"`use` sets the logged-in user's current account, and you act as {me.email}"
                f" while {logged_in or 'nobody'} is logged in",
                hint=f"run `colabctl login {me.email}` first, or pass -a {slug} per command",
            )
        role = standing_of(s, account, me.email).role
        if role is None:
            raise Forbidden(
                f"you have no role in {slug}",
                hint="`colabctl whoami` lists the accounts you can use",
            )
    update_config(account=slug)
    return role
