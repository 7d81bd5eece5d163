"""The config: the logged-in user, and a current account per user (so `use` under
`--as` or $COLABCTL_USER never moves someone else's). TOML, written atomically.

    user = "ana.souza@example.com"
    [current]                          # identity key -> slug
    "ana.souza@example.com" = "acme-cursos"
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from colabctl.errors import Invalid
from colabctl.i18n import _


def config_path() -> Path:
    env = os.environ.get("COLABCTL_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("colabctl")) / "config.toml"


def read_config() -> dict[str, Any]:
    """The config as data ({} when there is none); read capped (1 MB), so that
    `COLABCTL_CONFIG=/dev/zero` is refused (6) at once, like a folder or bad TOML."""
    from colabctl.core import tomlfile

    path = config_path()
    if not path.exists():
        return {}
    shown = _("the config %(file)s") % {"file": path}
    try:
        return tomlfile.load(path, shown, limit=tomlfile.CONFIG_LIMIT, what="a config")
    except Invalid as exc:
        raise Invalid(exc.message, hint=_("fix it, or delete it and log in again")) from exc


def write_config(values: dict[str, Any]) -> None:
    """Write the whole config at once (core/files.write_atomically)."""
    import tomli_w

    from colabctl.core.files import write_atomically

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in values.items() if v is not None}
    # readable by its user alone, as the store is: it says who works for which account
    write_atomically(path, tomli_w.dumps(data).encode("utf-8"), mode=0o600)


def current_account(config: dict[str, Any], key: str) -> str | None:
    """The current account of the user with identity key KEY."""
    current = config.get("current")
    slug = current.get(key) if isinstance(current, dict) else None
    return slug if isinstance(slug, str) else None


def set_current_account(email: str, slug: str) -> None:
    from colabctl.core.identity import email_key

    values = read_config()
    current = values.get("current")
    if not isinstance(current, dict):
        current = values["current"] = {}
    current[email_key(email)] = slug
    write_config(values)
