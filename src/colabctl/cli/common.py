"""What every command module shares: the command context, option aliases, `command()`,
which registers a command behind the one error handler, `examples()` for its help, and
the value completers of shell completion."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, ParamSpec, TypeVar

import typer

from colabctl.cli.output import handled
from colabctl.core.clock import Clock, system_clock
from colabctl.core.session import Context
from colabctl.i18n import _

# The heading of every leaf command's examples; cli/localized.py translates it (only it:
# the command lines under it stay as they are).
EXAMPLES = "Examples:"

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
    """Register FN as a command behind the one error handler; its docstring is its help."""

    def register(fn: Callable[P, R]) -> Callable[P, R]:
        options.setdefault("help", help_text(fn.__doc__ or ""))
        app.command(name, **options)(handled(fn))  # type: ignore[arg-type]
        return fn

    return register


def help_text(doc: str) -> str:
    """A docstring as help: its paragraphs each on one line. Typer keeps the line breaks
    of every paragraph after the first, so a paragraph wrapped in the source would come
    out with a break in mid-sentence wherever the terminal's width differs."""
    import inspect

    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(paragraph.split()) for paragraph in paragraphs)


def exclusive(ctx: typer.Context, *options: tuple[str, object], why: str = "") -> None:
    """Options that cannot go together, given together: a usage error (exit 2), said the
    same way for every pair (docs/commands.md): "A cannot be used with B". OPTIONS are
    (name, value) pairs; a value counts as given unless it is None, False or empty."""
    given = [name for name, value in options if value not in (None, False, [], ())]
    if len(given) < 2:
        return
    first, *others = given
    names = {"first": first, "other": others[-1], "others": ", ".join(others[:-1]), "why": why}
    if len(others) == 1:
        message = _("%(first)s cannot be used with %(other)s: %(why)s") if why else None
        message = message or _("%(first)s cannot be used with %(other)s")
    elif why:
        message = _("%(first)s cannot be used with %(others)s or %(other)s: %(why)s")
    else:
        message = _("%(first)s cannot be used with %(others)s or %(other)s")
    ctx.fail(message % names)


def examples(*lines: str) -> str:
    """A leaf command's epilog: its `Examples:` section (docs/commands.md), heading and
    lines; the heading is translated where shown (cli/localized.py), the lines never.

    Each line is a real command line that works on the store `colabctl demo` builds, as
    ana.souza@example.com, at most 76 characters (tests/cli/test_help_examples.py runs
    every one). `&&` may chain a prerequisite; a trailing `# no` marks an answer of no
    (exit 1). The leading newline keeps the indentation: typer dedents the epilog as a
    docstring, whose first line does not count."""
    return f"\n{EXAMPLES}\n" + "\n".join(f"  {line}" for line in lines)


# -- shell completion (docs/config.md, "Shell completion") -------------------------
# Values for Typer's completion: the actor's account slugs and invitations, the profiles
# and people of an account the actor may read, permission ids. They read the store
# through core/completion.py (never creating it) and offer nothing rather than fail.
# Every command imports this module, `can` included: nothing is imported until asked.


def _completion_context(ctx: typer.Context) -> Context:
    root = ctx.find_root().params
    return Context(db=root.get("db"), actor=root.get("as_"), clock=CLOCK)


def _starting(incomplete: str, found: Callable[[], list[str]]) -> list[str]:
    try:
        values = found()
    except Exception:  # a completion never breaks the shell: no store, no actor, ...
        return []
    return [value for value in dict.fromkeys(values) if value.startswith(incomplete)]


def complete_accounts(ctx: typer.Context, incomplete: str) -> list[str]:
    from colabctl.core import completion

    return _starting(incomplete, lambda: completion.account_slugs(_completion_context(ctx)))


def complete_invitations(ctx: typer.Context, incomplete: str) -> list[str]:
    from colabctl.core import completion

    return _starting(incomplete, lambda: completion.invitation_slugs(_completion_context(ctx)))


def complete_profiles(ctx: typer.Context, incomplete: str) -> list[str]:
    from colabctl.core import completion

    return _starting(
        incomplete,
        lambda: completion.profile_names(_completion_context(ctx), ctx.params.get("account")),
    )


def complete_people(ctx: typer.Context, incomplete: str) -> list[str]:
    from colabctl.core import completion

    return _starting(
        incomplete, lambda: completion.people(_completion_context(ctx), ctx.params.get("account"))
    )


def complete_permissions(incomplete: str) -> list[str]:
    from colabctl.core.catalog import catalog

    return _starting(incomplete, lambda: [p.id for p in catalog().permissions])


def complete_categories(incomplete: str) -> list[str]:
    from colabctl.core.catalog import catalog

    return _starting(incomplete, lambda: [c.id for c in catalog().categories])


def complete_presets(incomplete: str) -> list[str]:
    from colabctl.core.presets import presets_dir

    return _starting(incomplete, lambda: sorted(p.stem for p in presets_dir().glob("*.toml")))


def complete_languages(incomplete: str) -> list[str]:
    return _starting(incomplete, lambda: ["es", "pt", "en"])


AccountOpt = Annotated[
    str | None,
    typer.Option(
        "--account",
        "-a",
        help="Account slug (default: $COLABCTL_ACCOUNT, `colabctl use`, or your only account).",
        show_default=False,
        autocompletion=complete_accounts,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON document.")]
ExpiresOpt = Annotated[
    str,
    typer.Option(
        "--expires-in", help="How long the invitation stays open: 90s, 48h, 7d (1s to 90d)."
    ),
]
