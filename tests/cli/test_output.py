"""The one error mapping (cli/output.py): what an unexpected exception becomes."""

from __future__ import annotations

import pytest
from support import BEA, OWNER, Cli, exists, failure

from colabctl.store.engine import Target


def test_a_bug_exits_8_never_1(cli: Cli, monkeypatch: pytest.MonkeyPatch, db_path: Target) -> None:
    """An unexpected exception is an internal error (8), with a hint to report it: never 1,
    which a script reads as "no"."""
    from colabctl.core import access

    def broken(*args: object, **kwargs: object) -> object:
        raise KeyError("boom")

    monkeypatch.setattr(access, "can", broken)
    result = cli("--as", OWNER, "can", BEA, "products.view")
    error, hint = failure(result, 8)
    assert error == "error: internal error: KeyError: 'boom'"
    assert hint is not None and "COLABCTL_DEBUG=1" in hint and "report" in hint
    assert not exists(db_path)
    # with COLABCTL_DEBUG=1 the traceback is the point
    debug = cli(
        "--as",
        OWNER,
        "can",
        BEA,
        "products.view",
        env={"COLABCTL_DEBUG": "1"},
    )
    assert isinstance(debug.exception, KeyError)
