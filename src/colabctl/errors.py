"""The exit codes and the errors that carry them: one table for the whole program.

A leaf module (of colabctl's, only the i18n leaf below it is imported here), so every
layer, the store included, raises these. `cli/output.py` is the one place that turns them into an
`error:` line and an exit. MEANINGS is the table: `colabctl help exit-codes` prints it,
the root --help epilog lists its heads, and docs/exit-codes.md and the README are
generated from it (cog).
"""

from enum import IntEnum

from colabctl.i18n import N_


class ExitCode(IntEnum):
    OK = 0
    NO = 1  # an answer, not an error: `can` denied, a `test` assertion failed, ...
    USAGE = 2  # Typer's own: unknown option, missing argument
    NOT_FOUND = 3
    CONFLICT = 4
    FORBIDDEN = 5
    INVALID = 6
    STORE = 7
    INTERNAL = 8  # a bug in colabctl: never read as "no"
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT
    BROKEN_PIPE = 141  # the reader of stdout went away: 128 + SIGPIPE


# What each code means, one sentence each: the contract. Each begins with its head, up to
# the first colon, which the root --help epilog lists (cli/__init__.py). English, as JSON,
# the README and docs/exit-codes.md (cog) show them; `help exit-codes` and the epilog
# translate them where they print them (N_ marks them for the catalogs).
MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: N_('success: "yes" (can), every policy test passed, nothing to change'),
    ExitCode.NO: N_(
        "no: can denied, a test assertion failed or coverage is below --min-coverage,"
        " audit verify found a break, plan --detailed-exitcode found changes,"
        " review --fail-on or plan --fail-on found a finding at that level"
    ),
    ExitCode.USAGE: N_(
        "usage error: unknown option, missing or extra argument, options that cannot go"
        " together, an unknown language (Typer prints the usage)"
    ),
    ExitCode.NOT_FOUND: N_(
        "not found: account, profile, user, collaborator, invitation, preset, ownership"
        " offer, review finding; and what an outsider is told about any account"
    ),
    ExitCode.CONFLICT: N_(
        "conflict: already exists, profile still in use, invitation or offer no longer"
        " open, a saved plan whose store has changed since, an output that would replace"
        " the store or another SQLite database"
    ),
    ExitCode.FORBIDDEN: N_(
        "forbidden: no actor, actor lacks the right, account not a legal entity, owner-only,"
        " more removals than apply --max-removals, refused by the database, an unbound"
        " login, whole-store work by a team login"
    ),
    ExitCode.INVALID: N_(
        "invalid input: bad email, tax ID, slug, date or TOML, a file over its size cap,"
        " unknown permission, ambiguous account, apply without --yes and no terminal,"
        " an output file that cannot be written, an HTML report to a terminal"
    ),
    ExitCode.STORE: N_(
        "store error: locked past the timeout, corrupt, from a newer colabctl, a full disk"
        " or read-only media, on a network filesystem, an unreachable server or a refused"
        " login"
    ),
    ExitCode.INTERNAL: N_(
        'internal error: a bug in colabctl, never "no" (rerun with COLABCTL_DEBUG=1 and report it)'
    ),
    ExitCode.INTERRUPTED: N_(
        "interrupted: Ctrl-C before the command committed; nothing was changed"
    ),
    ExitCode.BROKEN_PIPE: N_(
        "closed pipe: the reader of stdout went away (e.g. `| head -1`); the command stops quietly"
    ),
}


def head(meaning: str) -> str:
    """A meaning's head, up to its first colon: `store error`."""
    return meaning.split(":", 1)[0]


class ColabError(Exception):
    """Base of every error colabctl reports to its user: a message, a hint, an exit code."""

    exit_code = ExitCode.INTERNAL

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotFound(ColabError):
    exit_code = ExitCode.NOT_FOUND


class Conflict(ColabError):
    exit_code = ExitCode.CONFLICT


class Forbidden(ColabError):
    exit_code = ExitCode.FORBIDDEN


class Invalid(ColabError):
    exit_code = ExitCode.INVALID


class StoreFault(ColabError):
    """The store cannot be used: missing folder, not SQLite, newer schema, locked..."""

    exit_code = ExitCode.STORE


class InternalError(ColabError):
    """A bug in colabctl, found where it shows (an SQL statement the engine cannot run, or
    one the PostgreSQL translation does not know): exit 8, never 7, which would blame the
    user's store."""

    exit_code = ExitCode.INTERNAL

    def __init__(self, message: str) -> None:
        super().__init__(
            f"internal error: {message}",
            hint="this is a bug in colabctl: rerun with COLABCTL_DEBUG=1 and report the traceback",
        )
