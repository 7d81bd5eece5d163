"""Business tax IDs (docs/commands.md, "Names, emails and tax IDs").

Every number below is checked against python-stdnum itself first, so a test that expects a
refusal fails loudly if its sample number is wrong for a reason other than the one tested.
"""

import importlib
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import exceptions as stdnum_errors
from support import python_with_colabctl

from colabctl.core.taxid import SUPPORTED, TaxId, format_tax_id, validate_business_tax_id
from colabctl.errors import Invalid

MODULES = {
    "BR": "stdnum.br.cnpj",
    "ES": "stdnum.es.cif",
    "PT": "stdnum.pt.nif",
    "MX": "stdnum.mx.rfc",
    "AR": "stdnum.ar.cuit",
    "CO": "stdnum.co.nit",
    "CL": "stdnum.cl.rut",
    "PE": "stdnum.pe.ruc",
    "US": "stdnum.us.ein",
}


def stdnum_module(country: str) -> ModuleType:
    return importlib.import_module(MODULES[country])


def refusal(number: str, country: str) -> Invalid:
    with pytest.raises(Invalid) as caught:
        validate_business_tax_id(number, country)
    return caught.value


def test_supported_names_each_business_number() -> None:
    assert SUPPORTED == {
        "BR": "CNPJ",
        "ES": "CIF",
        "PT": "NIPC",
        "MX": "RFC",
        "AR": "CUIT",
        "CO": "NIT",
        "CL": "RUT",
        "PE": "RUC",
        "US": "EIN",
    }


# (country as typed, number as typed, compact form stored, formatted form shown)
VALID = [
    ("BR", "11.222.333/0001-81", "11222333000181", "11.222.333/0001-81"),
    ("br", "11222333000181", "11222333000181", "11.222.333/0001-81"),
    ("BR", "12.ABC.345/01DE-35", "12ABC34501DE35", "12.ABC.345/01DE-35"),  # alphanumeric, 2026
    ("ES", "A13585625", "A13585625", "A13585625"),
    ("es", "b-87654323", "B87654323", "B87654323"),
    ("ES", "Q2826000H", "Q2826000H", "Q2826000H"),
    ("PT", "501964843", "501964843", "501964843"),
    ("PT", "PT 501 964 843", "501964843", "501964843"),
    ("PT", "611234564", "611234564", "611234564"),  # public administration
    ("PT", "712345671", "712345671", "712345671"),  # other collective entities
    ("PT", "981234569", "981234569", "981234569"),  # non-resident without establishment
    ("MX", "MAB-930714-8T4", "MAB9307148T4", "MAB 930714 8T4"),
    ("mx", "mab 930714 8t4", "MAB9307148T4", "MAB 930714 8T4"),
    ("MX", "ÑAB9307148T4", "ÑAB9307148T4", "ÑAB 930714 8T4"),
    ("AR", "30-50001091-2", "30500010912", "30-50001091-2"),
    ("AR", "33123456780", "33123456780", "33-12345678-0"),
    ("AR", "34123456787", "34123456787", "34-12345678-7"),
    ("CO", "800.197.268-4", "8001972684", "800.197.268-4"),
    ("CO", "9001234568", "9001234568", "900.123.456-8"),
    ("CL", "76.086.428-5", "760864285", "76.086.428-5"),
    ("CL", "CL 9644770-1", "96447701", "9.644.770-1"),
    ("PE", "20512333797", "20512333797", "20512333797"),
    ("PE", " 20123456786 ", "20123456786", "20123456786"),
    ("US", "91-1144442", "911144442", "91-1144442"),
    ("us", "042103594", "042103594", "04-2103594"),
]


@pytest.mark.parametrize(("country", "number", "compact", "formatted"), VALID)
def test_valid_business_numbers(country: str, number: str, compact: str, formatted: str) -> None:
    assert stdnum_module(country.upper()).is_valid(number)
    tax_id = validate_business_tax_id(number, country)
    assert tax_id == TaxId(country=country.upper(), number=compact)
    assert tax_id.formatted() == formatted
    assert format_tax_id(compact, country) == formatted


def test_every_supported_country_has_a_valid_sample() -> None:
    assert {country.upper() for country, *_ in VALID} == set(SUPPORTED)


def test_tax_id_is_immutable() -> None:
    tax_id = validate_business_tax_id("11.222.333/0001-81", "BR")
    with pytest.raises(AttributeError):
        tax_id.number = "0"  # type: ignore[misc]


BAD_CHECKSUM = [
    ("BR", "11.222.333/0001-80", "CNPJ"),
    ("ES", "A13585626", "CIF"),
    ("PT", "501964842", "NIPC"),
    ("AR", "30-50001091-3", "CUIT"),
    ("CO", "800.197.268-5", "NIT"),
    ("CL", "76.086.428-6", "RUT"),
    ("PE", "20512333798", "RUC"),
]


