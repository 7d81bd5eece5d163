"""Core's SQL, written once in SQLite's dialect, as PostgreSQL runs it (docs/storage.md,
"One interface, two engines").

A tokenizer, not text rewriting: comments, string literals and quoted identifiers are
read as such, so nothing inside a literal is ever touched, and every other token is
either known (passed on, or translated) or refused. What is translated:

- placeholders: `?` and `:name` become `$1`, `$2`, ... (psycopg's raw cursor binds them
  as they are: no `%` escaping);
- `group_concat(x, sep)` becomes `string_agg(x, sep)`;
- `json_each(<placeholder>)` becomes `json_array_elements_text(CAST($n AS json))`, whose
  one column is `value` too.

Anything else is either the same in both dialects (the keywords, operators and functions
listed below) or refused with `InternalError` (exit 8): a construct the two engines read
differently (`LIKE`'s case rules, `IS` between values, scalar `max(a, b)`, a double-quoted
name that SQLite may take for a string) or one this module does not know. Never passed
through. A statement refused here is a bug in colabctl, which the statement recorder of
the test suite (tests/sqlrecorder.py) finds before a user does.

Measured on a 2-core machine: sqlglot would do this too, but its import alone costs about
as much as psycopg's (~110 ms), which `can` on PostgreSQL cannot afford; the tests use it
as an oracle instead.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from colabctl.errors import InternalError

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<comment>--[^\n]*|/\*.*?\*/)
    |(?P<bad>/\*|==|::|\?\d|0[xX])
    |(?P<string>'(?:[^']|'')*')
    |(?P<quoted>"[a-z_][a-z0-9_]*")
    |(?P<number>\d+(?:\.\d+)?(?![\w.]))
    |(?P<param>\?|:[A-Za-z_]\w*)
    |(?P<word>[A-Za-z_]\w*)
    |(?P<op><>|!=|<=|>=|\|\||[-+*/%=<>(),.])
    """,
    re.VERBOSE | re.DOTALL,
)


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Words that mean the same in both dialects. (`IS` is checked on its own: see _Reader.)
KEYWORDS = _words(
    """
    select from where and or not in is null as on join left inner cross outer group by
    order having limit offset asc desc nulls first last case when then else end exists
    distinct all union insert into values update set delete returning with between
    default conflict do nothing cast integer text bigint commit rollback
    """
)

# Functions that answer alike in both (with the argument counts both accept); sum's
# bigint total comes back as an int, as SQLite's, by store/postgres.py's loaders.
FUNCTIONS: dict[str, tuple[int, ...]] = {
    "count": (1,),
    "max": (1,),  # SQLite's two-argument max() is a scalar PostgreSQL spells greatest()
    "min": (1,),
    "sum": (1,),
    "coalesce": (2, 3, 4),
    "nullif": (2,),
    "abs": (1,),
    "length": (1,),
    "group_concat": (2,),  # string_agg needs the separator spelt out
}
RENAMED = {"group_concat": "string_agg"}

# Words that read differently in the two dialects, or name what only one of them has:
# refused wherever they appear (as a name too: a column called `user` would be
# PostgreSQL's current user). Other words are names of tables, columns and aliases.
REFUSED = _words(
    """
    like glob regexp match escape collate pragma replace ignore abort fail raise
    autoincrement indexed notnull isnull rowid oid _rowid_ attach detach vacuum reindex
    analyze analyse explain savepoint release transaction deferred immediate exclusive
    begin create drop alter table index trigger view virtual without temp temporary
    current_timestamp current_date current_time localtime localtimestamp except intersect
    window over partition range rows groups filter materialized recursive true false
    natural full right using iif ifnull instr substr substring lower upper trim printf
    format total avg strftime datetime date time julianday unixepoch random typeof
    user session_user current_user current_role current_schema current_catalog array
    both leading trailing lateral only some any symmetric asymmetric variadic fetch
    placing authorization binary concurrently freeze ilike similar verbose tablesample
    json json_extract json_array json_object
    """
)


class Statement(NamedTuple):
    """A translated statement: PostgreSQL text with `$n` placeholders, and the name of
    each (for `:name` placeholders; None for `?`)."""

    text: str
    names: tuple[str, ...] | None
    placeholders: int  # how many: $1 ... $placeholders

    def arguments(self, parameters: Sequence[Any] | Mapping[str, Any]) -> Sequence[Any]:
        """PARAMETERS in $n order."""
        if self.names is None:
            if isinstance(parameters, Mapping):
                raise InternalError(f"named parameters given to a statement with `?`: {self.text}")
            if len(parameters) != self.placeholders:
                raise InternalError(
                    f"{len(parameters)} values for {self.placeholders} placeholders: {self.text}"
                )
            return parameters
        if not isinstance(parameters, Mapping):
            raise InternalError(f"positional parameters given for `:name`s: {self.text}")
        try:
            return [parameters[name] for name in self.names]
        except KeyError as missing:
            raise InternalError(f"no value for :{missing.args[0]} in {self.text}") from None


