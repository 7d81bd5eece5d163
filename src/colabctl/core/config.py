"""The config: the logged-in user, and a current account per user (so `use` under
`--as` or $COLABCTL_USER never moves someone else's). TOML, written atomically.

    user = "ana.souza@example.com"
    [current]                          # identity key -> slug
    "ana.souza@example.com" = "acme-cursos"
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from colabctl.errors import Invalid


def config_path() -> Path:
    env = os.environ.get("COLABCTL_CONFIG")
    if env:
        return Path(env)
    from platformdirs import user_config_dir

    return Path(user_config_dir("colabctl")) / "config.toml"


def read_config() -> dict[str, Any]:
    path = config_path()
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise Invalid(f"cannot read the config {path}: {exc.strerror}") from exc
    import tomllib

    try:
        # a byte order mark (a config saved by a Windows editor) is not part of the TOML
        return tomllib.loads(raw.decode("utf-8").removeprefix("\ufeff"))
    except UnicodeDecodeError as exc:
        raise Invalid(
            f"the config {path} is not UTF-8 text (byte {exc.start})",
            hint="fix it, or delete it and log in again",
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise Invalid(
            f"the config {path} is malformed: {exc}", hint="fix it, or delete it and log in again"
        ) from exc


def write_config(values: dict[str, Any]) -> None:
    """Write the whole config: a temp file in the same folder, then os.replace."""
    import tomli_w

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {k: v for k, v in values.items() if v is not None}
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".config-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            tomli_w.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
