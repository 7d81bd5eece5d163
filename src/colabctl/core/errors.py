"""Domain errors. Each knows its exit code (SPEC section 3); cli/output.py prints them."""


class ColabError(Exception):
    """Base of every error colabctl reports to its user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class NotFound(ColabError):
    exit_code = 3


class Conflict(ColabError):
    exit_code = 4


class Forbidden(ColabError):
    exit_code = 5


class Invalid(ColabError):
    exit_code = 6


class StoreError(ColabError):
    exit_code = 7
