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

# One token, or the space or a comment between two. What neither engine reads alike
# ("==", "::", "?1", an unclosed "/*" or literal, "[", "`", "$", "@", ";") is `other`,
# refused.
_TOKEN = re.compile(
    r"""
    (?P<word>[A-Za-z_]\w*)
    |(?P<space>\s+|--[^\n]*|/\*.*?\*/)
    |(?P<op><>|!=|<=|>=|\|\||[-+*%<>(),.]|/(?!\*)|=(?!=))
    |(?P<param>\?(?!\d)|:[A-Za-z_]\w*)
    |(?P<number>\d+(?:\.\d+)?(?![\w.]))
    |(?P<string>'(?:[^']|'')*')
    |(?P<quoted>"[a-z_][a-z0-9_]*")
    |(?P<other>.)
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
RENAMED = {"group_concat": "string_agg", "json_each": "json_array_elements_text"}

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


def _tokens(sql: str) -> list[tuple[str, str, bool]]:
    """(kind, text, whether space or a comment came before it) of each token; a
    character no token starts with is refused."""
    found: list[tuple[str, str, bool]] = []
    spaced = False
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        if kind == "space":
            spaced = True
            continue
        if kind == "other":
            start = match.start()
            raise refused(sql, f"unknown text at {sql[start : start + 12]!r}")
        assert kind is not None
        found.append((kind, match.group(), spaced))
        spaced = False
    return found


# long: one loop over the tokens whose state (open parentheses, the function being called,
# after IS) every branch reads and moves; split into functions, that state would be passed
# back and forth, and this runs for every new statement text, under the writer lock too
def _translated(sql: str) -> Statement:
    """One pass over SQL's tokens, writing PostgreSQL's."""
    tokens = _tokens(sql)
    out: list[str] = []
    names: list[str] = []
    positional = 0
    frames: list[list[Any]] = []  # each open parenthesis: [function called or None, commas]
    calling: str | None = None  # a function name just read: its "(" comes next
    previous = ""  # the last token (lower-cased words)
    after_is = False  # after IS or IS NOT: only NULL or DISTINCT FROM may follow
    last = len(tokens) - 1
    for index, (kind, token, spaced) in enumerate(tokens):
        if spaced and out:
            out.append(" ")
        if kind == "word":
            lower = token.lower()
            if after_is and lower not in ("not", "null", "distinct"):
                raise refused(sql, "IS between values (SQLite's equality, PostgreSQL's error)")
            after_is = lower == "is" or (after_is and lower == "not")
            if lower in REFUSED:
                raise refused(sql, f"{token.upper()} is read differently by SQLite and PostgreSQL")
            called = index < last and tokens[index + 1][1] == "("
            if called and lower not in KEYWORDS and previous not in ("into", "with"):
                if lower != "json_each" and lower not in FUNCTIONS:
                    raise refused(sql, f"the function {token}() is not known to translate")
                calling = lower
                token = (
                    "json_array_elements_text"
                    if lower == "json_each"
                    else RENAMED.get(lower, lower)
                )
            out.append(token)
            previous = lower
            continue
        if after_is:
            raise refused(sql, "IS between values (SQLite's equality, PostgreSQL's error)")
        if kind == "param":
            if token == "?":
                positional += 1
                token = f"${positional}"
            else:
                if token[1:] not in names:
                    names.append(token[1:])
                token = f"${names.index(token[1:]) + 1}"
        elif token == "(":
            frames.append([calling, 0])
            token = "(CAST(" if calling == "json_each" else "("
            calling = None
        elif token == ")":
            if not frames:
                raise refused(sql, "an unmatched parenthesis")
            function, commas = frames.pop()
            if function == "json_each":
                if commas or previous[:1] != "$":
                    raise refused(sql, "json_each() of anything but one placeholder")
                token = " AS json))"
            elif function is not None and commas + 1 not in FUNCTIONS[function]:
                raise refused(sql, f"{function}() with {commas + 1} arguments")
        elif token == "," and frames:
            frames[-1][1] += 1
        out.append(token)
        previous = token
    if frames:
        raise refused(sql, "an unclosed parenthesis")
    if names and positional:
        raise refused(sql, "both `?` and `:name` placeholders")
    return Statement("".join(out), tuple(names) if names else None, len(names) or positional)


@lru_cache(maxsize=1024)
def translate(sql: str) -> Statement:
    """SQL in core's dialect (SQLite's) as PostgreSQL, or InternalError for anything this
    module does not know how to translate. Cached per statement text."""
    return _translated(sql)
