"""The two keys a user row is found by: the identity key and the confusable skeleton.

Both are derived from the address and stored beside it (`users.email_key`, unique, and
`users.skeleton`, indexed), so they live in the store layer: migration m003 recomputes
them for every stored user. The rules are in docs/commands.md, "Email addresses and
identity".

`email_key` is on the hot path of every command (`--as`, `can`): an ASCII address costs
one `str.lower()` call, and the `idna` package (IDNA 2008, ~10 ms to import) is loaded
only for a non-ASCII domain. `skeleton` reads Unicode's confusables.txt (colabctl.store.
unicode) on first use: only where a user is created or invited, and in m003.
"""

from __future__ import annotations

from functools import cache


def email_key(email: str) -> str:
    """The identity key: two addresses with the same key are the same user.

    The address with its domain in ASCII (IDNA 2008, UTS #46 non-transitional: the form
    email-validator calls `ascii_domain`) and its local part NFC-normalised and lowercased
    with `str.lower()`, never `casefold()` ("straße" and "strasse" are two mailboxes).
    No validation: `can` looks up anything cheaply, and an address email-validator would
    refuse gets a key no stored user has.
    """
    address = email.strip()
    if address.isascii():  # NFC and IDNA leave ASCII as it is
        return address.lower()
    local, at, domain = address.rpartition("@")
    if not at:
        return fold(address)
    return f"{fold(local)}@{ascii_domain(domain)}"


def fold(text: str) -> str:
    """NFC, then `str.lower()`, then NFC again: lowering can make a composable pair
    ("J" + caron lowers to "j" + caron, which composes to "ǰ"), and a key must be in
    the form it would be recomputed to."""
    from unicodedata import normalize

    return normalize("NFC", normalize("NFC", text).lower())


def ascii_domain(domain: str) -> str:
    """DOMAIN in ASCII as email-validator computes it: UTS #46 mapping (lower case, NFC,
    fullwidth dots) then an A-label per label. IDNA 2008, not Python's IDNA 2003 codec,
    which maps "ß" to "ss" and so would merge straße.de with strasse.de, two domains.
    A domain IDNA refuses keeps a non-ASCII key: it matches no stored user."""
    if domain.isascii():
        return domain.lower()
    import idna

    try:
        mapped = idna.uts46_remap(domain, std3_rules=False, transitional=False)
        return ".".join(idna.alabel(label).decode("ascii") for label in mapped.split("."))
    except (idna.IDNAError, UnicodeError, ValueError):
        return fold(domain)


def unicode_domain(domain: str) -> str:
    """DOMAIN as people read it: A-labels ("xn--...") decoded, lower case."""
    if domain.isascii() and "xn--" not in domain.lower():
        return domain.lower()
    import idna

    try:
        return str(idna.decode(ascii_domain(domain)))
    except (idna.IDNAError, UnicodeError, ValueError):
        return fold(domain)


def skeleton(email: str) -> str:
    """The confusable skeleton of the address as people read it, whatever its case.

    `tr39_skeleton` of the address (domain in Unicode form), lowercased, then
    `tr39_skeleton` again. Lookalikes are judged on what is displayed ("coI" reads as
    "col"), and two addresses that differ only in case are one mailbox, so "РОРС"
    (Cyrillic) must meet "popc" as well as "POPC": the second pass after `str.lower()`
    does that. Every address with a given identity key shown in one case has one skeleton.
    """
    address = email.strip()
    local, at, domain = address.rpartition("@")
    if at and address.isascii() and "xn--" not in domain.lower():
        # The common case, a character at a time: on ASCII text NFD and NFC change
        # nothing and lower() goes character by character, so each character's
        # skeleton is its own (those whose prototype leaves ASCII, like "%", are not in
        # the table and take the general path). tests/store/test_skeleton_ascii.py
        fast = _ascii_skeletons()
        try:
            return "".join([fast[c] for c in f"{local}@{domain.lower()}"])
        except KeyError:
            pass
    return skeleton_general(address)


def skeleton_general(email: str) -> str:
    """`skeleton` by its definition, whatever the address."""
    local, at, domain = email.strip().rpartition("@")
    text = f"{local}@{unicode_domain(domain)}" if at else email.strip()
    return tr39_skeleton(fold(tr39_skeleton(text)))


@cache
def _ascii_skeletons() -> dict[str, str]:
    """Each ASCII character's skeleton, for those whose prototypes stay ASCII."""
    from colabctl.store.unicode import prototypes

    table = prototypes()
    fast = {}
    for char in map(chr, range(128)):
        first = table.get(char, char)
        if first.isascii():
            second = "".join(table.get(c, c) for c in first.lower())
            if second.isascii():
                fast[char] = second
    return fast


def tr39_skeleton(text: str) -> str:
    """UTS #39 section 4: NFD, each character replaced by its confusables.txt prototype,
    NFD again. (Default-ignorable characters, which UTS #39 also drops, never get past
    email-validator into an address.)"""
    from unicodedata import normalize

    from colabctl.store.unicode import prototypes

    table = prototypes()
    return normalize("NFD", "".join(table.get(c, c) for c in normalize("NFD", text)))
