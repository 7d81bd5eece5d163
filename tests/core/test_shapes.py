"""core/shapes.py: the registry of JSON shapes (docs/json.md): ids unique, forms known,
every key declared with its meaning, extended and nested entries pointing at real ones.
The outputs themselves are held against it through the CLI: tests/cli/test_json.py."""

from __future__ import annotations

from typing import Annotated, get_args, get_origin, get_type_hints, is_typeddict

from colabctl.core.shapes import SHAPES


def test_ids_are_unique_and_forms_known() -> None:
    ids = [s.id for s in SHAPES]
    assert len(ids) == len(set(ids))
    assert {s.form for s in SHAPES} <= {"object", "list", "lines"}
    assert all(s.extends in ids for s in SHAPES if s.extends is not None)
    assert all(s.variants for s in SHAPES if s.form == "lines")


def test_every_key_of_every_shape_says_what_it_means() -> None:
    for found in SHAPES:
        for shape in (found.shape, *found.variants):
            assert is_typeddict(shape), found.id
            for name, hint in get_type_hints(shape, include_extras=True).items():
                hint = get_args(hint)[0] if get_origin(hint) is not Annotated else hint
                assert get_origin(hint) is Annotated, f"{shape.__name__}.{name}"
                assert str(get_args(hint)[1]).strip(), f"{shape.__name__}.{name}"
