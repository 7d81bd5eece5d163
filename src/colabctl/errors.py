"""The exit codes and the errors that carry them: one table for the whole program.

A leaf module (of colabctl's, only the i18n leaf below it is imported here), so every
layer, the store included, raises these. `cli/output.py` is the one place that turns them into an
`error:` line and an exit. The table is documented in docs/exit-codes.md and
printed by `colabctl help exit-codes`.
"""

from enum import IntEnum

from colabctl.i18n import N_


class ExitCode(IntEnum):
    OK = 0
    NO = 1  # `can` denied, a `test` assertion failed, `audit verify` found a break
    USAGE = 2  # Typer's own: unknown option, missing argument
    NOT_FOUND = 3
    CONFLICT = 4
    FORBIDDEN = 5
    INVALID = 6
    STORE = 7
    INTERNAL = 8  # a bug in colabctl: never read as "no"
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT
    BROKEN_PIPE = 141  # the reader of stdout went away: 128 + SIGPIPE


# English, as JSON and docs/exit-codes.md show them; `help exit-codes` translates each
# where it prints it (N_ marks them for the catalogs).
MEANINGS: dict[ExitCode, str] = {
    ExitCode.OK: N_('success; "yes" (can); all assertions passed; no changes'),
    ExitCode.NO: N_(
        'the answer is "no": can denied, test assertion failed, audit verify found'
        " a break, plan --detailed-exitcode found changes, review --fail-on or plan --fail-on"
        " found a finding at that level"
    ),
    ExitCode.USAGE: N_(
        "usage error: unknown option, missing or extra argument, options that cannot go"
        " together, an unknown language"
    ),
    ExitCode.NOT_FOUND: N_("not found: account, profile, user, collaborator, invitation, preset"),
    ExitCode.CONFLICT: N_(
        "conflict: already exists, profile still in use, invitation no longer"
        " pending, an output that would replace the store"
    ),
    ExitCode.FORBIDDEN: N_(
        "forbidden: no actor, actor lacks the right, account not a legal entity, owner-only,"
        " refused by the database, an unbound login, whole-store work by a team login"
    ),
    ExitCode.INVALID: N_(
        "invalid input: bad email, tax ID, slug or TOML, unknown permission,"
        " ambiguous account, an output file that cannot be written, an HTML report to a"
        " terminal"
    ),
    ExitCode.STORE: N_(
        "store error: locked past the timeout, corrupt, from a newer colabctl,"
        " unreachable server, on a network filesystem"
    ),
    ExitCode.INTERNAL: N_(
        "internal error: a bug in colabctl (rerun with COLABCTL_DEBUG=1 and report it)"
    ),
    ExitCode.INTERRUPTED: N_("interrupted (Ctrl-C) before anything was changed"),
    ExitCode.BROKEN_PIPE: N_("the output pipe was closed (e.g. `| head -1`); nothing more printed"),
}


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
