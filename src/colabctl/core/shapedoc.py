"""The shapes of core/shapes.py read back: each key's name, type and meaning, and the
Markdown docs/json.md shows for each entry of SHAPES (`cog -r docs/json.md` runs it;
`cog --check` in .ci/run fails when the page and the shapes differ).

Not on any command's path: only cog and the tests import it.
"""

from __future__ import annotations

import types
from typing import (
    Annotated,
    Any,
    NamedTuple,
    NotRequired,
    Union,
    get_args,
    get_origin,
    get_type_hints,
    is_typeddict,
)

from colabctl.core.shapes import SHAPES, Shape


class Key(NamedTuple):
    name: str
    type: Any  # the annotation, its meaning and NotRequired taken off
    meaning: str
    required: bool


def keys(shape: type) -> list[Key]:
    """SHAPE's keys, in the order they are printed."""
    found = []
    optional: frozenset[str] = getattr(shape, "__optional_keys__", frozenset())  # total=False
    for name, hint in get_type_hints(shape, include_extras=True).items():
        required = get_origin(hint) is not NotRequired and name not in optional
        if get_origin(hint) is NotRequired:
            (hint,) = get_args(hint)
        assert get_origin(hint) is Annotated, f"{shape.__name__}.{name}: no meaning declared"
        kind, meaning = get_args(hint)[:2]
        found.append(Key(name, kind, meaning, required))
    return found


def entry(entry_id: str) -> Shape:
    (found,) = [s for s in SHAPES if s.id == entry_id]
    return found


def markdown(entry_id: str) -> str:
    """The block docs/json.md shows for one entry: an anchor, the command and what it
    prints, then each key with its type and meaning (nested objects indented)."""
    shown = entry(entry_id)
    lines = [f'<a id="json-{shown.id}"></a>', "", f"{_title(shown)}: {shown.about}", ""]
    if shown.variants:
        for variant in shown.variants:
            lines += [(variant.__doc__ or "").strip(), "", *_keys(variant, shown), ""]
    else:
        lines += [*_extended(shown), ""]
    return "\n".join(lines)


def _title(shown: Shape) -> str:
    return f"`{shown.title}`" if shown.command is not None else f"**{shown.title.capitalize()}**"


def _extended(shown: Shape) -> list[str]:
    """The keys of an entry; those it shares with the entry it extends, by reference."""
    if shown.extends is None:
        return _keys(shown.shape, shown)
    base = entry(shown.extends)
    names = [k.name for k in keys(shown.shape)]
    inherited = [k.name for k in keys(base.shape)]
    link = _link(base)
    if names[: len(inherited)] == inherited:
        rest = keys(shown.shape)[len(inherited) :]
        if not rest:
            return [f"The keys of {link}."]
        return [f"The keys of {link}, then:", "", *_bullets(rest, shown, 0)]
    assert names[-len(inherited) :] == inherited, (shown.id, base.id)
    rest = keys(shown.shape)[: -len(inherited)]
    return [*_bullets(rest, shown, 0), f"- then the keys of {link}."]


def _keys(shape: type, shown: Shape) -> list[str]:
    return _bullets(keys(shape), shown, 0)


def _bullets(found: list[Key], shown: Shape, depth: int) -> list[str]:
    pad = "  " * depth
    lines = []
    for key in found:
        nested = _nested(key.type)
        kind = _type(key.type)
        if not key.required:
            kind += "; not in every object"
        meaning = key.meaning.rstrip(".")
        owner = _owner(nested, shown) if nested is not None else None
        if owner is not None:
            lines.append(f"{pad}- `{key.name}` ({kind}, as in {_link(owner)}): {meaning}.")
        elif nested is not None:
            lines.append(f"{pad}- `{key.name}` ({kind}): {meaning}:")
            lines += _bullets(keys(nested), shown, depth + 1)
        else:
            lines.append(f"{pad}- `{key.name}` ({kind}): {meaning}.")
    return lines


def _owner(nested: type, shown: Shape) -> Shape | None:
    """The entry that documents NESTED in full, when it is not SHOWN itself."""
    for other in SHAPES:
        if other.shape is nested and other.id != shown.id:
            return other
    return None


def _link(other: Shape) -> str:
    title = f"`{other.title}`" if other.command is not None else other.title
    return f"[{title}](#json-{other.id})"


def _nested(kind: Any) -> type | None:
    """The object a value of type KIND holds, if any: itself, its items, its values."""
    if is_typeddict(kind):
        return kind  # type: ignore[no-any-return]
    if _is_union(kind):
        inner = [_nested(arg) for arg in get_args(kind)]
        return next((found for found in inner if found is not None), None)
    origin = get_origin(kind)
    if origin is list:
        return _nested(get_args(kind)[0])
    if origin is dict:
        return _nested(get_args(kind)[1])
    return None


_NAMES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _type(kind: Any, plural: bool = False) -> str:
    """KIND in words: `string or null`, `list of objects`, `object of lists of strings`."""
    if kind is Any:
        return "any JSON values" if plural else "any JSON value"
    if is_typeddict(kind):
        return "objects" if plural else "object"
    if _is_union(kind):
        args = [arg for arg in get_args(kind) if arg is not type(None)]
        text = " or ".join(_type(arg, plural) for arg in args)
        return text + " or null" if len(args) < len(get_args(kind)) else text
    origin = get_origin(kind)
    if origin is list:
        return ("lists of " if plural else "list of ") + _type(get_args(kind)[0], plural=True)
    if origin is dict:
        value = get_args(kind)[1]
        word = "objects" if plural else "object"
        return word if value is Any else f"{word} of {_type(value, plural=True)}"
    name = _NAMES[kind]
    return name + "s" if plural else name


def _is_union(kind: Any) -> bool:
    return get_origin(kind) in (Union, types.UnionType)