@pytest.mark.parametrize(("country", "number", "name"), BAD_CHECKSUM)
def test_bad_check_digits(country: str, number: str, name: str) -> None:
    with pytest.raises(stdnum_errors.InvalidChecksum):
        stdnum_module(country).validate(number)
    error = refusal(number, country)
    assert error.message == f'"{number}" is not a valid {name}: the check digits do not match'
    assert error.hint
    assert error.exit_code == 6


def test_mx_check_digits_are_not_enforced() -> None:
    # docs/commands.md: real RFCs with bad check digits exist, so python-stdnum's default stands.
    with pytest.raises(stdnum_errors.InvalidChecksum):
        stdnum_module("MX").validate("MAB9307148T5", validate_check_digits=True)
    assert validate_business_tax_id("MAB9307148T5", "MX").number == "MAB9307148T5"


def test_us_ein_has_no_check_digit_but_a_known_prefix() -> None:
    with pytest.raises(stdnum_errors.InvalidComponent):
        stdnum_module("US").validate("07-1144442")
    error = refusal("07-1144442", "US")
    assert error.message.startswith('"07-1144442" is not a valid EIN: ')
    assert "prefix" in error.message


BAD_LENGTH = [
    ("BR", "11.222.333/0001-8", "CNPJ", "14 characters"),
    ("ES", "A1358562", "CIF", "9 characters"),
    ("PT", "50196484", "NIPC", "9 digits"),
    ("MX", "MAB9307148T", "RFC", "12 characters"),
    ("AR", "3050001091", "CUIT", "11 digits"),
    ("CO", "8001972", "NIT", "8 to 16 digits"),
    ("CL", "7608642", "RUT", "8 or 9 characters"),
    ("PE", "2051233379", "RUC", "11 digits"),
]


@pytest.mark.parametrize(("country", "number", "name", "length"), BAD_LENGTH)
def test_bad_length(country: str, number: str, name: str, length: str) -> None:
    with pytest.raises(stdnum_errors.InvalidLength):
        stdnum_module(country).validate(number)
    error = refusal(number, country)
    assert error.message.startswith(f'"{number}" is not a valid {name}: wrong length')
    assert length in error.message
    assert error.hint is not None and "looks like" in error.hint


def test_us_bad_length_is_a_format_error() -> None:
    # stdnum.us.ein reports every malformed EIN as InvalidFormat, length included.
    error = refusal("91-114444", "US")
    assert error.message.startswith('"91-114444" is not a valid EIN: ')
    assert error.hint == "a valid EIN looks like 91-1144442"


@pytest.mark.parametrize(
    ("country", "number"),
    [
        ("BR", "16.727.230/0001=97"),  # "=" is no separator
        ("ES", "O1234567L"),  # O is no entity type
        ("PT", "5O1964843"),  # letter O, not zero
        ("CO", "8001972A84"),
        ("CL", "76086A28-5"),
        ("PE", "2051233379A"),
        ("US", "911-14-4442"),  # dash in the wrong place, and no valid SSN either
    ],
)
def test_malformed(country: str, number: str) -> None:
    with pytest.raises(stdnum_errors.InvalidFormat):
        stdnum_module(country).validate(number)
    error = refusal(number, country)
    assert error.message.startswith(f'"{number}" is not a valid {SUPPORTED[country]}: ')


# (country, a valid person's number, the python-stdnum module that says it is valid)
PERSONS = [
    ("BR", "52998224725", "stdnum.br.cpf"),
    ("BR", "529.982.247-25", "stdnum.br.cpf"),
    ("ES", "54362315K", "stdnum.es.dni"),
    ("ES", "X2482300W", "stdnum.es.nie"),
    ("ES", "M1234567L", "stdnum.es.nif"),
    ("PT", "112345670", "stdnum.pt.nif"),
    ("PT", "212345672", "stdnum.pt.nif"),
    ("PT", "312345674", "stdnum.pt.nif"),
    ("PT", "451234561", "stdnum.pt.nif"),
    ("PT", "812345673", "stdnum.pt.nif"),  # empresário em nome individual
    ("MX", "GODE 561231 GR8", "stdnum.mx.rfc"),  # 13 characters: persona física
    ("MX", "COMG-600703", "stdnum.mx.rfc"),  # 10: persona física without homoclave
    ("AR", "20-05536168-2", "stdnum.ar.cuit"),
    ("AR", "23123456785", "stdnum.ar.cuit"),
    ("AR", "24123456781", "stdnum.ar.cuit"),
    ("AR", "27123456780", "stdnum.ar.cuit"),
    ("PE", "10467925453", "stdnum.pe.ruc"),
    ("PE", "15123456782", "stdnum.pe.ruc"),
    ("PE", "17123456785", "stdnum.pe.ruc"),
    ("US", "536-90-4399", "stdnum.us.ssn"),
]


