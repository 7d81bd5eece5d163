"""A throwaway PostgreSQL cluster for the tests and benchmarks: Debian's server binaries,
`initdb` into a temporary folder, `pg_ctl start` on a free loopback port, removed after.

PostgreSQL refuses to run as root, and CI runs as root: there the cluster runs as the
`postgres` system user (`runuser -u postgres -- ...`). Where no server binaries exist,
`find_bindir()` returns None and callers skip with that reason (unless
COLABCTL_REQUIRE_POSTGRES=1, which .ci/run sets: then a missing server is a failure).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

SUPERUSER = "postgres"
PASSWORD = "s3cret-Hunter2"  # the superuser's; never to appear in any output


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("pg_config")
    candidates: list[Path] = []
    if found:
        out = subprocess.run([found, "--bindir"], capture_output=True, text=True, check=False)
        if out.returncode == 0:
            candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    return None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Cluster:
    """One running server. `url(db)` gives a connection URL for a database in it."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="colabctl-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0

    def _run(self, *argv: str) -> None:
        command = [str(self.bindir / argv[0]), *argv[1:]]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, text=True)

    def start(self) -> Cluster:
        if self._as_postgres:
            shutil.chown(self.root, user="postgres")
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self._as_postgres:
            shutil.chown(pwfile, user="postgres")
        # Logins over TCP need a password (scram), as on a real server: the tests check
        # that no message ever shows it. The socket in self.root is trust, for pg_ctl.
        self._run(
            "initdb", "-D", str(self.data), "--auth-local=trust", "--auth-host=scram-sha-256",
            "-U", SUPERUSER, f"--pwfile={pwfile}", "-E", "UTF8", "--no-sync",
            "--locale", "C.UTF-8",
        )  # fmt: skip
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=on -c max_connections=100"
        )
        log = str(self.root / "log")
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", log, "-w", "start")
        return self

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def url(self, db: str = "postgres", user: str = SUPERUSER, password: str = PASSWORD) -> str:
        return f"postgresql://{user}:{password}@127.0.0.1:{self.port}/{db}"
