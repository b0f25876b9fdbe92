"""A throwaway PostgreSQL cluster for the suite: initdb + pg_ctl as ``postgres`` in a temp dir.

Unix socket in that dir, no TCP (``listen_addresses=''``), stopped at the end of the session.
``pg_url`` is a fresh database per test; tests that need one skip, with the reason, only
when no server can be started (no PostgreSQL binaries, no ``postgres`` user).
"""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
_counter = itertools.count()


def _as_postgres(*argv: str) -> list[str]:
    if os.geteuid() != 0:  # already an unprivileged user: run the binaries as ourselves
        return list(argv)
    runuser = shutil.which("runuser")
    if runuser:
        return [runuser, "-u", "postgres", "--", *argv]
    return ["su", "postgres", "-c", " ".join(argv)]


class Cluster:
    """A running cluster: ``url(db)`` names a database on its socket."""

    def __init__(self, root: Path, bindir: Path) -> None:
        self.root, self.bindir = root, bindir
        self.data, self.socket = root / "data", root / "sock"
        self.user = "postgres" if os.geteuid() == 0 else pwd.getpwuid(os.geteuid()).pw_name

    def url(self, db: str = "postgres") -> str:
        return f"postgresql://{self.user}@/{db}?host={self.socket}"

    def start(self) -> None:
        self.socket.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(self.socket, "postgres", "postgres")
        run = _as_postgres(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
            "-U",
            self.user,
        )
        subprocess.run(run, check=True, capture_output=True, cwd=self.root)
        options = f"-c listen_addresses='' -c unix_socket_directories={self.socket} -c fsync=off"
        start = _as_postgres(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )
        subprocess.run(start, check=True, capture_output=True, cwd=self.root)

    def stop(self) -> None:
        stop = _as_postgres(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop")
        subprocess.run(stop, capture_output=True, cwd=self.root)

    def new_database(self) -> str:
        import psycopg

        name = f"t{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.url(name)


def start_cluster() -> tuple[Cluster | None, str]:
    """A started cluster, or None and why not."""
    if not BIN_DIRS:
        return None, "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb)"
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return None, "psycopg is not installed"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return None, "no postgres user to run the server as"
    root = Path(tempfile.mkdtemp(prefix="archiver-pg-"))
    root.chmod(0o755)
    cluster = Cluster(root, BIN_DIRS[0])
    try:
        cluster.start()
    except (OSError, subprocess.CalledProcessError) as exc:
        log = root / "log"
        detail = log.read_text(errors="replace")[-300:] if log.exists() else str(exc)
        shutil.rmtree(root, ignore_errors=True)
        return None, f"cannot start a PostgreSQL server: {detail.strip()}"
    return cluster, ""


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    cluster, why = start_cluster()
    if cluster is None:
        pytest.skip(why)
    try:
        yield cluster
    finally:
        cluster.stop()
        shutil.rmtree(cluster.root, ignore_errors=True)


@pytest.fixture
def pg_url(pg_cluster: Cluster) -> str:
    """A new empty database on the session's cluster."""
    return pg_cluster.new_database()
