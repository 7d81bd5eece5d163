"""Property tests with generated input (docs/exit-codes.md, docs/catalog.md,
docs/json.md): preset TOML through core.presets.parse_preset and through `profile create
X --from FILE`, and `can --batch` lines of arbitrary text and JSON. Never a traceback,
always a documented exit code, and for --batch exactly one output line per input line,
blank ones included (an error line).

Lines are split on "\\n" only, as a file is read; "\\r" is left out of generated text
because universal newlines would split on it too. Known bugs with their own failing
tests in tests/cli/test_bad_inputs.py (NaN and Infinity, lone-surrogate escapes, TOML
nested a thousand deep) are left out of these generators, so that these properties keep
guarding everything else.

Engines: SQLite only: the generated input is judged before any store is read, and the
statements the batches run are prepared on PostgreSQL by the statement recorder
(tests/sqlrecorder.py).
"""

from __future__ import annotations

import json
import tomllib
from itertools import count
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support import (
    ACME,
    BETA,
    BOB,
    ES_CIF,
    FABIO,
    NOBODY,
    OWNER,
    ROOT,
    Cli,
    FakeClock,
    acme_store,
    copy_store,
    failure,
)

from colabctl.core.accounts import create as create_account
from colabctl.core.catalog import catalog
from colabctl.core.presets import parse_preset
from colabctl.core.session import Context
from colabctl.core.users import register
from colabctl.errors import ColabError

# hundreds of generated files and batches per run
pytestmark = [pytest.mark.slow, pytest.mark.engines("sqlite")]

EXIT_CODES = {0, 1, 2, 3, 4, 5, 6, 7}
SOPORTE = (ROOT / "profiles" / "soporte.toml").read_bytes()

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

CAT = catalog()
PERMISSION_REFS = [p.id for p in CAT.permissions] + [
    label for p in CAT.permissions for label in p.labels.values()
]


# -- generators ------------------------------------------------------------------------------------

line_text = st.text(
    alphabet=st.characters(blacklist_characters="\r\n", blacklist_categories=["Cs"]),
    max_size=60,
)
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | line_text
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(line_text, inner, max_size=4),
    max_leaves=12,
)
permission_refs = st.sampled_from(PERMISSION_REFS) | line_text
toml_scalars = (
    st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False)
    | line_text
    | st.dates()
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(line_text, inner, max_size=3),
    max_leaves=10,
)


@st.composite
def preset_documents(draw: st.DrawFn) -> bytes:
    """A TOML preset: mostly the right shape, with wrong types, unknown or owner-only ids,
    odd text and extra keys mixed in."""
    doc: dict[str, Any] = {}
    if draw(st.booleans()):
        doc["name"] = draw(line_text | toml_values)
    if draw(st.booleans()):
        doc["description"] = draw(line_text | toml_values)
    if draw(st.booleans()):
        doc["title"] = draw(
            st.dictionaries(st.sampled_from(["es", "pt", "en", "fr", ""]), line_text, max_size=4)
            | toml_values
        )
    if draw(st.integers(0, 9)):
        doc["permissions"] = draw(st.lists(permission_refs, max_size=8) | toml_values)
    doc.update(draw(st.dictionaries(line_text, toml_values, max_size=2)))
    return tomli_w.dumps(doc).encode("utf-8")


@st.composite
def mangled_soporte(draw: st.DrawFn) -> bytes:
    """The shipped soporte preset with a few bytes replaced, inserted or removed."""
    data = bytearray(SOPORTE)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        kind = draw(st.sampled_from(["replace", "insert", "delete"]))
        chunk = draw(st.binary(min_size=1, max_size=6))
        if kind == "insert":
            data[at:at] = chunk
        elif kind == "delete":
            del data[at : at + len(chunk)]
        else:
            data[at : at + len(chunk)] = chunk
    return bytes(data)


preset_bytes = (
    preset_documents()
    | mangled_soporte()
    | st.binary(max_size=400)
    | line_text.map(lambda t: t.encode("utf-8"))
)


