"""The permission catalog: loaded from catalog.toml, resolved by id or any label.

catalog.toml is the one source. The wheel also carries catalog.json, written
from it at build time (hatch_build.py), because parsing TOML on every `can`
costs more than the rest of the check; a checkout without it reads the TOML.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from functools import cache, cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from colabctl.errors import Invalid
from colabctl.i18n import Text, _

if TYPE_CHECKING:
    from colabctl.core import shapes

LANGS = ("es", "pt", "en")
OWNER_CATEGORY = "owner"
CATALOG_FILE = Path(__file__).with_name("catalog.toml")
BUILT_CATALOG_FILE = CATALOG_FILE.with_suffix(".json")


class Category(NamedTuple):
    id: str
    labels: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels[lang]


class Permission(NamedTuple):
    id: str
    category: str
    risk: str
    labels: dict[str, str]

    @property
    def owner_only(self) -> bool:
        return self.category == OWNER_CATEGORY

    def label(self, lang: str) -> str:
        return self.labels[lang]

    def as_json(self, lang: str) -> shapes.PermissionEntry:
        """As `permissions --json` lists it, its label in LANG."""
        return {
            "id": self.id,
            "category": self.category,
            "label": self.label(lang),
            "risk": self.risk,
            "owner_only": self.owner_only,
            "labels": self.labels,
        }


def fold(text: str) -> str:
    """Case-, accent- and spacing-insensitive form of a label."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


class Catalog:
    def __init__(self, version: int, categories: list[Category], permissions: list[Permission]):
        self.version = version
        self.categories = categories
        self.permissions = permissions
        self.by_id = {p.id: p for p in permissions}

    @cached_property
    def _by_label(self) -> dict[str, str]:
        """Folded label (any language) -> id. Built only when a label is looked up."""
        return {fold(text): p.id for p in self.permissions for text in p.labels.values()}

    @cached_property
    def _position(self) -> dict[str, int]:
        return {p.id: i for i, p in enumerate(self.permissions)}

    def ordered(self, ids: Iterable[str]) -> list[str]:
        """IDS once each, in catalog order, so every listing reads the same way (an id the
        catalog does not know goes last)."""
        position = self._position
        return sorted(set(ids), key=lambda i: position.get(i, len(position)))

    @property
    def owner_only_ids(self) -> frozenset[str]:
        return frozenset(p.id for p in self.permissions if p.owner_only)

    @property
    def delegable(self) -> list[Permission]:
        return [p for p in self.permissions if not p.owner_only]

    def category(self, ref: str) -> Category:
        folded = fold(ref)
        for cat in self.categories:
            if folded == cat.id or folded in {fold(t) for t in cat.labels.values()}:
                return cat
        from colabctl.core.names import quoted

        raise Invalid(
            _("unknown category %(category)s") % {"category": quoted(ref)},
            hint=_("categories: %(ids)s") % {"ids": ", ".join(c.id for c in self.categories)},
        )

    def resolve(self, ref: str) -> Permission:
        """A permission by id or by any label in any language, ignoring case and accents."""
        perm = self.by_id.get(ref.strip())
        if perm is not None:
            return perm
        folded = fold(ref)
        perm_id = self._by_label.get(folded) or (folded if folded in self.by_id else None)
        if perm_id is not None:
            return self.by_id[perm_id]
        from colabctl.core.names import quoted_text

        # a Text: `can --batch` puts the message in its JSON, which stays English
        raise Invalid(
            Text("unknown permission %(permission)s", permission=quoted_text(ref)),
            hint=self._suggest(folded),
        )

    def resolve_delegable(self, ref: str) -> Permission:
        """`resolve`, refusing an owner-only permission: what a profile or preset may hold."""
        perm = self.resolve(ref)
        if perm.owner_only:
            raise Invalid(
                _("%(permission)s is owner-only: no profile can hold it") % {"permission": perm.id},
                hint=_("only the account's owner holds account data, bank details and the team"),
            )
        return perm

    def _suggest(self, folded: str) -> str:
        import difflib

        candidates = {p.id: p.id for p in self.permissions}
        candidates.update(self._by_label)
        close = difflib.get_close_matches(folded, list(candidates), n=6, cutoff=0.5)
        ids = list(dict.fromkeys(candidates[c] for c in close))[:3]
        if ids:
            return _("did you mean %(ids)s? (`colabctl permissions` lists them all)") % {
                "ids": ", ".join(ids)
            }
        return _("`colabctl permissions` lists them all")


def read_catalog_data() -> dict[str, Any]:
    """The catalog as plain data: the built JSON when the wheel has it, else the TOML."""
    if BUILT_CATALOG_FILE.is_file():
        import json

        data: dict[str, Any] = json.loads(BUILT_CATALOG_FILE.read_bytes())
        return data
    from colabctl.core import tomlfile

    shown = str(CATALOG_FILE)
    return tomlfile.load(CATALOG_FILE, shown, limit=tomlfile.CONFIG_LIMIT, what="a catalog")


@cache
def catalog() -> Catalog:
    data = read_catalog_data()
    categories = [Category(c["id"], c["label"]) for c in data["categories"]]
    permissions = [
        Permission(p["id"], p["category"], p["risk"], p["label"]) for p in data["permissions"]
    ]
    return Catalog(int(data["version"]), categories, permissions)