def refused(sql: str, why: str) -> InternalError:
    shown = " ".join(sql.split())
    return InternalError(f"SQL that colabctl cannot run on PostgreSQL ({why}): {shown[:300]}")


class _Frame:
    """An open parenthesis: the function it calls (None for plain grouping), and how many
    commas it holds at its own level."""

    def __init__(self, function: str | None) -> None:
        self.function = function
        self.commas = 0


class _Reader:
    """One pass over SQL's tokens, writing PostgreSQL's."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self.out: list[str] = []
        self.names: list[str] = []
        self.positional = 0
        self.frames: list[_Frame] = []
        self.calling: str | None = None  # a function name just read: its "(" comes next
        self.previous = ""  # the last significant token, lower-cased
        self.after_is = False  # after IS (or IS NOT): only NULL or DISTINCT FROM may follow

    def fail(self, why: str) -> InternalError:
        return refused(self.sql, why)

    def tokens(self) -> list[tuple[str, str, bool]]:
        """(kind, text, whether space or a comment came before it) for each token."""
        found: list[tuple[str, str, bool]] = []
        spaced = False
        pos = 0
        while pos < len(self.sql):
            match = _TOKEN.match(self.sql, pos)
            if match is None or match.lastgroup == "bad":
                raise self.fail(f"unknown text at {self.sql[pos : pos + 12]!r}")
            kind = match.lastgroup
            assert kind is not None
            if kind in ("space", "comment"):
                spaced = True
            else:
                found.append((kind, match.group(), spaced))
                spaced = False
            pos = match.end()
        return found

    def translate(self) -> Statement:
        tokens = self.tokens()
        for index, (kind, token, spaced) in enumerate(tokens):
            following = tokens[index + 1][1] if index + 1 < len(tokens) else ""
            if spaced and self.out:
                self.out.append(" ")
            self.take(kind, token, following)
        if self.frames:
            raise self.fail("an unclosed parenthesis")
        if self.names and self.positional:
            raise self.fail("both `?` and `:name` placeholders")
        count = len(self.names) if self.names else self.positional
        names = tuple(self.names) if self.names else None
        return Statement("".join(self.out), names, count)

    def take(self, kind: str, token: str, following: str) -> None:
        lower = token.lower()
        if self.after_is and lower not in ("not", "null", "distinct"):
            raise self.fail("IS between values (SQLite's equality, PostgreSQL's error)")
        self.after_is = lower == "is" or (self.after_is and lower == "not")
        if kind == "param":
            self.out.append(self.placeholder(token))
        elif kind == "word":
            self.word(lower, token, following)
        elif kind == "op":
            self.operator(token)
        else:  # string, quoted, number: the same in both
            self.out.append(token)
        self.previous = lower

    def placeholder(self, token: str) -> str:
        if token == "?":
            self.positional += 1
            return f"${self.positional}"
        name = token[1:]
        if name not in self.names:
            self.names.append(name)
        return f"${self.names.index(name) + 1}"

    def word(self, lower: str, token: str, following: str) -> None:
        if lower in REFUSED:
            raise self.fail(f"{token.upper()} is read differently by SQLite and PostgreSQL")
        if following == "(" and lower not in KEYWORDS and self.previous not in ("into", "with"):
            if lower != "json_each" and lower not in FUNCTIONS:
                raise self.fail(f"the function {token}() is not known to translate")
            self.calling = lower
            self.out.append(
                "json_array_elements_text" if lower == "json_each" else RENAMED.get(lower, lower)
            )
            return
        self.out.append(token)

    def operator(self, token: str) -> None:
        if token == "(":
            self.frames.append(_Frame(self.calling))
            self.out.append("(CAST(" if self.calling == "json_each" else "(")
            self.calling = None
        elif token == ")":
            self.close()
        else:
            if token == "," and self.frames:
                self.frames[-1].commas += 1
            self.out.append(token)

    def close(self) -> None:
        if not self.frames:
            raise self.fail("an unmatched parenthesis")
        frame = self.frames.pop()
        if frame.function == "json_each":
            if frame.commas or self.previous[:1] not in ("?", ":"):
                raise self.fail("json_each() of anything but one placeholder")
            self.out.append(" AS json))")
            return
        if frame.function is not None and frame.commas + 1 not in FUNCTIONS[frame.function]:
            raise self.fail(f"{frame.function}() with {frame.commas + 1} arguments")
        self.out.append(")")


@lru_cache(maxsize=1024)
def translate(sql: str) -> Statement:
    """SQL in core's dialect (SQLite's) as PostgreSQL, or InternalError for anything this
    module does not know how to translate. Cached per statement text."""
    return _Reader(sql).translate()
