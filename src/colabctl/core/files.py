"""The files colabctl reads by name and the files it writes: one capped reader, so no
file is ever read forever (`/dev/zero`), and one writer, so every output is atomic and
none can ever replace a database (docs/exit-codes.md); a folder, likewise, appears whole
(`folder_atomically`).

An output written while a command runs (`-o FILE`, `--junit FILE`) is staged: written
whole to a temporary file beside its target, its missing folders created, and put in
place by `settle(keep=True)` when the command ends with an answer; `settle(keep=False)`
removes it and the folders made for it, so a failed command leaves no file behind.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from colabctl.errors import Conflict, Invalid
from colabctl.i18n import N_, _

# -- reading --------------------------------------------------------------------------


def read_capped(path: Path | None, shown: str, *, limit: int, what: str) -> bytes:
    """PATH's bytes (None: standard input), reading no more than LIMIT: `/dev/zero` is
    refused at once, a folder is refused, and a FIFO or `<(...)` reads like a file."""
    import sys

    try:
        if path is None:
            raw = sys.stdin.buffer.read(limit + 1)
        else:
            with path.open("rb") as handle:
                raw = handle.read(limit + 1)
    except OSError as exc:
        raise Invalid(
            _("%(file)s: cannot read: %(reason)s") % {"file": shown, "reason": exc.strerror or exc}
        ) from exc
    if len(raw) > limit:
        names = {"file": shown, "mb": limit // 1_000_000}
        raise Invalid(_(_TOO_LARGE.get(what, _TOO_LARGE[""])) % names)
    return raw


# A file over its cap, in whole sentences for each kind of file (read_capped's WHAT).
_TOO_LARGE = {
    "a team file": N_("%(file)s: too large for a team file (more than %(mb)d MB)"),
    "a config": N_("%(file)s: too large for a config (more than %(mb)d MB)"),
    "a rules file": N_("%(file)s: too large for a rules file (more than %(mb)d MB)"),
    "a preset": N_("%(file)s: too large for a preset (more than %(mb)d MB)"),
    "a test file": N_("%(file)s: too large for a test file (more than %(mb)d MB)"),
    "a matrix snapshot": N_("%(file)s: too large for a matrix snapshot (more than %(mb)d MB)"),
    "a catalog": N_("%(file)s: too large for a catalog (more than %(mb)d MB)"),
    "": N_("%(file)s: too large (more than %(mb)d MB)"),
}


# -- writing --------------------------------------------------------------------------


class _Staged:
    """The outputs of the running command: (temporary file, target) pairs, and the
    folders created for them, outermost first."""

    def __init__(self) -> None:
        self.files: list[tuple[Path, Path]] = []
        self.folders: list[Path] = []


_staged = _Staged()


def write_file(
    target: str | os.PathLike[str], data: bytes, *, store: Path | None, staged: bool = False
) -> None:
    """Write TARGET whole or not at all (a temporary file beside it, fsync, rename), its
    missing folders created; never over the store, its -wal/-shm files or any other
    SQLite database (exit 4); a failed write exits 6 naming the file. `store` is the
    command's store path (None: nothing to guard but SQLite files). STAGED: the rename
    waits for `settle()`.

    A target that exists and is not a regular file (/dev/stdout, a FIFO, `>(gzip)`) is a
    stream: it is written in place, as there is nothing to rename over.
    """
    name = os.fspath(target)
    if name.startswith(("postgresql:", "postgres:")):
        # a database's URL (a Path option folds its // into /), which may hold a
        # password: neither written as a file nor repeated
        raise Conflict(
            _(
                "the output names a PostgreSQL database (postgresql:...), not a file;"
                " nothing was written"
            ),
            hint=_("write the output to a file, or to stdout with -o -"),
        )
    path = Path(name)
    if _is_database(path, store):
        raise Conflict(
            _(
                "%(file)s is the store or another SQLite database (or one of its files);"
                " it was left untouched"
            )
            % {"file": name},
            hint=_("write the output to another file, or to stdout with -o -"),
        )
    made: list[Path] = []
    try:
        if path.exists() and not path.is_file() and not path.is_dir():
            with path.open("wb") as stream:
                stream.write(data)
            return
        made = _make_folders(path.parent)
        temp = _temporary(path, data)
    except OSError as exc:
        _remove_folders(made)
        raise Invalid(unwritable(name, exc)) from exc
    if staged:
        _staged.files.append((temp, path))
        _staged.folders += made
        return
    try:
        os.replace(temp, path)
    except OSError as exc:
        temp.unlink(missing_ok=True)
        _remove_folders(made)
        raise Invalid(unwritable(name, exc)) from exc


def unwritable(name: str | os.PathLike[str], exc: OSError) -> str:
    return _("cannot write %(file)s: %(reason)s") % {
        "file": os.fspath(name),
        "reason": exc.strerror or exc,
    }


def settle(*, keep: bool) -> None:
    """End the command's staged outputs: KEEP puts each in place; otherwise each is
    removed, with the folders made for it (those left empty)."""
    global _staged
    done, _staged = _staged, _Staged()
    failed: Invalid | None = None
    for temp, path in done.files:
        if keep and failed is None:
            try:
                os.replace(temp, path)
                continue
            except OSError as exc:
                failed = Invalid(unwritable(path, exc))
        temp.unlink(missing_ok=True)
    if failed is not None or not keep:
        _remove_folders(done.folders)
    if failed is not None:
        raise failed


def write_atomically(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """PATH replaced by DATA in one step: a temporary file in the same folder, fsync,
    rename (the config, docs/config.md). MODE: the new file's permissions (default: an
    existing file's, else what the umask allows)."""
    temp = _temporary(path, data, mode=mode)
    try:
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


@contextlib.contextmanager
def folder_atomically(folder: Path) -> Iterator[Path]:
    """A new FOLDER, filled in a temporary folder beside it (what the block gets) and
    renamed into place when the block ends; if it fails, the temporary folder is removed
    and FOLDER never appears (the demo's policy folder, core/demo.py)."""
    import shutil
    import tempfile

    temp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        mask = os.umask(0)
        os.umask(mask)
        temp.chmod(0o777 & ~mask)  # a folder like any other, not mkdtemp's private one
        yield temp
        os.replace(temp, folder)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _temporary(path: Path, data: bytes, *, mode: int | None = None) -> Path:
    """DATA in a new temporary file beside PATH, synced, with PATH's permissions to be."""
    import tempfile

    if path.is_dir():
        raise IsADirectoryError(21, _("it is a folder"), str(path))
    if mode is None:
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
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return Path(temp)


def _make_folders(folder: Path) -> list[Path]:
    """Create FOLDER and its missing parents; the ones created, outermost first."""
    missing: list[Path] = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    made: list[Path] = []
    try:
        for each in reversed(missing):
            each.mkdir()
            made.append(each)
    except OSError:
        _remove_folders(made)
        raise
    return made


def _remove_folders(folders: list[Path]) -> None:
    """Remove FOLDERS (outermost first, as made), innermost first, where still empty."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):  # not empty: something else is in it now
            folder.rmdir()


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
