"""The local AWS emulator for the benchmarks: `moto_server` in its own process.

Every tool under test talks to this one process over HTTP on 127.0.0.1, so they
all meet the same emulator. It runs apart from the benchmark processes so that
its CPU and memory (moto keeps every object in memory) never count as ours.

werkzeug's per-request access log is switched off: formatting and writing a log
line per request costs the emulator CPU, equally for every tool.

The process runs the local stack's storage patches
(`moto_patches.storage_patches`), which make moto answer as AWS does (S3
conditional copies, atomic DynamoDB requests) and at AWS's cost (a query starts
from its key, a transaction copies only its items, a projection picks its
attributes, a listing reads its page from an index: without them a
100,000-item table makes every query sort the table, and a 100,000-key bucket
every listing). They are the same for every tool.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"

_SERVER = (
    "import logging, sys\n"
    "logging.getLogger('werkzeug').setLevel(logging.ERROR)\n"
    "sys.path.insert(0, sys.argv.pop(1))\n"
    "from local import moto_patches\n"
    "moto_patches.storage_patches()\n"
    "from moto.server import main\n"
    "main(sys.argv[1:])\n"
)
REPO_ROOT = str(Path(__file__).resolve().parent.parent)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def aws_env(endpoint: str | None = None) -> dict[str, str]:
    """Fake credentials and region; with `endpoint`, every AWS SDK call goes there."""
    env = {
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
    }
    if endpoint:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The current environment without AWS profile settings, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_CONFIG_FILE")
        and not k.startswith("AWS_ENDPOINT_URL")
    }
    env.update(extra or {})
    return env


def process_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) a process has used so far, from /proc."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_kb(field: str) -> int:
    """A field of this process's /proc status, in kB (VmRSS, VmHWM: the peak RSS)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def machine_cpu_seconds() -> float:
    """CPU time every process on the machine has used so far (all cores), from /proc/stat."""
    with open("/proc/stat") as fh:
        fields = fh.readline().split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Emulator:
    """`moto_server` on a free port of 127.0.0.1, started and stopped with `with`."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def start(self, timeout: float = 30.0) -> None:
        env = clean_env(aws_env() | {"MOTO_PORT": str(self.port)})
        self._process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, REPO_ROOT, "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log(),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"moto_server exited with {self._process.returncode}")
            try:
                if requests.get(f"{self.endpoint}/moto-api/", timeout=1).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"moto_server did not answer on {self.endpoint}")

    @staticmethod
    def _log() -> Any:
        """Where the emulator's stderr goes: `$BENCH_EMULATOR_LOG` (appended), or nowhere."""
        path = os.environ.get("BENCH_EMULATOR_LOG")
        return open(path, "a") if path else subprocess.DEVNULL

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def rss_mb(self) -> float | None:
        """The emulator's resident memory (it holds every object we store)."""
        if self._process is None:
            return None
        try:
            with open(f"/proc/{self._process.pid}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1]) / 1024
        except OSError:
            return None
        return None

    def cpu_seconds(self) -> float:
        """CPU time (user + system) the emulator has used so far."""
        return process_cpu_seconds(self._process.pid) if self._process else 0.0

    def client(self, service: str, endpoint: str | None = None, **kwargs: Any) -> Any:
        """A boto3 client for the emulator (or for `endpoint`, e.g. the latency proxy)."""
        import boto3
        from botocore.config import Config

        config = kwargs.pop("config", None) or Config(
            retries={"max_attempts": 5, "mode": "standard"}, max_pool_connections=64
        )
        return boto3.client(
            service,
            endpoint_url=endpoint or self.endpoint,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            config=config,
            **kwargs,
        )

    def __enter__(self) -> Emulator:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
