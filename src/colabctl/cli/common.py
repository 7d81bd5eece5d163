"""What every command module shares: the command context, option aliases,
and `command()`, which registers a command behind the one error handler."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer

from colabctl.cli.output import handled
from colabctl.core.clock import Clock, system_clock
from colabctl.core.session import Context

P = ParamSpec("P")
R = TypeVar("R")

# The clock every command reads. Tests replace it to move time without sleeping.
CLOCK: Clock = system_clock

_current = Context()


def set_context(ctx: Context) -> None:
    global _current
    _current = ctx


def context() -> Context:
    return _current


def command(
    app: typer.Typer, name: str | None = None, **options: object
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    def register(fn: Callable[P, R]) -> Callable[P, R]:
        app.command(name, **options)(handled(fn))  # type: ignore[arg-type]
        return fn

    return register


def examples(*lines: str) -> str:
    """A command's `Examples:` epilog: real command lines, each at most 76 characters."""
    assert all(len(line) <= 76 for line in lines), lines
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        "-a",
        help="Account slug (default: $COLABCTL_ACCOUNT, `colabctl use`, or your only account).",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
LangOpt = Annotated[
    str | None,
    typer.Option(
        "--lang",
        help="Labels in es, pt or en (default: $COLABCTL_LANG, the locale, en).",
        show_default=False,
    ),
]
ExpiresOpt = Annotated[
    str,
    typer.Option(
        "--expires-in", help="How long the invitation stays open: 90s, 48h, 7d (1s to 90d)."
    ),
]
