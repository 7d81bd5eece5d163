"""The permission catalog: loaded from catalog.toml, resolved by id or any label."""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from colabctl.core.errors import Invalid

LANGS = ("es", "pt", "en")
OWNER_CATEGORY = "owner"
CATALOG_FILE = Path(__file__).with_name("catalog.toml")


@dataclass(frozen=True)
class Category:
    id: str
    labels: dict[str, str]

    def label(self, lang: str) -> str:
        return self.labels[lang]


@dataclass(frozen=True)
class Permission:
    id: str
    category: str
    risk: str
    labels: dict[str, str]

    @property
    def owner_only(self) -> bool:
        return self.category == OWNER_CATEGORY

    def label(self, lang: str) -> str:
        return self.labels[lang]


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
        self._by_label: dict[str, str] = {}
        for perm in permissions:
            for text in perm.labels.values():
                self._by_label[fold(text)] = perm.id

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
        raise Invalid(
            f"unknown category {ref!r}",
            hint="categories: " + ", ".join(c.id for c in self.categories),
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
        raise Invalid(f"unknown permission {_shown(ref)}", hint=self._suggest(folded))

    def _suggest(self, folded: str) -> str:
        import difflib

        candidates = {p.id: p.id for p in self.permissions}
        candidates.update(self._by_label)
        close = difflib.get_close_matches(folded, list(candidates), n=6, cutoff=0.5)
        ids = list(dict.fromkeys(candidates[c] for c in close))[:3]
        if ids:
            return "did you mean " + ", ".join(ids) + "? (`colabctl permissions` lists them all)"
        return "`colabctl permissions` lists them all"


def _shown(value: str) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@cache
def catalog() -> Catalog:
    import tomllib

    data = tomllib.loads(CATALOG_FILE.read_text(encoding="utf-8"))
    categories = [Category(c["id"], dict(c["label"])) for c in data["categories"]]
    permissions = [
        Permission(p["id"], p["category"], p["risk"], dict(p["label"])) for p in data["permissions"]
    ]
    return Catalog(int(data["version"]), categories, permissions)


def resolve_lang(explicit: str | None = None) -> str:
    """--lang, else $COLABCTL_LANG, else the locale's language, else en."""
    for value in (explicit, os.environ.get("COLABCTL_LANG")):
        if value:
            lang = value.strip().lower()[:2]
            if lang not in LANGS:
                raise Invalid(f"unknown language {value!r}", hint="use es, pt or en")
            return lang
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var, "")
        if value:
            lang = value[:2].lower()
            return lang if lang in LANGS else "en"
    return "en"