@st.composite
def batch_lines(draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return draw(line_text | st.sampled_from(["", " ", "\t", "\x0c", "\u3000"]))
    if kind == 1:
        return json.dumps(draw(json_values), ensure_ascii=draw(st.booleans()))
    check: dict[str, Any] = {
        "user": draw(st.sampled_from([OWNER, BOB, BOB.upper(), FABIO, NOBODY]) | line_text),
        "account": draw(st.sampled_from([ACME, BETA, "no-such-account"]) | line_text),
        "permission": draw(permission_refs),
    }
    if kind == 2:  # a key of the wrong type, or missing
        key = draw(st.sampled_from(sorted(check)))
        if draw(st.booleans()):
            check[key] = draw(json_values)
        else:
            del check[key]
    check.update(draw(st.dictionaries(line_text, json_values, max_size=2)))
    return json.dumps(check, ensure_ascii=draw(st.booleans()))


# -- the store -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ana owns acme-cursos (bob active in soporte); fabio owns beta-digital."""
    db = acme_store(tmp_path_factory.mktemp("fuzz") / "template.db")
    fabio = Context(db=str(db), actor=FABIO, clock=FakeClock())
    register(fabio, FABIO)
    create_account(fabio, BETA, "Beta", tax_id=ES_CIF, country="ES")
    return db


@pytest.fixture
def store(template: Path, db_path: Path) -> Path:
    return copy_store(template, db_path)


def _no_traceback(result: Any) -> None:
    assert "Traceback" not in result.stdout + result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )


def _one_error_line(stderr: str) -> None:
    errors = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, stderr


# -- presets ---------------------------------------------------------------------------------------


def _delegable(ids: tuple[str, ...]) -> bool:
    return all(i in CAT.by_id and not CAT.by_id[i].owner_only for i in ids) and len(
        set(ids)
    ) == len(ids)


@FUZZ
@given(raw=preset_bytes)
@example(raw=SOPORTE)
@example(raw=b"permissions = ['account.bank']")
@example(raw=b"\xff\xfe\x00")
@example(raw=b'permissions = ["products.view"]\ntitle = { es = 1 }')
def test_parse_preset_returns_a_delegable_preset_or_says_invalid(raw: bytes) -> None:
    try:
        preset = parse_preset(raw, "fuzz.toml")
    except ColabError as exc:
        assert exc.exit_code == 6
        assert exc.message.startswith("fuzz.toml")
        return
    assert _delegable(preset.permissions)
    data = tomllib.loads(raw.decode("utf-8"))
    assert len(preset.permissions) <= len(data["permissions"])


_names = count()


@FUZZ
@given(raw=preset_bytes)
@example(raw=SOPORTE)
@example(raw=b"permissions = []")
def test_profile_create_from_any_file_answers_with_a_spec_exit_code(
    cli: Cli, store: Path, tmp_path: Path, raw: bytes
) -> None:
    path = tmp_path / "preset.toml"
    path.write_bytes(raw)
    name = f"fuzz-{next(_names)}"
    result = cli("--as", OWNER, "profile", "create", name, "--from", str(path), "-a", ACME)
    _no_traceback(result)
    assert result.exit_code in EXIT_CODES
    if result.exit_code == 0:
        shown = cli("--as", OWNER, "profile", "show", name, "-a", ACME, "--json")
        expected = parse_preset(raw, str(path)).permissions
        assert set(json.loads(shown.stdout)["permissions"]) == set(expected)
    else:
        failure(result, 6)


# -- can --batch -----------------------------------------------------------------------------------


@FUZZ
@given(lines=st.lists(batch_lines(), max_size=12))
@example(lines=[])
@example(lines=["", "   ", "\x0c"])
@example(lines=['{"user": "bob.costa@example.com", "account": "acme-cursos", "permission": 1}'])
@example(lines=["[]", "{}", "null", "0", '""', "{", "}"])
def test_can_batch_answers_every_line_in_order(
    cli: Cli, store: Path, tmp_path: Path, lines: list[str]
) -> None:
    path = tmp_path / "checks.jsonl"
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    result = cli("--as", OWNER, "can", "--batch", str(path))
    _no_traceback(result)
    assert result.exit_code in {0, 6}

    wanted = lines
    out = result.stdout.split("\n")
    assert out[-1] == ""
    answers = [json.loads(o, parse_constant=_not_json) for o in out[:-1]]
    assert len(answers) == len(wanted)
    assert all(isinstance(a, dict) for a in answers)

    for line, answer in zip(wanted, answers, strict=True):
        if not line.strip():
            assert answer["error"] == "empty line"
            continue
        try:
            item = json.loads(line)
        except ValueError:
            assert "error" in answer
            continue
        wellformed = isinstance(item, dict) and all(
            isinstance(item.get(k), str) for k in ("user", "account", "permission")
        )
        if not wellformed:
            assert "error" in answer
        elif "error" not in answer:
            assert isinstance(answer["allowed"], bool) and isinstance(answer["reason"], str)
            for key in ("user", "account", "permission"):
                assert answer[key] == item[key]
    assert result.exit_code == (6 if any("error" in a for a in answers) else 0)
    if result.exit_code:
        _one_error_line(result.stderr)


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")
