"""Is the store's folder on a network filesystem? SQLite's locking is not safe there.

SQLite relies on POSIX advisory locks (and, in WAL mode, on a shared-memory `-shm`
file) to serialise writers. NFS, SMB/CIFS and FUSE network mounts implement those
locks partly, lazily or not at all, so two machines writing one file can corrupt it
or fork the audit chain. A store there is refused (exit 7) with a hint to use
PostgreSQL (docs/storage.md, "Where the file may live").

The filesystem is read from the kernel's mount table (`/proc/self/mountinfo`): the
mount that holds the store's resolved folder (`filesystem_of`). Where the table
cannot be read (not Linux, no /proc), nothing is refused. Cost: one read of a small
/proc file, one stat and a split per line, well under a millisecond (measured in
docs/storage.md); only `os` and `pathlib` are imported.
"""

from __future__ import annotations

import os
from pathlib import Path

from colabctl.errors import StoreFault
from colabctl.i18n import _

MOUNT_TABLE = "/proc/self/mountinfo"  # a module constant so tests can point it at a fake

# Kernel filesystems whose files live on another machine (or are shared between
# machines through one), where SQLite's locks cannot be trusted.
NETWORK_TYPES = frozenset(
    {
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "coda",
        "9p",  # also WSL2's view of Windows drives (/mnt/c) and QEMU shared folders
        "ceph",
        "glusterfs",
        "lustre",
        "gpfs",
        "beegfs",
        "orangefs",
        "davfs",
    }
)

# FUSE filesystems appear as `fuse.SUBTYPE`. These subtypes reach files over a network;
# any other (fuse-overlayfs, gocryptfs, ...) is taken as local, as are `fuseblk` (ntfs-3g,
# exfat on a local disk) and a bare `fuse` without a subtype, which says nothing either way.
NETWORK_FUSE = frozenset(
    {
        "sshfs",
        "rclone",
        "s3fs",
        "gcsfuse",
        "goofys",
        "mountpoint-s3",
        "blobfuse",
        "blobfuse2",
        "glusterfs",
        "ceph-fuse",
        "davfs",
        "davfs2",
        "juicefs",
        "mfs",  # MooseFS
        "lizardfs",
        "seaweedfs",
        "curlftpfs",
        "smbnetfs",
    }
)


def is_network(fstype: str) -> bool:
    """Whether a mount of FSTYPE (as the mount table names it) is a network filesystem."""
    if fstype in NETWORK_TYPES:
        return True
    kind, dot, subtype = fstype.partition(".")
    return bool(dot) and kind == "fuse" and subtype in NETWORK_FUSE


# How the kernel writes these characters in a mount point (fs/proc_namespace.c).
_ESCAPES = str.maketrans({" ": "\\040", "\t": "\\011", "\n": "\\012", "\\": "\\134"})


def _under(folder: str, mount_point: str) -> bool:
    if mount_point == "/":
        return folder.startswith("/")
    return folder == mount_point or folder.startswith(mount_point + "/")


def filesystem_of(folder: str, table: str, device: str | None = None) -> str | None:
    """The filesystem type of the mount holding FOLDER (absolute, resolved) in TABLE, the
    text of a mountinfo file, or None if no line's mount point holds it.

    Of the mounts whose mount point is FOLDER or one of its parents, the one whose
    device (`MAJ:MIN`, the `st_dev` of its files) is DEVICE, FOLDER's own, else the
    longest mount point; of equals, the last in the table (of mounts stacked on one
    point, the one on top). The device settles what a prefix cannot: a share mounted
    over a folder that already held a mount hides it, though that mount's point is
    longer. (btrfs subvolumes report devices the table does not list: there the prefix
    decides.)

    A line is `ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE
    SUPER_OPTIONS` (proc(5)); the optional fields end at a lone `-`. Only the lines
    whose mount point holds FOLDER are looked at past their mount point, which keeps a
    host with hundreds of mounts cheap. Lines of any other shape are skipped.
    """
    # The folder is escaped as the kernel escapes mount points (space as `\040`, ...),
    # once, rather than every line unescaped: the escapes are one-to-one, so prefixes
    # and which of two prefixes is longer are the same either way.
    folder = folder.translate(_ESCAPES)
    best_rank = (False, -1)
    best: str | None = None
    for line in table.splitlines():
        fields = line.split(" ", 5)
        if len(fields) < 6 or not _under(folder, fields[4]):
            continue
        rank = (fields[2] == device, len(fields[4]))
        if rank < best_rank:
            continue
        dash = fields[5].find(" - ")  # mount options and optional fields hold no spaces
        if dash < 0:
            continue
        fstype = fields[5][dash + 3 :].partition(" ")[0]
        if fstype:
            best_rank, best = rank, fstype
    return best


def _device(folder: Path) -> str | None:
    """`MAJ:MIN` of FOLDER's filesystem, or of its nearest existing parent (where a
    missing folder would be created); None if it cannot be told."""
    for candidate in (folder, *folder.parents):
        try:
            found = os.stat(candidate)
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError:
            return None
        return f"{os.major(found.st_dev)}:{os.minor(found.st_dev)}"
    return None


def _read(name: str) -> bytes:
    """The whole file NAME, by plain os.read: a /proc file has no size to go by, and
    skipping the io layers saves about a third of a cold read (docs/storage.md)."""
    fd = os.open(name, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def store_filesystem(path: Path) -> str | None:
    """The filesystem type holding the store PATH (or the folder it would be created
    in), symlinks resolved; None when the mount table cannot be read."""
    try:
        raw = _read(MOUNT_TABLE)
    except OSError:
        return None
    # A store that does not exist yet (even its folder) resolves as far as the path
    # exists; the rest is joined on, which is where it would be created.
    try:
        folder = path.resolve().parent
    except (OSError, RuntimeError):  # a symlink loop: opening the store will say so
        folder = Path(os.path.abspath(path)).parent
    return filesystem_of(os.fspath(folder), os.fsdecode(raw), _device(folder))


def refuse_network_filesystem(path: Path) -> None:
    """Raise StoreFault (exit 7) if the SQLite store PATH is on a network filesystem."""
    fstype = store_filesystem(path)
    if fstype is not None and is_network(fstype):
        raise StoreFault(
            _(
                "the store %(file)s is on a network filesystem (%(fstype)s): SQLite's locking"
                " is not safe there; nothing was read or changed"
            )
            % {"file": path, "fstype": fstype},
            hint=_(
                "put the store on a PostgreSQL server: --db postgresql://USER@HOST/DB,"
                " or on a local disk (docs/storage.md)"
            ),
        )
