"""A throwaway PostgreSQL cluster in a temporary directory (tests and benchmarks).

Started with initdb + pg_ctl (as the ``postgres`` user when run as root), reachable only through
a Unix socket, fsync off: a server that exists for one test session or one benchmark run.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path


class ClusterUnavailableError(RuntimeError):
    """No PostgreSQL server programs here, or no account to run them as."""


def pg_bindir() -> Path | None:
    """The folder of initdb and pg_ctl: ``pg_config --bindir``, else the newest Debian one."""
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(Path(out.stdout.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for bindir in candidates:
        if (bindir / "initdb").exists() and (bindir / "pg_ctl").exists():
            return bindir
    return None


class Cluster:
    """A PostgreSQL cluster in a temporary directory, reachable only through a Unix socket."""

    def __init__(self, bindir: Path) -> None:
        import pwd

        self.bindir = bindir
        # /tmp, not $TMPDIR: a short socket path, and a parent the postgres user can traverse
        tmp = "/tmp" if Path("/tmp").is_dir() else None
        self.dir = Path(tempfile.mkdtemp(prefix="geomon-pg-", dir=tmp))
        self.prefix: list[str] = []
        if os.geteuid() == 0:  # initdb refuses root: run the server as the `postgres` user
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailableError(
                    "running as root and there is no `postgres` OS user"
                ) from None
            os.chown(self.dir, account.pw_uid, account.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def run(self, tool: str, *args: str) -> None:
        done = subprocess.run(
            [*self.prefix, str(self.bindir / tool), *args], capture_output=True, text=True
        )
        if done.returncode != 0:
            log = self.dir / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            msg = f"{tool} {' '.join(args)} failed: {done.stdout}{done.stderr}{tail}"
            raise RuntimeError(msg)

    def start(self) -> dict[str, object]:
        """Start the server; return libpq connection keywords for its superuser."""
        data = str(self.dir / "data")
        self.run("initdb", "-D", data, "--auth=trust", "-U", "postgres", "--encoding=UTF8",
                 "--no-locale", "--no-sync")  # fmt: skip
        options = (f"-k {self.dir} -p 5432 -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")  # fmt: skip
        self.run("pg_ctl", "-D", data, "-l", str(self.dir / "log"), "-o", options, "-w", "start")
        return {"host": str(self.dir), "port": 5432, "user": "postgres"}

    def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # not started: nothing to stop
            self.run("pg_ctl", "-D", str(self.dir / "data"), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)
