"""What core and the store say, in Spanish and Portuguese (docs/i18n.md): every kind of
error and hint, colabctl's own words for email-validator's and python-stdnum's refusals,
and the text that is also a JSON free-text field (a finding's message, an audit row's
change, a break of `audit verify`, a plan's notes, a policy test's failure), which stays
English, byte for byte, in the JSON of every language.

Each test runs one command as a person would, in es and in pt, and holds it to the words
the catalogs give, then to the English run for what must not change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import ACME, BOB, CNPJ, OWNER, Cli, failure, ok, raw
from typer.testing import CliRunner

from colabctl.store.engine import Target

LANGS = ("es", "pt")
WIDE = {"COLUMNS": "1000"}  # table cells on one line, so a sentence is found whole


def said(cli: Cli, lang: str, *args: str, code: int) -> tuple[str, str | None]:
    """The `error:` and `hint:` lines of a command run in LANG that must fail with CODE."""
    return failure(cli("--lang", lang, *args), code)


def same_in_every_language(cli: Cli, *args: str, code: int = 0) -> str:
    """ARGS' stdout (JSON), which must be the very same bytes in en, es and pt."""
    runs = {lang: cli("--lang", lang, *args) for lang in ("en", *LANGS)}
    for result in runs.values():
        ok(result, code)
    outputs = {lang: result.stdout for lang, result in runs.items()}
    assert outputs["es"] == outputs["en"] and outputs["pt"] == outputs["en"], outputs
    return outputs["en"]


def no_json_but_the_error(cli: Cli, code: int, *args: str) -> None:
    """A failing --json command prints nothing on stdout, in any language."""
    for lang in ("en", *LANGS):
        result = cli("--lang", lang, *args, "--json")
        assert result.exit_code == code and result.stdout == "", (lang, result.stdout)


# -- the kinds of error ----------------------------------------------------------------------


