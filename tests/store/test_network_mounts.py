"""A SQLite store on a network filesystem is refused (issue 13 item 6; docs/storage.md,
"Where the file may live"): exit 7, one error line naming the path and the filesystem
type, a hint to use PostgreSQL, and nothing read, created or changed.

The mount table is `colabctl.store.mounts.MOUNT_TABLE`, pointed here at fake mountinfo
files; the parser is tested on them line by line, the CLI through the `cli` fixture.

Engines: SQLite only: a network filesystem is a file's matter."""

from __future__ import annotations

import json
import os
from pathlib import Path

import platformdirs
import pytest
from support import ACME, BOB, CNPJ, OWNER, Cli, dump, failure, ok, refused

from colabctl.errors import ExitCode, StoreFault
from colabctl.store import mounts
from colabctl.store.db import open_for_read, open_for_write

pytestmark = pytest.mark.engines("sqlite")

HINT = "postgresql://USER@HOST/DB"

# A mountinfo line (proc(5)): ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS [OPTIONAL...] -
# FSTYPE SOURCE SUPER_OPTIONS. Mount points are written as the kernel writes them. The
# fake lines carry the device 0:0, which no real filesystem has (anonymous devices start
# at 0:1), so that a real folder's device never picks one of them by accident: the
# mount point decides, unless a test gives a line the folder's real device.
NO_DEVICE = "0:0"
ROOT_LINE = f"27 1 {NO_DEVICE} / / rw,relatime shared:1 - ext4 /dev/vda rw,discard"


def line(
    n: int,
    mount_point: str,
    fstype: str,
    source: str = "src",
    optional: str = "",
    device: str = NO_DEVICE,
) -> str:
    """One mountinfo line for MOUNT_POINT (already escaped as the kernel escapes it)."""
    fields = [str(n), "27", device, "/", mount_point, "rw,relatime"]
    if optional:
        fields.append(optional)
    return " ".join([*fields, "-", fstype, source, "rw"])


def table(tmp_path: Path, *lines: str) -> Path:
    """A fake mount table file holding ROOT_LINE and LINES; MOUNT_TABLE is not changed."""
    path = tmp_path / "mountinfo"
    path.write_text("\n".join([ROOT_LINE, *lines]) + "\n", encoding="utf-8")
    return path


# -- which types are network filesystems --------------------------------------------------------


@pytest.mark.parametrize(
    "fstype",
    [
        "nfs",
        "nfs4",
        "cifs",
        "smb3",
        "smbfs",
        "ncpfs",
        "afs",
        "9p",
        "ceph",
        "glusterfs",
        "lustre",
        "davfs",
        "fuse.sshfs",
        "fuse.rclone",
        "fuse.s3fs",
        "fuse.gcsfuse",
        "fuse.glusterfs",
        "fuse.davfs2",
        "fuse.juicefs",
        "fuse.ceph-fuse",
    ],
)
def test_network_types(fstype: str) -> None:
    assert mounts.is_network(fstype)


@pytest.mark.parametrize(
    "fstype",
    [
        "ext4",
        "xfs",
        "btrfs",
        "zfs",
        "tmpfs",
        "overlay",
        "squashfs",
        "vfat",
        "fuseblk",  # ntfs-3g, exfat on a local disk
        "fuse",  # no subtype: nothing says it is remote
        "fuse.fuse-overlayfs",
        "fuse.gocryptfs",
        "fuse.sshfsx",  # a subtype is matched whole, not by its prefix
        "nfsd",  # the NFS server's control filesystem, not a share
        "sshfs",  # only ever a FUSE subtype
    ],
)
def test_local_types(fstype: str) -> None:
    assert not mounts.is_network(fstype)


# -- the parser, on a fake mountinfo ------------------------------------------------------------

