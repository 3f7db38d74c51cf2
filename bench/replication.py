"""A PostgreSQL primary and its streaming replica of their own, for the replica test
(tests/reliability/test_read_replicas.py) and `make bench BENCH_REPLICA=1`: initdb,
pg_basebackup -R and pg_ctl, as the postgres user when this process is root (initdb refuses
root), in a temporary directory, on free ports. The machine's own cluster is never touched."""

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def bindir() -> str | None:
    """Where initdb, pg_ctl and pg_basebackup are; None when they are not on this machine."""
    tools = ("initdb", "pg_ctl", "pg_basebackup", "psql")
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if all(os.path.exists(f"{candidate}/{tool}") for tool in tools):
            return candidate
    found = [shutil.which(tool) for tool in tools]
    return os.path.dirname(found[0]) if all(found) and found[0] else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Cluster:
    """The two servers' tools and data directories under `root`."""

    def __init__(self, tools: str, root: Path) -> None:
        self.tools, self.root = tools, root
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.ports = {"primary": _free_port(), "replica": _free_port()}
        self.running: list[str] = []

    def run(self, tool: str, *args: object, timeout: int = 180) -> str:
        done = subprocess.run(
            [*self.as_postgres, f"{self.tools}/{tool}", *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"{tool} exited {done.returncode}: {done.stdout}{done.stderr}")
        return done.stdout

    def url(self, name: str, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.ports[name]}/{database}"

    def start(self, name: str) -> None:
        self.run(
            "pg_ctl", "-D", self.root / name, "-l", self.root / f"{name}.log", "-w",
            "-o", f"-p {self.ports[name]}", "start",
        )  # fmt: skip
        self.running.append(name)

    def stop(self, name: str) -> None:
        if name in self.running:
            self.run("pg_ctl", "-D", self.root / name, "-m", "fast", "-w", "stop")
            self.running.remove(name)

    def create_database(self, database: str) -> None:
        self.run(
            "psql", "-h", "127.0.0.1", "-p", self.ports["primary"], "-U", "postgres",
            "-c", f'CREATE DATABASE "{database}"',
        )  # fmt: skip


@contextlib.contextmanager
def primary_and_replica(*, settings: str = "") -> Iterator[Cluster]:
    """A running primary and its streaming replica (hot standby); stopped and removed on the
    way out. `settings`: more lines for the primary's postgresql.conf."""
    tools = bindir()
    if tools is None:
        raise FileNotFoundError("PostgreSQL's server binaries (initdb, pg_ctl) are not here")
    root = Path(tempfile.mkdtemp(prefix="economy-replica-"))
    cluster = Cluster(tools, root)
    if cluster.as_postgres:
        shutil.chown(root, "postgres")
    try:
        cluster.run(
            "initdb", "-D", root / "primary", "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        with open(root / "primary" / "postgresql.conf", "a") as conf:
            conf.write(
                "listen_addresses = '127.0.0.1'\n"
                f"unix_socket_directories = '{root}'\n"
                "wal_level = replica\nmax_wal_senders = 4\nhot_standby = on\n"
                "max_connections = 200\n" + settings
            )
        cluster.start("primary")
        cluster.run(
            "pg_basebackup", "-h", "127.0.0.1", "-p", cluster.ports["primary"], "-U", "postgres",
            "-D", root / "replica", "-R", "-X", "stream",
        )  # fmt: skip
        cluster.start("replica")
        yield cluster
    finally:
        for name in reversed(cluster.running):
            with contextlib.suppress(Exception):
                cluster.stop(name)
        shutil.rmtree(root, ignore_errors=True)
