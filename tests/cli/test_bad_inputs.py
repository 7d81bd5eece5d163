"""Bad inputs through the CLI (docs/exit-codes.md, docs/commands.md, docs/catalog.md):
malformed presets, invalid emails, bad tax IDs, bad slugs and names, bad `can --batch`
input. Each case: the documented exit code, exactly one `error:` line (and at most a
`hint:`), no traceback anywhere, and the store (and config) exactly as before.

The corpus is in tests/data/bad/ (ASCII files; escapes decoded by `_decode`); what cannot
sensibly live in the repository (17 MB, 10,000 levels of nesting) is generated here.

Decisions where the docs are silent:
- looking an account up by a malformed slug (`-a`, `accept SLUG`) may say "not found" (3)
  or "invalid" (6): both are accepted, the other checks are not relaxed;
- `profile create --description ""` means "no description given" (the preset's stays);
- a missing or unreadable `--from` or `--batch` file is invalid input (6), as
  docs/exit-codes.md says of a malformed preset file, not a store error (7).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from email_validator import EmailNotValidError, validate_email
from support import (
    ACME,
    BOB,
    OWNER,
    ROOT,
    Cli,
    as_owner,
    colabctl_bytes,
    copy_store,
    dump,
    error_lines,
    failure,
    raw,
)
from typer.testing import Result

from colabctl.core.presets import parse_preset
from colabctl.core.taxid import validate_business_tax_id
from colabctl.errors import ColabError, Invalid

DATA = ROOT / "tests" / "data" / "bad"


# -- the corpus -----------------------------------------------------------------------------------


def _decode(text: str) -> str:
    """Escapes in an ASCII data file (\\n, \\x00, \\u202e, \\\\) to the characters."""
    return text.encode("ascii").decode("unicode_escape")


def _rows(name: str) -> list[list[str]]:
    text = (DATA / name).read_text(encoding="ascii")
    assert text.isascii()
    return [
        [_decode(cell) for cell in line.split("\t")]
        for line in text.splitlines()
        if line and not line.startswith("#")
    ]


EMAILS = [row[0] for row in _rows("emails.txt")]
TAX_IDS = [(row[0], row[1], row[2]) for row in _rows("tax_ids.tsv")]


def _names(kind: str) -> list[str]:
    found = []
    for row in _rows("names.txt"):
        if row[0] == kind:
            value = row[1] if len(row) > 1 else ""
            found.append(value * int(row[2]) if len(row) > 2 else value)
    return found


SLUGS = _names("slug")
TEXTS = _names("text")
SAFE_TEXTS = _names("safe")
PRESETS = sorted((DATA / "presets").glob("*.toml"))


def _id(value: str) -> str:
    shown = value if len(value) <= 30 else f"{value[:20]}...({len(value)})"
    return ascii(shown)


def test_the_corpus_is_what_it_claims() -> None:
    assert len(EMAILS) >= 10 and len(TAX_IDS) >= 27 and len(PRESETS) >= 25
    assert {"slug", "text", "safe"} == {row[0] for row in _rows("names.txt")}
    assert "a" * 10000 in SLUGS and "x" * 10000 in TEXTS
    assert any("\x00" in s for s in SLUGS) and any("\u202e" in s for s in SLUGS)


@pytest.mark.parametrize("email", EMAILS, ids=_id)
def test_email_validator_itself_refuses_each_corpus_email(email: str) -> None:
    with pytest.raises(EmailNotValidError):
        validate_email(email.strip(), check_deliverability=False)


# -- the store every case starts from -------------------------------------------------------------


@pytest.fixture
def store(acme_template: Path, db_path: Path, tmp_path: Path) -> Path:
    """ana owns acme-cursos (a legal entity) with soporte and tecnico; bob is active."""
    copy_store(acme_template, db_path)
    (tmp_path / "config.toml").write_text(f'user = "{OWNER}"\n', encoding="utf-8")
    return db_path


class Snapshot:
    def __init__(self, db: Path, config: Path) -> None:
        self.db, self.config = db, config
        self.before = self.take()

    def take(self) -> tuple[list[str], bytes | None]:
        return dump(self.db), self.config.read_bytes() if self.config.exists() else None

    def unchanged(self) -> bool:
        return self.take() == self.before


@pytest.fixture
def snapshot(store: Path, tmp_path: Path) -> Snapshot:
    return Snapshot(store, tmp_path / "config.toml")


# -- emails ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("email", EMAILS, ids=_id)
def test_invite_refuses_an_invalid_email(cli: Cli, snapshot: Snapshot, email: str) -> None:
    line, _ = failure(cli(*as_owner("invite", email, "--profile", "soporte", "-a", ACME)), 6)
    assert "not a valid email" in line or "empty" in line
    assert snapshot.unchanged()


@pytest.mark.parametrize("email", EMAILS, ids=_id)
def test_login_refuses_an_invalid_email(cli: Cli, snapshot: Snapshot, email: str) -> None:
    failure(cli("login", email, "--name", "Someone"), 6)
    assert snapshot.unchanged()


# -- tax IDs --------------------------------------------------------------------------------------


@pytest.mark.parametrize(("country", "number", "why"), TAX_IDS, ids=lambda v: _id(str(v)))
def test_a_bad_tax_id_is_refused(
    cli: Cli, snapshot: Snapshot, country: str, number: str, why: str
) -> None:
    with pytest.raises(Invalid):
        validate_business_tax_id(number, country)
    created = cli(
        *as_owner("account", "create", "new-co", "--name", "New", "--tax-id", number),
        "--country",
        country,
    )
    line, _ = failure(created, 6)
    if "country" in why or why == "three-letter code":
        assert "supported" in line and all(cc in line for cc in ("AR", "BR", "PE", "US"))
    failure(cli(*as_owner("account", "set-tax-id", ACME, number, "--country", country)), 6)
    assert snapshot.unchanged()


# -- slugs and names ------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", SLUGS, ids=_id)
def test_a_bad_slug_is_refused(cli: Cli, snapshot: Snapshot, slug: str) -> None:
    # after `--`, so that "-acme" reaches the validator rather than Typer's option parser
    failure(cli(*as_owner("account", "create", "--name", "Acme", "--", slug)), 6)
    failure(cli(*as_owner("profile", "create", "--preset", "soporte", "-a", ACME, "--", slug)), 6)
    failure(cli(*as_owner("collaborator", "set-profile", "-a", ACME, "--", BOB, slug)), 3, 6)
    # looked up rather than created (the docs are silent: not found or invalid); an empty -a is
    # no -a at all, as an empty $COLABCTL_ACCOUNT is
    if slug:
        failure(cli(*as_owner("profile", "list", f"--account={slug}")), 3, 6)
        failure(cli("--as", BOB, "accept", "--", slug), 3, 6)
    assert snapshot.unchanged()


@pytest.mark.parametrize("text", TEXTS, ids=_id)
def test_bad_free_text_is_refused(cli: Cli, snapshot: Snapshot, text: str) -> None:
    failure(cli("login", OWNER, "--name", text), 6)
    failure(cli(*as_owner("account", "create", "new-co", "--name", text)), 6)
    if text:  # --description "" means no description given (see the module's docstring)
        create = as_owner("profile", "create", "new-prof", "--preset", "soporte")
        failure(cli(*create, "--description", text, "-a", ACME), 6)
    failure(cli(*as_owner("profile", "edit", "soporte", "--description", text, "-a", ACME)), 6)
    assert snapshot.unchanged()


LONG = "x\n\u202e" + "y" * 10_000
LOOKUPS = {
    "account show": ("account", "show", "--", LONG),
    "-a": ("profile", "list", "-a", LONG),
    "profile show": ("profile", "show", "-a", ACME, "--", LONG),
    "profile delete": ("profile", "delete", "-a", ACME, "--", LONG),
    "invite --profile": ("invite", BOB, "-a", ACME, "--profile", LONG),
    "invite --expires-in": (
        "invite",
        BOB,
        "-a",
        ACME,
        "--profile",
        "soporte",
        "--expires-in",
        LONG,
    ),
    "collaborator list --status": ("collaborator", "list", "-a", ACME, "--status", LONG),
    "preset show": ("preset", "show", "--", LONG),
    "permissions --category": ("permissions", "--category", LONG),
    "audit log --since": ("audit", "log", "-a", ACME, "--since", LONG),
    "can": ("can", BOB, LONG, "-a", ACME),
}


@pytest.mark.parametrize("args", LOOKUPS.values(), ids=LOOKUPS.keys())
def test_a_huge_hostile_argument_is_echoed_short_and_on_one_line(
    cli: Cli, snapshot: Snapshot, args: tuple[str, ...]
) -> None:
    """Whatever is looked up and not found is quoted in the error: escaped (the newline and
    the bidi override show as escapes) and cut, not 10,000 characters long."""
    line, _ = failure(cli(*as_owner(*args)), 3, 6)
    assert len(line) < 200, len(line)
    assert '"x\\n\\u202eyyy' in line and f"({len(LONG)} characters)" in line, line
    assert snapshot.unchanged()


@pytest.mark.parametrize("text", SAFE_TEXTS, ids=_id)
def test_hostile_looking_text_is_stored_verbatim(cli: Cli, store: Path, text: str) -> None:
    assert cli(*as_owner("account", "create", "new-co", "--name", text)).exit_code == 0
    shown = cli(*as_owner("account", "show", "new-co", "--json"))
    assert json.loads(shown.stdout)["name"] == text
    renamed = cli("login", OWNER, "--name", text)
    assert renamed.exit_code == 0, renamed.stderr
    listed = cli(*as_owner("account", "list", "--json"))
    assert {a["slug"] for a in json.loads(listed.stdout)} == {ACME, "new-co"}
    (stored,) = raw(store, ("SELECT name FROM users WHERE email_key = ?", (OWNER,)))
    assert stored == [(text,)]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("args", "code"),
    [
        ((b"--as", OWNER.encode(), b"account", b"create", b"acme\xff\xfe", b"--name", b"A"), 6),
        ((b"--as", OWNER.encode(), b"account", b"create", b"ok-co", b"--name", b"An\xffa"), 6),
        ((b"login", b"an\xe9@example.com"), 6),
        ((b"login", OWNER.encode(), b"--name", b"\xed\xa0\x80surrogate"), 6),
        ((b"--as", OWNER.encode(), b"profile", b"list", b"-a", b"\xff"), 6),
    ],
    ids=["slug", "name", "email", "encoded surrogate", "lookup"],
)
def test_invalid_utf8_in_a_real_argv(store: Path, args: tuple[bytes, ...], code: int) -> None:
    """A real process: argv bytes that are not UTF-8 (NUL cannot be passed this way)."""
    before = dump(store)
    done = colabctl_bytes(*args, db=store)
    # what colabctl prints is UTF-8, whatever it got
    error_lines(done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8"), code)
    assert dump(store) == before


# -- presets (--from FILE) ------------------------------------------------------------------------

_CONTENT_RULES = {
    "nul_in_description.toml",
    "rlo_in_description.toml",
    "control_in_title.toml",
    "newline_in_description.toml",
}


def _from(cli: Cli, path: Path | str) -> Result:
    return cli(*as_owner("profile", "create", "from-file", "--from", str(path), "-a", ACME))


@pytest.mark.parametrize(
    "path", [p for p in PRESETS if p.name not in _CONTENT_RULES], ids=lambda p: p.stem
)
def test_a_malformed_preset_file_is_refused(cli: Cli, snapshot: Snapshot, path: Path) -> None:
    with pytest.raises(Invalid):
        preset = parse_preset(path.read_bytes(), str(path))
        if not preset.permissions:
            raise Invalid("no permissions")  # what profile create says of an empty list
    line, _ = failure(_from(cli, path), 6)
    if path.name != "empty_permissions.toml":  # well-formed; refused by profile create
        assert path.name in line
    raw = path.read_bytes()
    if b"teleport" in raw:
        assert "purchases.teleport" in line
    if b"Hacer Magia" in raw:
        assert "Hacer Magia" in line
    if b"account.bank" in raw or b"team.manage" in raw:
        assert ("account.bank" in line or "team.manage" in line) and "owner-only" in line
    if path.stem in ("unclosed_array", "missing_equals", "duplicate_key"):
        assert "line" in line or "at the end of the file" in line  # where TOML gives one
    assert snapshot.unchanged()


@pytest.mark.parametrize("name", sorted(_CONTENT_RULES))
def test_a_presets_free_text_obeys_the_rules_of_description(
    cli: Cli, snapshot: Snapshot, name: str
) -> None:
    """docs/commands.md: titles (and, as `--description` shows, descriptions) are free text: no
    control characters. A file must not smuggle in what the option refuses."""
    line, _ = failure(_from(cli, DATA / "presets" / name), 6)
    assert name in line
    assert snapshot.unchanged()


def _generated(tmp_path: Path, kind: str) -> Path:
    path = tmp_path / f"{kind}.toml"
    if kind == "seventeen-megabytes":  # over the 16 MB a preset may hold
        padding = "# " + "x" * 1022 + "\n"
        path.write_text('permissions = ["products.view"]\n' + padding * 17 * 1024, "utf-8")
    elif kind == "deeply-nested":
        path.write_text("permissions = " + "[" * 10_000 + "]" * 10_000 + "\n", "utf-8")
    elif kind == "deeply-nested-tables":
        path.write_text("x = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n", "utf-8")
    elif kind == "long-description":
        path.write_text(f'permissions = ["products.view"]\ndescription = "{"d" * 10_000}"\n')
    elif kind == "long-title":
        path.write_text(f'permissions = ["products.view"]\ntitle = {{ es = "{"t" * 10_000}" }}\n')
    elif kind == "a-folder":
        path.mkdir()
    elif kind == "missing":
        pass
    return path


@pytest.mark.parametrize(
    "kind",
    [
        "seventeen-megabytes",
        "deeply-nested",
        "deeply-nested-tables",
        "long-description",
        "long-title",
        "a-folder",
        "missing",
    ],
)
def test_a_generated_bad_preset_is_refused(
    cli: Cli, snapshot: Snapshot, tmp_path: Path, kind: str
) -> None:
    path = _generated(tmp_path, kind)
    line, _ = failure(_from(cli, path), 6)
    assert path.name in line
    if path.is_file():
        with pytest.raises(ColabError):
            parse_preset(path.read_bytes(), str(path))
    assert snapshot.unchanged()


def test_preset_and_from_together_are_a_usage_error(cli: Cli, snapshot: Snapshot) -> None:
    both = as_owner("profile", "create", "x-y", "--preset", "soporte", "--from")
    result = cli(*both, str(PRESETS[0]), "-a", ACME)
    assert result.exit_code == 2
    assert "--preset cannot be used with --from" in result.stderr
    assert snapshot.unchanged()


# -- can --batch ----------------------------------------------------------------------------------

_LINE = json.dumps({"user": BOB, "account": ACME, "permission": "products.view"})


def _batch(cli: Cli, tmp_path: Path, raw: bytes) -> Result:
    path = tmp_path / "checks.jsonl"
    path.write_bytes(raw)
    return cli(*as_owner("can", "--batch", str(path)))


def _outputs(result: Result) -> list[dict[str, Any]]:
    return [json.loads(line, parse_constant=_strict) for line in result.stdout.splitlines()]


def _strict(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


def test_batch_answers_around_a_line_that_is_not_utf8(
    cli: Cli, store: Path, tmp_path: Path
) -> None:
    """docs/json.md: a bad line gets an "error" line, every other line is still answered, exit 6."""
    raw = f"{_LINE}\n".encode() + b'{"user": "\xff\xfe"}\n' + f"{_LINE}\n".encode()
    result = _batch(cli, tmp_path, raw)
    assert result.exit_code == 6, result.stderr
    out = _outputs(result)
    assert len(out) == 3
    assert out[0]["allowed"] is True and out[2]["allowed"] is True
    assert "error" in out[1]


def test_batch_input_that_is_not_utf8_is_invalid_input_not_a_no(
    cli: Cli, store: Path, tmp_path: Path
) -> None:
    """Whatever else happens, undecodable input is exit 6 (invalid), never 1 ("no")."""
    result = _batch(cli, tmp_path, b"\xff\xfe\xfd\n" * 3)
    assert result.exit_code == 6, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1


@pytest.mark.parametrize(
    "line",
    [
        '{"user": "\\ud800@example.com", "account": "acme-cursos", "permission": "products.view"}',
        '{"user": "bob.costa@example.com", "account": "\\udfff", "permission": "products.view"}',
        '{"user": "bob.costa@example.com", "account": "acme-cursos", "permission": "\\ud83d"}',
        '["\\ud800"]',
    ],
    ids=["user", "account", "permission", "not an object"],
)
def test_batch_answers_around_a_lone_surrogate_escape(
    cli: Cli, store: Path, tmp_path: Path, line: str
) -> None:
    """JSON may spell a lone surrogate (\\ud800); it is not text: an "error" line, not a
    crash that leaves the rest unanswered."""
    result = _batch(cli, tmp_path, f"{_LINE}\n{line}\n{_LINE}\n".encode())
    assert result.exit_code == 6, result.stderr
    assert "unexpected" not in result.stderr
    out = _outputs(result)
    assert len(out) == 3 and "error" in out[1]
    assert out[0]["allowed"] is True and out[2]["allowed"] is True


@pytest.mark.parametrize(
    "constant",
    [
        "NaN",
        "Infinity",
        "-Infinity",
        '{"user": NaN}',
        '{"user": "bob.costa@example.com", "account": "acme-cursos",'
        ' "permission": "products.view", "note": Infinity}',
    ],
)
def test_batch_output_is_strict_json_even_for_nan_input(
    cli: Cli, store: Path, tmp_path: Path, constant: str
) -> None:
    """Python's json reads NaN and Infinity, which are not JSON; echoing them back makes
    an output line no strict JSON parser (jq, JSON.parse) can read."""
    result = _batch(cli, tmp_path, f"{constant}\n{_LINE}\n".encode())
    assert result.exit_code == 6
    out = _outputs(result)
    assert len(out) == 2 and "error" in out[0] and out[1]["allowed"] is True


@pytest.mark.parametrize("kind", ["missing", "a-folder"])
def test_batch_file_that_cannot_be_read_is_invalid_input(
    cli: Cli, snapshot: Snapshot, tmp_path: Path, kind: str
) -> None:
    path = tmp_path / "checks.jsonl"
    if kind == "a-folder":
        path.mkdir()
    line, _ = failure(cli(*as_owner("can", "--batch", str(path))), 6)
    assert "checks.jsonl" in line
    assert snapshot.unchanged()


# PostgreSQL's text cannot hold NUL: there a NUL in a name is exit 6 (store/postgres.py)
@pytest.mark.engines("sqlite")
def test_batch_with_nul_and_control_characters_is_answered(
    cli: Cli, store: Path, tmp_path: Path
) -> None:
    lines = [
        {"user": "bob\u0000@example.com", "account": ACME, "permission": "products.view"},
        {"user": BOB, "account": "acme\u202ecursos", "permission": "products.view"},
        {"user": BOB, "account": ACME, "permission": "products\u0000view"},
        {"user": BOB, "account": "x'; DROP TABLE users; --", "permission": "products.view"},
    ]
    raw = "".join(json.dumps(item) + "\n" for item in lines).encode()
    result = _batch(cli, tmp_path, raw)
    assert result.exit_code == 6
    out = _outputs(result)
    assert [o.get("reason") for o in out] == [
        "not-a-collaborator",
        "unknown-account",
        None,
        "unknown-account",
    ]
    assert "error" in out[2]