FAKE = "\n".join(
    [
        ROOT_LINE,
        line(30, "/tmp", "tmpfs", "tmpfs"),
        line(31, "/mnt/share", "nfs4", "files:/export/share", "shared:5"),
        line(32, "/mnt/share/scratch", "ext4", "/dev/sdb1"),  # a local disk inside the share
        line(33, "/mnt/shared", "ext4", "/dev/sdc1"),  # /mnt/share is no prefix of this
        line(34, "/mnt/smb", "cifs", "//fs/team", "master:2 propagate_from:1"),
        line(35, "/home/ana/remote", "fuse.sshfs", "ana@box:"),
        line(36, "/var/lib/docker/overlay2/abc/merged", "overlay", "overlay"),
        line(37, "/run/user/1000/containers/storage", "fuse.fuse-overlayfs", "fuse-overlayfs"),
        line(38, "/mnt/my\\040team\\134share", "nfs", "files:/team"),
        line(39, "/auto/home", "autofs", "systemd-1"),
        line(40, "/auto/home", "nfs", "files:/home"),  # mounted over the autofs trigger
        "not a mountinfo line",
        "41 27 0:41 / /broken rw,relatime",  # no `-` separator: skipped
    ]
)


@pytest.mark.parametrize(
    ("folder", "expected"),
    [
        ("/", "ext4"),
        ("/home/ana", "ext4"),
        ("/tmp", "tmpfs"),
        ("/tmp/x/y", "tmpfs"),
        ("/mnt/share", "nfs4"),
        ("/mnt/share/team", "nfs4"),
        ("/mnt/share/scratch", "ext4"),  # the longest prefix wins: the nested mount
        ("/mnt/share/scratch/deep", "ext4"),
        ("/mnt/shared/team", "ext4"),  # a prefix only on a path-component boundary
        ("/mnt/sharex", "ext4"),
        ("/mnt/share-old/team", "ext4"),
        ("/mnt/smb/colabctl", "cifs"),
        ("/home/ana/remote/stores", "fuse.sshfs"),
        ("/var/lib/docker/overlay2/abc/merged/app", "overlay"),
        ("/run/user/1000/containers/storage/x", "fuse.fuse-overlayfs"),
        ("/mnt/my team\\share/db", "nfs"),  # \040 and \134 in the table
        ("/mnt/my team", "ext4"),
        ("/mnt/my\\040team\\134share/db", "ext4"),  # the escaped spelling is not the path
        ("/auto/home/ana", "nfs"),  # of mounts stacked on one point, the last is on top
        ("/broken/x", "ext4"),
    ],
)
def test_the_mount_holding_a_folder(folder: str, expected: str) -> None:
    assert mounts.filesystem_of(folder, FAKE) == expected


def test_the_longest_prefix_wins_in_any_order() -> None:
    nested_first = "\n".join(
        [line(52, "/srv/data/local", "ext4"), line(53, "/srv/data", "nfs4"), ROOT_LINE]
    )
    assert mounts.filesystem_of("/srv/data/local/x", nested_first) == "ext4"
    assert mounts.filesystem_of("/srv/data/x", nested_first) == "nfs4"
    assert mounts.filesystem_of("/srv/x", nested_first) == "ext4"


def test_the_folders_device_wins_over_a_longer_prefix() -> None:
    """A share mounted over /srv/data after /srv/data/local was mounted hides it: the
    folder's device (its st_dev) says which of the two it is really on."""
    table = "\n".join(
        [
            ROOT_LINE,
            line(54, "/srv/data/local", "ext4", device="8:17"),
            line(55, "/srv/data", "nfs4", device="0:55"),
        ]
    )
    assert mounts.filesystem_of("/srv/data/local/x", table, "0:55") == "nfs4"
    assert mounts.filesystem_of("/srv/data/local/x", table, "8:17") == "ext4"
    assert mounts.filesystem_of("/srv/data/local/x", table, None) == "ext4"  # the prefix
    assert mounts.filesystem_of("/srv/data/local/x", table, "0:99") == "ext4"  # (btrfs)
    # only a mount whose point holds the folder counts, whatever its device
    assert mounts.filesystem_of("/srv/other", table, "0:55") == "ext4"


