"""Preset files: TOML profile templates in, TOML out (the shape `profile export` writes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from colabctl.core import tomlfile
from colabctl.core.catalog import LANGS, catalog
from colabctl.core.names import at_line, clean_text, closest, quoted
from colabctl.core.tomllines import Lines
from colabctl.errors import Invalid, NotFound
from colabctl.i18n import _, shown

if TYPE_CHECKING:
    from colabctl.core import shapes

MAX_PRESET_BYTES = tomlfile.PRESET_LIMIT


@dataclass(frozen=True)
class Preset:
    name: str
    permissions: tuple[str, ...]
    description: str = ""
    title: dict[str, str] = field(default_factory=dict)
    source: str = ""
    descriptions: dict[str, str] = field(default_factory=dict)  # per language (es, pt, en)

    def description_in(self, lang: str) -> str:
        """The description in LANG, else the plain `description`."""
        return self.descriptions.get(lang) or self.description

    def as_json(self) -> shapes.Preset:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "descriptions": self.descriptions,
            "permissions": list(self.permissions),
        }


def presets_dir() -> Path:
    """`profiles/` as shipped in the wheel (colabctl/profiles), or the checkout's own."""
    shipped = Path(str(resources.files("colabctl"))) / "profiles"
    if shipped.is_dir():
        return shipped
    return Path(__file__).resolve().parents[3] / "profiles"


def list_presets() -> list[Preset]:
    return [load_preset(path) for path in sorted(presets_dir().glob("*.toml"))]


def find_preset(name: str) -> Preset:
    path = presets_dir() / f"{name}.toml"
    if not re.fullmatch(r"[a-z][a-z0-9-]{1,39}", name, re.ASCII) or not path.is_file():
        known = [p.stem for p in sorted(presets_dir().glob("*.toml"))]
        best = closest(name, known)
        names = {"name": quoted(name), "best": best, "presets": ", ".join(known)}
        raise NotFound(
            _("no preset named %(name)s") % names,
            hint=_("did you mean %(best)s? (presets: %(presets)s)") % names
            if best
            else _("presets: %(presets)s") % names,
        )
    return load_preset(path)


def load_preset(path: Path) -> Preset:
    """Read and check a preset file; any fault is Invalid naming the file (and line)."""
    return parse_preset(
        tomlfile.read(path, str(path), limit=MAX_PRESET_BYTES, what="a preset"), str(path)
    )


def parse_preset(raw: bytes, source: str) -> Preset:
    if len(raw) > MAX_PRESET_BYTES:
        raise Invalid(
            _("%(file)s: too large for a preset (more than %(mb)d MB)")
            % {"file": source, "mb": MAX_PRESET_BYTES // 1_000_000}
        )
    text = tomlfile.text(raw, source)
    return _check(tomlfile.parse(text, source), text, source)


KEYS = ("name", "title", "description", "descriptions", "permissions")


def _check(data: dict[str, Any], text: str, source: str) -> Preset:
    """DATA, a preset file's parsed TEXT, as a Preset; any fault is Invalid naming SOURCE
    and the line."""
    lines = Lines(text)
    _refuse_unknown_keys(data, lines, source)
    perms = data.get("permissions")
    if not isinstance(perms, list) or not all(isinstance(p, str) for p in perms):
        raise _fault(
            _("%(where)s: `permissions` must be a list of strings"), source, lines, "permissions"
        )
    name = data.get("name", Path(source).stem)
    description = data.get("description", "")
    if not isinstance(name, str):
        raise _fault(_("%(where)s: `name` must be a string"), source, lines, "name")
    if not isinstance(description, str):
        raise _fault(_("%(where)s: `description` must be a string"), source, lines, "description")
    title = _language_table(data, "title", lines, source)
    descriptions = _language_table(data, "descriptions", lines, source)
    # Titles and descriptions are free text (docs/commands.md), held to what --description is.
    _check_texts(
        [
            ("description", description),
            *((f"title.{k}", v) for k, v in title.items()),
            *((f"descriptions.{k}", v) for k, v in descriptions.items()),
        ],
        lines,
        source,
    )
    return Preset(
        name,
        _permission_ids(perms, lines, source),
        description.strip(),
        {k: v.strip() for k, v in title.items()},
        source,
        {k: v.strip() for k, v in descriptions.items()},
    )


def _fault(message: str, source: str, lines: Lines, key: str) -> Invalid:
    """MESSAGE (with %(where)s) about top-level KEY, at the line that sets it."""
    return Invalid(message % {"where": at_line(source, lines.key_or_table(key))})


def _refuse_unknown_keys(data: dict[str, Any], lines: Lines, source: str) -> None:
    # An unknown key is most likely a misspelt one (`descripton`): refuse it rather than
    # drop what it says without a word.
    for key in data:
        if key not in KEYS:
            raise Invalid(
                _("%(where)s: unknown key %(key)s")
                % {"where": at_line(source, lines.key_or_table(key)), "key": quoted(key)},
                hint=_("a preset has the keys %(keys)s") % {"keys": ", ".join(KEYS)},
            )


def _language_table(data: dict[str, Any], key: str, lines: Lines, source: str) -> dict[str, str]:
    """`title` or `descriptions`: a table of strings by language (es, pt, en)."""
    table = data.get(key, {})
    if not isinstance(table, dict) or not all(
        k in LANGS and isinstance(v, str) for k, v in table.items()
    ):
        raise Invalid(
            _("%(where)s: `%(key)s` must be a table of es/pt/en strings")
            % {"where": at_line(source, lines.key_or_table(key)), "key": key}
        )
    return table


def _check_texts(texts: list[tuple[str, str]], lines: Lines, source: str) -> None:
    """Each (dotted key, free text) as clean as --description must be."""
    for key, value in texts:
        if value.strip():
            try:
                clean_text(value, what=key)
            except Invalid as exc:
                where = at_line(source, lines.key_or_table(key.split(".")[0]))
                raise Invalid(f"{where}: {shown(exc.message)}", hint=exc.hint) from exc


def _permission_ids(refs: list[str], lines: Lines, source: str) -> tuple[str, ...]:
    """The delegable permissions REFS name (ids or labels), as ids, each once, in order."""
    ids: list[str] = []
    cat = catalog()
    for ref in refs:
        try:
            perm = cat.resolve_delegable(ref)
        except Invalid as exc:
            where = at_line(source, lines.key("permissions", ref))
            raise Invalid(f"{where}: {shown(exc.message)}", hint=exc.hint) from exc
        if perm.id not in ids:
            ids.append(perm.id)
    return tuple(ids)


def dump_preset(preset: Preset) -> str:
    import tomli_w

    data: dict[str, Any] = {"name": preset.name}
    if preset.title:
        data["title"] = preset.title
    data["description"] = preset.description
    data["permissions"] = list(preset.permissions)
    return tomli_w.dumps(data, multiline_strings=False)