NOT_FOUND = {
    "es": (
        'error: no existe el perfil "nope" en acme-cursos',
        "hint: `colabctl profile list -a acme-cursos` los muestra",
    ),
    "pt": (
        'error: o perfil "nope" não existe em acme-cursos',
        "hint: `colabctl profile list -a acme-cursos` os mostra",
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_not_found(cli: Cli, legal_account: str, lang: str) -> None:
    assert said(cli, lang, "profile", "show", "nope", "-a", ACME, code=3) == NOT_FOUND[lang]
    no_json_but_the_error(cli, 3, "profile", "show", "nope", "-a", ACME)


CONFLICT = {
    "es": (
        f"error: {BOB} ya tiene el estado «pendiente» en acme-cursos, con el perfil soporte",
        f"hint: cámbialo con `colabctl collaborator set-profile {BOB} tecnico`",
    ),
    "pt": (
        f'error: {BOB} já está com o status "pendente" em acme-cursos, com o perfil soporte',
        f"hint: altere-o com `colabctl collaborator set-profile {BOB} tecnico`",
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_conflict_says_the_status_in_words(cli: Cli, invited: str, lang: str) -> None:
    args = ("invite", BOB, "--profile", "tecnico", "-a", ACME)
    assert said(cli, lang, *args, code=4) == CONFLICT[lang]
    english, _hint = said(cli, "en", *args, code=4)
    assert "is already pending" in english


FORBIDDEN = {
    "es": "error: acme no es una persona jurídica: los perfiles y los colaboradores requieren un"
    " número de identificación fiscal de empresa",
    "pt": "error: acme não é uma pessoa jurídica: os perfis e os colaboradores exigem um número"
    " de identificação fiscal de empresa",
}
FORBIDDEN_HINT = {
    "es": "hint: registra uno con `colabctl account set-tax-id acme ID --country CC`",
    "pt": "hint: registre um com `colabctl account set-tax-id acme ID --country CC`",
}


@pytest.mark.parametrize("lang", LANGS)
def test_forbidden(cli: Cli, legal_account: str, lang: str) -> None:
    ok(cli("account", "create", "acme", "--name", "Acme Personal"))
    error, hint = said(
        cli, lang, "profile", "create", "ventas", "--preset", "soporte", "-a", "acme", code=5
    )
    assert (error, hint) == (FORBIDDEN[lang], FORBIDDEN_HINT[lang])


INVALID = {"es": 'error: permiso desconocido "nope"', "pt": 'error: permissão desconhecida "nope"'}


@pytest.mark.parametrize("lang", LANGS)
def test_invalid_input(cli: Cli, legal_account: str, lang: str) -> None:
    error, _hint = said(
        cli, lang, "profile", "create", "ventas", "--perm", "nope", "-a", ACME, code=6
    )
    assert error == INVALID[lang]


def test_an_unknown_permission_in_can_batch_json_stays_english(
    cli: Cli, legal_account: str
) -> None:
    """`can --batch` puts the refusal in its JSON: the same bytes in every language."""
    line = json.dumps({"user": BOB, "account": ACME, "permission": "nope"}) + "\n"
    runs = [cli("--lang", lang, "can", "--batch", "-", input=line) for lang in ("en", *LANGS)]
    assert {r.exit_code for r in runs} == {6}
    assert {r.stdout for r in runs} == {runs[0].stdout}
    assert json.loads(runs[0].stdout)["error"] == 'unknown permission "nope"'


STORE_FAULT = {
    "es": "error: {folder} es una carpeta, no una base de datos de colabctl",
    "pt": "error: {folder} é uma pasta, não um banco de dados do colabctl",
}


@pytest.mark.parametrize("lang", LANGS)
def test_store_fault(tmp_path: Path, lang: str) -> None:
    folder = tmp_path / "a-folder"
    folder.mkdir()
    cli = Cli(CliRunner())
    error, _hint = said(cli, lang, "--db", str(folder), "--as", OWNER, "account", "list", code=7)
    assert error == STORE_FAULT[lang].format(folder=folder)
    for lang_ in ("en", *LANGS):
        run = cli("--lang", lang_, "--db", str(folder), "--as", OWNER, "account", "list", "--json")
        assert run.exit_code == 7 and run.stdout == ""


# -- email-validator's and python-stdnum's refusals, in colabctl's words ---------------------

LOOKALIKE = "pаypal@x.example"  # a Cyrillic а
LOOKALIKE_SAID = {
    "es": (
        f'error: se rechaza "{LOOKALIKE}": la parte antes de la arroba mezcla sistemas de'
        " escritura (Latin, Cyrillic)",
        "hint: revisa la dirección letra por letra: colabctl rechaza las direcciones que pueden"
        " hacerse pasar por otra (docs/commands.md)",
    ),
    "pt": (
        f'error: "{LOOKALIKE}" foi recusado: a parte antes da arroba mistura sistemas de escrita'
        " (Latin, Cyrillic)",
        "hint: confira o endereço letra por letra: o colabctl recusa endereços que podem se"
        " passar por outro (docs/commands.md)",
    ),
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_lookalike_email(cli: Cli, legal_account: str, lang: str) -> None:
    args = ("invite", LOOKALIKE, "--profile", "soporte", "-a", ACME)
    assert said(cli, lang, *args, code=6) == LOOKALIKE_SAID[lang]


BAD_EMAIL = {
    "es": 'error: "ana@example" no es una dirección de email válida: la parte después de la'
    " arroba no tiene ningún punto (un dominio es algo como example.com)",
    "pt": 'error: "ana@example" não é um endereço de email válido: a parte depois da arroba'
    " não tem nenhum ponto (um domínio é algo como example.com)",
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_email_in_our_words(cli: Cli, legal_account: str, lang: str) -> None:
    """email-validator's own sentence ("It should have a period") is never shown."""
    error, _hint = said(cli, lang, "invite", "ana@example", "--profile", "soporte", code=6)
    assert error == BAD_EMAIL[lang]
    english, _hint = said(cli, "en", "invite", "ana@example", "--profile", "soporte", code=6)
    assert "It should have a period" not in english and "has no period" in english


BAD_TAX_ID = {
    "es": (
        'error: "123" no es un CNPJ válido: longitud incorrecta (un CNPJ tiene 14 caracteres)',
        f"hint: un CNPJ válido tiene esta forma: {CNPJ}",
    ),
    "pt": (
        'error: "123" não é um CNPJ válido: comprimento errado (um CNPJ tem 14 caracteres)',
        f"hint: um CNPJ válido tem este formato: {CNPJ}",
    ),
}
PERSON_TAX_ID = {
    "es": 'error: "52998224725" es un CPF, el número de una persona física; una persona'
    " jurídica necesita un CNPJ",
    "pt": 'error: "52998224725" é um CPF, o número de uma pessoa física; uma pessoa jurídica'
    " precisa de um CNPJ",
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_bad_tax_id(cli: Cli, legal_account: str, lang: str) -> None:
    create = ("account", "create", "beta", "--name", "Beta", "--country", "BR", "--tax-id")
    assert said(cli, lang, *create, "123", code=6) == BAD_TAX_ID[lang]
    error, _hint = said(cli, lang, *create, "52998224725", code=6)
    assert error == PERSON_TAX_ID[lang]


# -- text that is also JSON: English there, the reader's language on the terminal --------------

FINDING = {
    "es": f"{BOB} (soporte) tiene 2 permisos de riesgo alto: purchases.request_refunds,"
    " purchases.change_buyer_email",
    "pt": f"{BOB} (soporte) tem 2 permissões de risco alto: purchases.request_refunds,"
    " purchases.change_buyer_email",
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_finding(cli: Cli, active: str, lang: str) -> None:
    document = same_in_every_language(cli, "review", "-a", ACME, "--json")
    messages = [f["message"] for f in json.loads(document)["findings"]]
    english = (
        f"{BOB} (soporte) holds 2 high-risk permissions: purchases.request_refunds,"
        " purchases.change_buyer_email"
    )
    assert english in messages
    shown = ok(cli("--lang", lang, "review", "-a", ACME, env=WIDE)).stdout
    assert FINDING[lang] in shown and english not in shown


CHANGE = {
    "es": "soporte creado con 10 permisos a partir del perfil predefinido soporte",
    "pt": "soporte criado com 10 permissões a partir do perfil predefinido soporte",
}


@pytest.mark.parametrize("lang", LANGS)
def test_an_audit_rows_change(cli: Cli, legal_account: str, lang: str) -> None:
    document = same_in_every_language(cli, "audit", "log", "-a", ACME, "--json")
    english = "soporte created with 10 permissions from preset soporte"
    assert english in [row["change"] for row in json.loads(document)]
    shown = ok(cli("--lang", lang, "audit", "log", "-a", ACME, env=WIDE)).stdout
    assert CHANGE[lang] in shown and english not in shown


BREAKS = {
    "es": [
        "acme-cursos: el perfil soporte tiene withdrawal.withdraw, que ninguna fila de"
        " auditoría le dio",
        f"acme-cursos: la membresía de {BOB} tiene el estado «revocado» en la base de datos y"
        " «activo» en el registro",
    ],
    "pt": [
        "acme-cursos: o perfil soporte tem withdrawal.withdraw, que nenhuma linha de auditoria"
        " deu a ele",
        f'acme-cursos: a participação de {BOB} está com o status "revogado" no banco de dados e'
        ' "ativo" no registro',
    ],
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_verify_break(cli: Cli, active: str, db_path: Target, lang: str) -> None:
    raw(
        db_path,
        "INSERT INTO profile_permissions (profile_id, permission)"
        " SELECT id, 'withdrawal.withdraw' FROM profiles WHERE name = 'soporte'",
        "UPDATE memberships SET status = 'revoked'",
    )
    document = same_in_every_language(cli, "audit", "verify", "--json", code=1)
    assert [b["message"] for b in json.loads(document)["breaks"]] == [
        "acme-cursos: profile soporte holds withdrawal.withdraw, which no audit row gave it",
        f"acme-cursos: {BOB}'s membership is revoked in the store, active in the log",
    ]
    shown = cli("--lang", lang, "audit", "verify")
    assert shown.exit_code == 1
    for line, expected in zip(shown.stdout.splitlines(), BREAKS[lang], strict=False):
        assert line.endswith(f": {expected}"), (line, expected)
    assert "which no audit row" not in shown.stdout


TEAM = """version = 1

[accounts.acme-cursos.collaborators]
{people}
"""
NOTES = {
    "es": [
        f"acme-cursos: {BOB} (soporte) está pendiente desde {{invited}} (vence el {{expires}})",
        f"acme-cursos: {BOB} (pendiente, soporte) no está en el archivo: se quitaría con --prune",
    ],
    "pt": [
        f"acme-cursos: {BOB} (soporte) está pendente desde {{invited}} (expira em {{expires}})",
        f"acme-cursos: {BOB} (pendente, soporte) não está no arquivo: seria removido com --prune",
    ],
}


@pytest.mark.parametrize("lang", LANGS)
def test_plan_notes(cli: Cli, invited: str, tmp_path: Path, lang: str) -> None:
    declared, left_out = tmp_path / "declared.toml", tmp_path / "left-out.toml"
    declared.write_text(TEAM.format(people=f'"{BOB}" = "soporte"'), "utf-8")
    left_out.write_text(TEAM.format(people=""), "utf-8")
    found = [
        json.loads(same_in_every_language(cli, "plan", "-f", str(f), "--json"))["notes"]
        for f in (declared, left_out)
    ]
    member = json.loads(ok(cli("collaborator", "list", "-a", ACME, "--json")).stdout)[0]
    times = {"invited": member["invited_at"], "expires": member["expires_at"]}
    pending = "acme-cursos: {user} (soporte) is pending since {invited} (expires {expires})"
    assert found == [
        [pending.format(user=BOB, **times)],
        [f"acme-cursos: {BOB} (pending, soporte) is not in the file: would remove with --prune"],
    ]
    for file, note in zip((declared, left_out), NOTES[lang], strict=True):
        shown = ok(cli("--lang", lang, "plan", "-f", str(file), env=WIDE)).stdout
        assert note.format(**times) in [line.strip() for line in shown.splitlines()], shown


POLICY = """[[check]]
account = "acme-cursos"
user = "{user}"
allow = ["withdrawal.withdraw"]
"""
VERDICTS = {
    "es": ("permitido", "denegado (not-granted)"),
    "pt": ("permitido", "negado (not-granted)"),
}


@pytest.mark.parametrize("lang", LANGS)
def test_a_policy_tests_failure(cli: Cli, active: str, tmp_path: Path, lang: str) -> None:
    tests = tmp_path / "policy.toml"
    tests.write_text(POLICY.format(user=BOB), "utf-8")
    document = same_in_every_language(cli, "test", str(tests), "--json", code=1)
    assert '"expected": "allowed"' in document and '"actual": "denied (not-granted)"' in document
    failed = cli("--lang", lang, "test", str(tests)).stdout.splitlines()[0]
    expected, actual = VERDICTS[lang]
    assert f" {expected}," in failed and failed.endswith(f" {actual}"), failed