def test_a_table_without_a_matching_line_says_nothing() -> None:
    assert mounts.filesystem_of("/srv", "") is None
    assert mounts.filesystem_of("/srv", line(50, "/mnt", "nfs")) is None


def test_tab_newline_in_a_mount_point() -> None:
    text = line(51, "/mnt/a\\011b\\012c", "cifs")
    assert mounts.filesystem_of("/mnt/a\tb\nc/store", text) == "cifs"
    assert mounts.filesystem_of("/mnt/a b c/store", text) is None


# -- the store's folder, resolved ---------------------------------------------------------------


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """tmp_path/{local, nfs, cifs, sshfs, ext4, tmpfs, overlay, fuse-overlayfs, my share},
    each a folder with the matching mount in a fake table that MOUNT_TABLE points at; and
    tmp_path/nfs/scratch, a local disk mounted inside the share."""
    root = tmp_path.resolve()
    kinds = {
        "nfs": "nfs",
        "nfs4": "nfs4",
        "cifs": "cifs",
        "sshfs": "fuse.sshfs",
        "ext4": "ext4",
        "tmpfs": "tmpfs",
        "overlay": "overlay",
        "fuse-overlayfs": "fuse.fuse-overlayfs",
        "my share": "nfs4",
    }
    lines = []
    for n, (name, fstype) in enumerate(kinds.items(), start=60):
        (root / name).mkdir()
        point = str(root / name).replace(" ", "\\040")  # as the kernel writes it
        lines.append(line(n, point, fstype))
    (root / "nfs" / "scratch").mkdir()
    lines.append(line(70, f"{root}/nfs/scratch", "ext4"))
    (root / "local").mkdir()
    monkeypatch.setattr(mounts, "MOUNT_TABLE", str(table(tmp_path, *lines)))
    return root


@pytest.mark.parametrize(
    ("folder", "fstype"),
    [("nfs", "nfs"), ("nfs4", "nfs4"), ("cifs", "cifs"), ("sshfs", "fuse.sshfs")],
)
def test_a_store_on_a_network_mount_is_refused(tree: Path, folder: str, fstype: str) -> None:
    store = tree / folder / "team.db"
    assert mounts.store_filesystem(store) == fstype
    with pytest.raises(StoreFault) as caught:
        mounts.refuse_network_filesystem(store)
    assert caught.value.exit_code == ExitCode.STORE
    assert caught.value.message == (
        f"the store {store} is on a network filesystem ({fstype}): SQLite's locking is not"
        " safe there; nothing was read or changed"
    )
    assert caught.value.hint is not None and HINT in caught.value.hint
    assert not store.exists()


@pytest.mark.parametrize(
    ("folder", "fstype"),
    [
        ("local", "ext4"),
        ("ext4", "ext4"),
        ("tmpfs", "tmpfs"),
        ("overlay", "overlay"),
        ("fuse-overlayfs", "fuse.fuse-overlayfs"),
        ("nfs/scratch", "ext4"),  # a local disk mounted inside the share
    ],
)
def test_a_store_on_a_local_mount_is_accepted(tree: Path, folder: str, fstype: str) -> None:
    store = tree / folder / "team.db"
    assert mounts.store_filesystem(store) == fstype
    mounts.refuse_network_filesystem(store)  # does not raise
    open_for_write(store).close()
    assert store.is_file()


def test_an_escaped_space_in_the_mount_point(tree: Path) -> None:
    assert mounts.store_filesystem(tree / "my share" / "team.db") == "nfs4"
    with pytest.raises(StoreFault, match=r"my share/team\.db is on a network filesystem \(nfs4\)"):
        open_for_write(tree / "my share" / "team.db")


def real_device(folder: Path) -> str:
    found = folder.stat()
    return f"{os.major(found.st_dev)}:{os.minor(found.st_dev)}"


