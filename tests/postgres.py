"""A throwaway PostgreSQL server for tests (Debian's postgresql package), on a free port."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from workers.supervisor import free_port


def pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_postgres(argv: list[str]) -> list[str]:
    # initdb refuses to run as root; CI runs as root, so run the server as "postgres".
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binaries = pg_bin()
    if binaries is None:
        pytest.skip("PostgreSQL not installed (Debian package postgresql; make test installs it as root)")
    if os.geteuid() == 0 and shutil.which("runuser") is None:
        pytest.skip("running as root without runuser: cannot start PostgreSQL")
    # Not under pytest's tmp folder: that one is private to root, and the server runs as postgres.
    data = Path(tempfile.mkdtemp(prefix="ernstfall-pg-"))
    if os.geteuid() == 0:
        shutil.chown(data, "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres([str(binaries / "initdb"), "-D", str(data / "db"), "-U", "postgres", "--auth=trust"]),
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        _as_postgres(
            [
                str(binaries / "postgres"),
                "-D",
                str(data / "db"),
                "-p",
                str(port),
                "-k",
                str(data),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
            ]
        ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            with psycopg.connect(
                f"host=127.0.0.1 port={port} user=postgres dbname=postgres", autocommit=True
            ) as conn:
                conn.execute("CREATE DATABASE ernstfall")
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                server.terminate()
                raise
            time.sleep(0.2)
    yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/ernstfall"
    server.terminate()
    server.wait(20)
    shutil.rmtree(data, ignore_errors=True)
