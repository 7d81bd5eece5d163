"""Writing the files colabctl produces (`-o FILE`, `--junit FILE`, policy snapshots): the
one writer, so every output is atomic and none can ever replace a database
(docs/exit-codes.md)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from colabctl.errors import Conflict, Invalid


def write_file(target: str | os.PathLike[str], data: bytes, *, store: Path | None) -> None:
    """Write TARGET whole or not at all (a temporary file beside it, fsync, rename); never
    over the store, its -wal/-shm files or any other SQLite database (exit 4); a failed
    write exits 6 naming the file. `store` is the command's store path (None: nothing to
    guard but SQLite files).

    A target that exists and is not a regular file (/dev/stdout, a FIFO, `>(gzip)`) is a
    stream: it is written in place, as there is nothing to rename over.
    """
    name = os.fspath(target)
    if name.startswith(("postgresql:", "postgres:")):
        # a database's URL (a Path option folds its // into /), which may hold a
        # password: neither written as a file nor repeated
        raise Conflict(
            "the output names a PostgreSQL database (postgresql:...), not a file;"
            " nothing was written",
            hint="write the output to a file, or to stdout with -o -",
        )
    path = Path(name)
    if _is_database(path, store):
        raise Conflict(
            f"{name} is the store or another SQLite database (or one of its files);"
            " it was left untouched",
            hint="write the output to another file, or to stdout with -o -",
        )
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            with path.open("wb") as stream:
                stream.write(data)
        else:
            _with_parents(path, lambda: _replace_atomically(path, data))
    except OSError as exc:
        raise Invalid(f"cannot write {name}: {exc.strerror or exc}") from exc


def _with_parents(path: Path, write: Callable[[], None]) -> None:
    """WRITE, with PATH's missing folders created first, and removed again if it fails."""
    missing = [folder for folder in path.parent.parents if not folder.exists()][::-1]
    if not path.parent.exists():
        missing.append(path.parent)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write()
    except BaseException:
        for folder in reversed(missing):
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise


def _is_database(path: Path, store: Path | None) -> bool:
    """PATH is the store, an SQLite file, or the -wal/-shm/-journal file of either (the
    store compared by identity, so a link or another spelling of it counts too)."""
    from colabctl.store.db import is_sqlite

    sidecars = ("-wal", "-shm", "-journal")
    if store is not None:
        for guarded in (Path(f"{store}{suffix}") for suffix in ("", *sidecars)):
            if os.path.abspath(path) == os.path.abspath(guarded):
                return True
            try:
                if os.path.samefile(path, guarded):
                    return True
            except OSError:
                continue
    for suffix in sidecars:
        if path.name.endswith(suffix) and is_sqlite(path.with_name(path.name[: -len(suffix)])):
            return True
    return path.is_file() and is_sqlite(path)


def _replace_atomically(path: Path, data: bytes) -> None:
    import tempfile

    if path.is_dir():
        raise IsADirectoryError(21, "it is a folder", str(path))
    try:
        mode = path.stat().st_mode & 0o7777  # keep an existing file's permissions
    except FileNotFoundError:
        mask = os.umask(0)
        os.umask(mask)
        mode = 0o666 & ~mask
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp, mode)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