def test_the_real_device_of_the_store_folder_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path.resolve()
    (root / "data" / "local").mkdir(parents=True)
    device = real_device(root)
    store = root / "data" / "local" / "new" / "team.db"  # its folder does not exist yet
    hidden = line(90, f"{root}/data/local", "ext4", device="8:17")
    share = line(91, f"{root}/data", "nfs4", device=device)  # over it: what the folder is on
    monkeypatch.setattr(mounts, "MOUNT_TABLE", str(table(tmp_path, hidden, share)))
    assert mounts.store_filesystem(store) == "nfs4"
    with pytest.raises(StoreFault, match=r"\(nfs4\)"):
        open_for_write(store, may_create_folder=True)
    assert not (root / "data" / "local" / "new").exists()
    local = line(92, f"{root}/data/local", "ext4", device=device)
    share = line(93, f"{root}/data", "nfs4", device="0:93")
    monkeypatch.setattr(mounts, "MOUNT_TABLE", str(table(tmp_path, share, local)))
    assert mounts.store_filesystem(store) == "ext4"


def test_a_symlinked_folder_is_judged_where_it_leads(tree: Path) -> None:
    (tree / "local" / "link").symlink_to(tree / "nfs")
    store = tree / "local" / "link" / "team.db"
    assert mounts.store_filesystem(store) == "nfs"
    with pytest.raises(StoreFault, match=r"link/team\.db is on a network filesystem \(nfs\)"):
        open_for_write(store)
    assert not (tree / "nfs" / "team.db").exists()
    # and the other way round: a link on the share to a local folder is fine
    (tree / "nfs" / "back").symlink_to(tree / "local")
    assert mounts.store_filesystem(tree / "nfs" / "back" / "team.db") == "ext4"


def test_a_symlinked_store_file_is_judged_where_it_leads(tree: Path) -> None:
    (tree / "local" / "team.db").symlink_to(tree / "cifs" / "real.db")
    assert mounts.store_filesystem(tree / "local" / "team.db") == "cifs"
    with pytest.raises(StoreFault, match=r"\(cifs\)"):
        open_for_read(tree / "local" / "team.db")


def test_a_relative_path_is_judged_from_the_working_folder(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tree / "sshfs")
    assert mounts.store_filesystem(Path("team.db")) == "fuse.sshfs"
    monkeypatch.chdir(tree / "local")
    assert mounts.store_filesystem(Path("team.db")) == "ext4"


def test_a_store_to_be_created_in_missing_folders_is_judged_by_the_mount_they_would_be_on(
    tree: Path,
) -> None:
    store = tree / "nfs4" / "a" / "b" / "team.db"
    assert mounts.store_filesystem(store) == "nfs4"
    with pytest.raises(StoreFault, match=r"\(nfs4\)"):
        open_for_write(store, may_create_folder=True)
    assert not (tree / "nfs4" / "a").exists()


def test_an_unreadable_table_refuses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mounts, "MOUNT_TABLE", str(tmp_path / "no-such-table"))
    assert mounts.store_filesystem(tmp_path / "team.db") is None
    mounts.refuse_network_filesystem(tmp_path / "team.db")
    open_for_write(tmp_path / "team.db").close()


def test_this_machines_table_does_not_refuse_the_test_folder(tmp_path: Path) -> None:
    assert mounts.MOUNT_TABLE == "/proc/self/mountinfo"
    if not os.path.exists(mounts.MOUNT_TABLE):
        pytest.skip("no /proc/self/mountinfo here (not Linux): nothing is ever refused")
    fstype = mounts.store_filesystem(tmp_path / "store.db")
    assert fstype is not None  # the real table was read and holds tmp_path's mount
    assert not mounts.is_network(fstype), fstype
    mounts.refuse_network_filesystem(tmp_path / "store.db")


# -- through the command line -------------------------------------------------------------------