@pytest.mark.parametrize(("country", "number", "person_module"), PERSONS)
def test_person_numbers_are_refused(country: str, number: str, person_module: str) -> None:
    assert importlib.import_module(person_module).is_valid(number)
    error = refusal(number, country)
    assert "person" in error.message
    assert "a legal entity needs" in error.message
    assert error.hint is not None and "looks like" in error.hint


def test_cpf_message() -> None:
    error = refusal("52998224725", "BR")
    assert error.message == (
        '"52998224725" is a CPF, the number of a person; a legal entity needs a CNPJ'
    )
    assert error.hint == "a valid CNPJ looks like 11.222.333/0001-81"


@pytest.mark.parametrize(
    ("number", "kind"), [("54362315K", "a DNI"), ("X2482300W", "an NIE"), ("ES54362315K", "a DNI")]
)
def test_spanish_person_messages_name_the_document(number: str, kind: str) -> None:
    assert refusal(number, "ES").message.startswith(f'"{number}" is {kind}, the number of a person')


@pytest.mark.parametrize("number", ["50123456782", "51123456789"])
def test_ar_cuit_for_parties_abroad_is_not_a_company(number: str) -> None:
    assert stdnum_module("AR").is_valid(number)
    message = refusal(number, "AR").message
    assert f"(prefix {number[:2]})" in message
    assert "company CUIT (prefix 30, 33 or 34)" in message


def test_pt_unassigned_range_is_not_a_nipc() -> None:
    assert stdnum_module("PT").is_valid("412345676")
    assert "is not a NIPC" in refusal("412345676", "PT").message


def test_mx_impossible_date() -> None:
    with pytest.raises(stdnum_errors.InvalidComponent):
        stdnum_module("MX").validate("MAB9313148T4")
    assert "is not a valid RFC: its date" in refusal("MAB9313148T4", "MX").message


def test_other_scripts_digits_are_refused() -> None:
    # stdnum's CNPJ pattern is [\dA-Z], and \d matches Arabic-Indic digits: it accepts this.
    sneaky = "١١٢٢٢٣٣٣٠٠٠١81"
    assert stdnum_module("BR").is_valid(sneaky)
    assert refusal(sneaky, "BR").message.startswith(f'"{sneaky}" is not a valid CNPJ')


@pytest.mark.parametrize("number", ["", "   "])
def test_empty_number(number: str) -> None:
    error = refusal(number, "BR")
    assert error.message == "the tax ID is empty; a legal entity in BR needs its CNPJ"


@pytest.mark.parametrize("country", ["FR", "fr", "", "BRA", "B R", "ＢＲ"])
def test_unsupported_country(country: str) -> None:
    error = refusal("11.222.333/0001-81", country)
    assert error.message.startswith("tax IDs from '")
    assert error.message.endswith(
        " are not supported; supported: AR, BR, CL, CO, ES, MX, PE, PT, US"
    )
    assert error.exit_code == 6


def test_unsupported_country_message() -> None:
    assert refusal("123", "FR").message == (
        "tax IDs from 'FR' are not supported; supported: AR, BR, CL, CO, ES, MX, PE, PT, US"
    )
    with pytest.raises(Invalid):
        format_tax_id("123", "FR")


def test_hostile_input_stays_on_one_short_line() -> None:
    error = refusal("1\n2\u202e3" * 5000, "BR")
    assert "\n" not in error.message
    assert "\u202e" not in error.message
    assert len(error.message) < 200


@settings(max_examples=300, deadline=None)
@given(number=st.text(max_size=30), country=st.sampled_from(sorted(SUPPORTED)))
def test_any_input_is_accepted_or_invalid(number: str, country: str) -> None:
    try:
        tax_id = validate_business_tax_id(number, country)
    except Invalid as error:
        assert "\n" not in error.message
        assert "\n" not in (error.hint or "")
    else:
        assert stdnum_module(country).is_valid(tax_id.number)


@pytest.mark.slow
def test_importing_core_modules_loads_neither_stdnum_nor_email_validator() -> None:
    # docs (README, Performance): `can` must not pay for python-stdnum or email-validator.
    code = (
        "import sys\n"
        "import colabctl.core.taxid, colabctl.core.identity, colabctl.core.names\n"
        "from colabctl.core.identity import email_key\n"
        "email_key('Ana@Example.com')\n"
        "loaded = [m for m in sys.modules if m.split('.')[0] in ('stdnum', 'email_validator')]\n"
        "print(loaded)\n"
    )
    assert python_with_colabctl(code) == "[]"
