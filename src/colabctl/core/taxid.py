"""Business tax IDs, validated with python-stdnum (docs/commands.md, "Names, emails and tax IDs").

Only an account with a valid *business* number is a legal entity, so a person's number that
python-stdnum would accept (a Brazilian CPF, a Spanish DNI, a 13-character Mexican RFC, ...) is
refused here with a message saying so.

python-stdnum is imported only inside the functions, one country module at a time
(~45 ms each): commands that never touch a tax ID, `can` above all, must not pay for it.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from types import ModuleType

from colabctl.core.names import quoted
from colabctl.errors import Invalid
from colabctl.i18n import N_, _


@dataclass(frozen=True)
class _Country:
    name: str  # the business number's name, e.g. "CNPJ"
    module: str  # the python-stdnum module that validates it
    example: str  # a valid business number, formatted, for hints
    wrong_length: str  # the message for InvalidLength: how long the number is
    bad_part: str  # the message for InvalidComponent, for this module


# The messages name the number (CNPJ, RFC...), which no language translates; each is a
# whole sentence, so that each language can say it its own way.
_COUNTRIES: dict[str, _Country] = {
    "BR": _Country(
        "CNPJ",
        "stdnum.br.cnpj",
        "11.222.333/0001-81",
        N_("%(value)s is not a valid CNPJ: wrong length (a CNPJ has 14 characters)"),
        N_("%(value)s is not a valid CNPJ: part of it is not valid"),
    ),
    "ES": _Country(
        "CIF",
        "stdnum.es.cif",
        "A13585625",
        N_("%(value)s is not a valid CIF: wrong length (a CIF has 9 characters)"),
        N_("%(value)s is not a valid CIF: part of it is not valid"),
    ),
    "PT": _Country(
        "NIPC",
        "stdnum.pt.nif",
        "501964843",
        N_("%(value)s is not a valid NIPC: wrong length (a NIPC has 9 digits)"),
        N_("%(value)s is not a valid NIPC: part of it is not valid"),
    ),
    "MX": _Country(
        "RFC",
        "stdnum.mx.rfc",
        "MAB 930714 8T4",
        N_("%(value)s is not a valid RFC: wrong length (an RFC has 12 characters)"),
        N_("%(value)s is not a valid RFC: its date of incorporation or its name part is not valid"),
    ),
    "AR": _Country(
        "CUIT",
        "stdnum.ar.cuit",
        "30-50001091-2",
        N_("%(value)s is not a valid CUIT: wrong length (a CUIT has 11 digits)"),
        N_("%(value)s is not a valid CUIT: its first two digits are not a CUIT type"),
    ),
    "CO": _Country(
        "NIT",
        "stdnum.co.nit",
        "800.197.268-4",
        N_(
            "%(value)s is not a valid NIT: wrong length (a NIT has 8 to 16 digits, the last"
            " one a check digit)"
        ),
        N_("%(value)s is not a valid NIT: part of it is not valid"),
    ),
    "CL": _Country(
        "RUT",
        "stdnum.cl.rut",
        "76.086.428-5",
        N_(
            "%(value)s is not a valid RUT: wrong length (a RUT has 8 or 9 characters, the"
            " last one a check digit)"
        ),
        N_("%(value)s is not a valid RUT: part of it is not valid"),
    ),
    "PE": _Country(
        "RUC",
        "stdnum.pe.ruc",
        "20512333797",
        N_("%(value)s is not a valid RUC: wrong length (a RUC has 11 digits)"),
        N_("%(value)s is not a valid RUC: its first two digits are not a RUC type"),
    ),
    "US": _Country(
        "EIN",
        "stdnum.us.ein",
        "91-1144442",
        N_("%(value)s is not a valid EIN: wrong length (an EIN has 9 digits)"),
        N_("%(value)s is not a valid EIN: its first two digits are not a prefix the IRS assigns"),
    ),
}

SUPPORTED: dict[str, str] = {code: country.name for code, country in _COUNTRIES.items()}

# AR: CUIT types. 30, 33 and 34 are companies (sociedades); 20, 23, 24 and 27 are persons;
# 50, 51 and 55 are the generic "CUIT país" numbers for parties abroad, no one company's.
_AR_COMPANY = ("30", "33", "34")
_AR_PERSON = ("20", "23", "24", "27")

# PE: 20 is a persona jurídica; 10 (with a DNI), 15 and 17 (other documents) are persons.
_PE_COMPANY = ("20",)
_PE_PERSON = ("10", "15", "17")

# PT: the first digits of a NIF say who holds it (Autoridade Tributária; pt.wikipedia
# "Número de identificação fiscal"):
#   1, 2, 3   pessoa singular (3 issued since 2019)
#   45        pessoa singular não residente (income taxed at source only)
#   5         pessoa coletiva registered with the RNPC (companies, associations)
#   6         public administration bodies
#   7x        other entities: 70/74/75 undivided estates, 71 non-resident collective
#             entities, 72 investment funds, 77 assigned ex officio, 78 non-residents in
#             the VAT refund scheme, 79 Expo 98
#   8         empresário em nome individual: a sole trader, i.e. a person; obsolete,
#             no longer issued
#   9x        90/91 condominiums, irregular companies, estates of sole traders;
#             98 non-residents without a permanent establishment; 99 civil partnerships
# So a NIPC (número de identificação de pessoa coletiva) starts with 5, 6, 7 or 9. The
# brief that commissioned this module also listed 8; it is refused as a person's number.
_PT_COMPANY_FIRST = ("5", "6", "7", "9")
_PT_PERSON_PREFIXES = ("1", "2", "3", "45")

# An SSN written the way people write SSNs (EIN's dash sits after the second digit).
_SSN_WRITTEN_RE = re.compile(r"[0-9]{3}-[0-9]{2}-[0-9]{4}", re.ASCII)


@dataclass(frozen=True)
class TaxId:
    """A validated business tax ID: the country and the compact number, as stored."""

    country: str  # upper-case ISO 3166-1 alpha-2 code, one of SUPPORTED
    number: str  # compact form: no separators, upper case

    def formatted(self) -> str:
        """The number as people write it (python-stdnum's format(), if the module has one)."""
        return format_tax_id(self.number, self.country)


def _country(country: str) -> tuple[str, _Country]:
    code = country.strip().upper()
    found = _COUNTRIES.get(code)
    if found is None:
        raise Invalid(
            _("tax IDs from %(country)s are not supported; supported: %(supported)s")
            % {
                "country": quoted(country.strip(), quote="'"),
                "supported": ", ".join(sorted(_COUNTRIES)),
            }
        )
    return code, found


def _module(country: _Country) -> ModuleType:
    return importlib.import_module(country.module)


def format_tax_id(number: str, country: str) -> str:
    """A stored (compact) number in its country's usual presentation, for display."""
    _, spec = _country(country)
    module = _module(spec)
    compact: str = module.compact(number)
    fmt = getattr(module, "format", None)  # es.cif, pt.nif and pe.ruc have none
    if fmt is None or not compact:
        return compact
    try:
        return str(fmt(compact))
    except (IndexError, ValueError):  # only a malformed stored value can get here
        return compact


def _person_instead(code: str, raw: str) -> str | None:
    """For a number that is not a valid business number: if it is a person's, the message
    that says whose (VALUE: the number as given)."""
    if code == "BR":
        from stdnum.br import cpf

        if cpf.is_valid(raw):
            return _("%(value)s is a CPF, the number of a person; a legal entity needs a CNPJ")
    elif code == "ES":
        from stdnum.es import nif

        if nif.is_valid(raw):
            first = nif.compact(raw)[:1]
            if first.isdigit():
                return _("%(value)s is a DNI, the number of a person; a legal entity needs a CIF")
            if first in ("X", "Y", "Z"):
                return _("%(value)s is an NIE, the number of a person; a legal entity needs a CIF")
            if first in ("K", "L", "M"):
                return _(
                    "%(value)s is a personal NIF (K, L or M), the number of a person;"
                    " a legal entity needs a CIF"
                )
    elif code == "US":
        from stdnum.us import ssn

        if _SSN_WRITTEN_RE.fullmatch(raw) and ssn.is_valid(raw):
            return _("%(value)s is an SSN, the number of a person; a legal entity needs an EIN")
    return None


def _not_business(code: str, number: str) -> str | None:
    """For a valid NUMBER: the message that says why it is not a business's (VALUE: the
    number as given, PREFIX: its first two digits), or None if it is one."""
    if code == "MX" and len(number) != 12:
        # 13 characters (10 without the homoclave) is a persona física.
        return _(
            "%(value)s is the RFC of a persona física, the number of a person; a legal entity"
            " needs the 12-character RFC of a persona moral"
        )
    if code == "AR" and not number.startswith(_AR_COMPANY):
        if number.startswith(_AR_PERSON):
            return _(
                "%(value)s is the CUIT of a person (prefix %(prefix)s); a legal entity needs a"
                " company CUIT (prefix 30, 33 or 34)"
            )
        return _(
            "%(value)s is a generic CUIT for parties abroad (prefix %(prefix)s); a legal"
            " entity needs a company CUIT (prefix 30, 33 or 34)"
        )
    if code == "PE" and not number.startswith(_PE_COMPANY):
        if number.startswith(_PE_PERSON):
            return _(
                "%(value)s is the RUC of a person (prefix %(prefix)s); a legal entity needs a"
                " RUC with prefix 20"
            )
        return _(
            "%(value)s is not a company RUC (prefix %(prefix)s); a legal entity needs a RUC"
            " with prefix 20"
        )
    if code == "PT" and not number.startswith(_PT_COMPANY_FIRST):
        if number.startswith(_PT_PERSON_PREFIXES):
            return _(
                "%(value)s is the NIF of a person; a legal entity needs a NIPC (starting with"
                " 5, 6, 7 or 9)"
            )
        if number.startswith("8"):
            return _(
                "%(value)s is the NIF of a sole trader (empresário em nome individual), the"
                " number of a person; a legal entity needs a NIPC (starting with 5, 6, 7 or 9)"
            )
        return _(
            "%(value)s is not a NIPC: no kind of entity has a NIF starting with 4; a legal"
            " entity needs a NIPC (starting with 5, 6, 7 or 9)"
        )
    return None


def validate_business_tax_id(number: str, country: str) -> TaxId:
    """Validate `number` as a business tax ID of `country` (case-insensitive ISO code).

    Returns the TaxId to store (compact form). Raises Invalid for an unsupported country,
    a malformed or mistyped number, and a valid number that belongs to a person.
    """
    from stdnum.exceptions import (
        InvalidFormat,
        ValidationError,
    )

    code, spec = _country(country)
    raw = number.strip()
    names = {"value": quoted(raw), "kind": spec.name, "country": code, "example": spec.example}
    looks_like = _("a valid %(kind)s looks like %(example)s") % names
    if not raw:
        raise Invalid(
            _("the tax ID is empty; a legal entity in %(country)s needs its %(kind)s") % names,
            hint=looks_like,
        )
    module = _module(spec)
    try:
        compact: str = module.compact(raw)
        # python-stdnum's patterns use \d, which matches any script's digits ("١٢٣"); every
        # supported number is ASCII, but for the Ñ a Mexican RFC may hold.
        plain = compact.replace("Ñ", "") if code == "MX" else compact
        if not plain.isascii():
            raise InvalidFormat()
        compact = module.validate(raw)  # MX: check digits not enforced (stdnum's default)
    except ValidationError as exc:
        person = _person_instead(code, raw)
        if person is not None:
            raise Invalid(person % names, hint=looks_like) from exc
        raise Invalid(_refused(exc, spec) % names, hint=_mistyped(exc) or looks_like) from exc
    refusal = _not_business(code, compact)
    if refusal is not None:
        raise Invalid(refusal % (names | {"prefix": compact[:2]}), hint=looks_like)
    return TaxId(country=code, number=compact)


def _refused(exc: Exception, spec: _Country) -> str:
    """Why python-stdnum refused the number, in colabctl's words (never the library's)."""
    from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

    if isinstance(exc, InvalidChecksum):
        return _("%(value)s is not a valid %(kind)s: the check digits do not match")
    if isinstance(exc, InvalidLength):  # before InvalidFormat: it is a subclass
        return _(spec.wrong_length)
    if isinstance(exc, InvalidFormat):
        return _(
            "%(value)s is not a valid %(kind)s: it has characters or a layout that no %(kind)s has"
        )
    if isinstance(exc, InvalidComponent):
        return _(spec.bad_part)
    return _("%(value)s is not a valid %(kind)s")


def _mistyped(exc: Exception) -> str | None:
    from stdnum.exceptions import InvalidChecksum

    if isinstance(exc, InvalidChecksum):
        return _("check it for a mistyped or swapped character")
    return None