@pytest.fixture
def on_nfs(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fake mount table (outside tmp_path) that puts tmp_path on nfs4. Returns it; the
    test points MOUNT_TABLE at it when it is ready."""
    path = tmp_path_factory.mktemp("mounts") / "mountinfo"
    path.write_text(
        "\n".join([ROOT_LINE, line(80, str(tmp_path.resolve()), "nfs4", "files:/team")]) + "\n",
        encoding="utf-8",
    )
    return path


def files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def expect_refused(cli: Cli, db_path: Path, *args: str) -> None:
    """ARGS exit 7 with the one error line naming the store and nfs4, and the hint; the
    store (and anything else in its folder) is as it was."""
    before = files(db_path.parent)
    result = refused(cli, db_path, ExitCode.STORE, *args, hint=HINT)
    error, hint = failure(result, ExitCode.STORE)
    assert error == (
        f"error: the store {db_path} is on a network filesystem (nfs4): SQLite's locking is"
        " not safe there; nothing was read or changed"
    )
    assert hint == (
        "hint: put the store on a PostgreSQL server: --db postgresql://USER@HOST/DB, or on"
        " a local disk (docs/storage.md)"
    )
    assert files(db_path.parent) == before


@pytest.fixture
def store_on_nfs(
    cli: Cli, db_path: Path, on_nfs: Path, monkeypatch: pytest.MonkeyPatch
) -> list[str]:
    """A store built on the real (local) table, then found on nfs4; its dump."""
    ok(cli("login", OWNER, "--name", "Ana Souza"))
    ok(cli("account", "create", ACME, "--name", "Acme Cursos", "--tax-id", CNPJ, "--country", "BR"))
    monkeypatch.setattr(mounts, "MOUNT_TABLE", str(on_nfs))
    return dump(db_path)


def test_reads_of_a_store_on_nfs_exit_7(cli: Cli, db_path: Path, store_on_nfs: list[str]) -> None:
    expect_refused(cli, db_path, "--as", OWNER, "can", OWNER, "products.view", "-a", ACME)
    expect_refused(cli, db_path, "--as", OWNER, "account", "list")
    expect_refused(cli, db_path, "--as", OWNER, "account", "list", "--json")
    expect_refused(cli, db_path, "audit", "verify")
    assert dump(db_path) == store_on_nfs


def test_writes_to_a_store_on_nfs_exit_7(cli: Cli, db_path: Path, store_on_nfs: list[str]) -> None:
    expect_refused(cli, db_path, "login", BOB)
    expect_refused(cli, db_path, "--as", OWNER, "invite", BOB, "-p", "x", "-a", ACME)
    assert dump(db_path) == store_on_nfs


def test_nothing_is_created_on_nfs(
    cli: Cli, db_path: Path, tmp_path: Path, on_nfs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mounts, "MOUNT_TABLE", str(on_nfs))
    expect_refused(cli, db_path, "login", OWNER)
    expect_refused(cli, db_path, "--as", OWNER, "can", OWNER, "products.view", "-a", ACME)
    assert files(tmp_path) == []


def test_the_default_store_folder_on_nfs_is_not_created(
    cli: Cli, tmp_path: Path, on_nfs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("COLABCTL_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    expected = Path(platformdirs.user_data_dir("colabctl")) / "colabctl.db"
    monkeypatch.setattr(mounts, "MOUNT_TABLE", str(on_nfs))
    error, _ = failure(cli("login", OWNER), ExitCode.STORE, hint=HINT)
    assert error.startswith(f"error: the store {expected} is on a network filesystem (nfs4)")
    assert files(tmp_path) == []


def test_a_local_store_beside_the_fake_table_still_works(
    cli: Cli, tmp_path: Path, on_nfs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same fake table, a store outside the nfs4 mount: the table is what decides."""
    local = on_nfs.parent / "local.db"
    monkeypatch.setattr(mounts, "MOUNT_TABLE", str(on_nfs))
    ok(cli("--db", str(local), "login", OWNER))
    assert json.loads(ok(cli("--db", str(local), "whoami", "--json")).stdout)["user"] == OWNER
