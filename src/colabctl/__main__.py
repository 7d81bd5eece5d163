"""`python -m colabctl`, and the `colabctl` script: Ctrl-C is answered from the start.

Loading colabctl (typer, the command modules) takes a while; an interrupt then would
print a traceback. Until `colabctl.cli.main()` takes over, it ends the process at once
with exit 130: nothing can have been changed yet. (`_signal`, the C module under
`signal`, because `signal` imports enum: the handler must be in place before that.)
"""

import _signal  # type: ignore[import-not-found]  # no stubs for the C module
import os


def _interrupted_while_loading(signum: int, frame: object) -> None:
    # house: prints, exit-number: nothing of colabctl is loaded yet, not even errors.py's
    # ExitCode (enum) or cli/output.py; this is cli/output.interrupted's line, and 130 its code
    os.write(2, b"error: interrupted; nothing was changed\n")
    os._exit(130)


# Loading colabctl builds about 26,000 objects the garbage collector tracks (modules,
# classes, functions) that live until the process ends, and none of them is garbage: the
# collector's passes over them while loading, and its collection at exit, cost a short
# command such as `can` about a fifth of its CPU time (README, Performance). So it is off
# while loading, and what loading built is then frozen (gc.freeze: kept out of every later
# collection, the one at exit included); the command itself runs with the collector on,
# as always (a batch, an apply).


def _load_without_collecting() -> None:
    import gc

    gc.disable()


def _loaded() -> None:
    import gc

    gc.freeze()
    gc.enable()


def run() -> None:
    _signal.signal(_signal.SIGINT, _interrupted_while_loading)
    _load_without_collecting()
    from colabctl.cli import main
    from colabctl.store import sql

    _loaded()

    # This process is the program: once a write has committed, SIGINT is ignored at the
    # OS level until exit, so it cannot change the outcome (store/sql.py `commit`).
    sql.IGNORE_INTERRUPTS_AFTER_COMMIT = True
    main()


if __name__ == "__main__":
    run()
