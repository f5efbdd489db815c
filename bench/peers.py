"""The peers: rclone, s5cmd and `aws s3 cp --recursive`, copying bucket to bucket.

`aws-sha256` is the peer that does our work: `aws s3 cp --recursive
--checksum-algorithm SHA256` asks S3 for the SHA-256 of every copy, as ours
does (the bare peers ask for nothing but the copy).

Each runs as a subprocess against the same endpoint (the emulator, or the
latency proxy in front of it), with the same fake credentials, into its own
fresh destination bucket. Each runner takes `concurrency`, the number of
copies in flight, which the caller sets equal for every tool (and to ours);
every other setting is the tool's default.

Go tools (rclone, s5cmd) refuse this machine's CA variables, so those are
removed from their environment only.
"""

from __future__ import annotations

import resource
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.emulator import ACCESS_KEY, REGION, SECRET_KEY, aws_env, clean_env

BENCH_VENV = Path(__file__).resolve().parent.parent / ".venv-bench"
CA_VARIABLES = (
    "AWS_CA_BUNDLE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "CURL_CA_BUNDLE",
    "REQUESTS_CA_BUNDLE",
    "NIX_SSL_CERT_FILE",
)


@dataclass
class PeerRun:
    name: str
    version: str
    flags: str
    seconds: float
    cpu_seconds: float  # the tool's own CPU (user + system, children included)
    returncode: int
    stderr_tail: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _tool(name: str) -> str | None:
    local = BENCH_VENV / "bin" / name
    if local.exists():
        return str(local)
    return shutil.which(name)


def _version(command: list[str]) -> str:
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[0].strip() if text else "unknown"


def go_env(extra: dict[str, str]) -> dict[str, str]:
    env = clean_env(aws_env() | extra)
    for name in CA_VARIABLES:
        env.pop(name, None)
    return env


def rclone_env(endpoint: str) -> dict[str, str]:
    """An `emu:` remote defined entirely by environment variables."""
    return go_env(
        {
            "RCLONE_CONFIG_EMU_TYPE": "s3",
            "RCLONE_CONFIG_EMU_PROVIDER": "Other",
            "RCLONE_CONFIG_EMU_ENDPOINT": endpoint,
            "RCLONE_CONFIG_EMU_ACCESS_KEY_ID": ACCESS_KEY,
            "RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY": SECRET_KEY,
            "RCLONE_CONFIG_EMU_REGION": REGION,
            "RCLONE_CONFIG_EMU_FORCE_PATH_STYLE": "true",
        }
    )


@dataclass
class Tools:
    rclone: str | None
    s5cmd: str | None
    aws: str | None

    @classmethod
    def find(cls) -> Tools:
        return cls(rclone=_tool("rclone"), s5cmd=_tool("s5cmd"), aws=_tool("aws"))

    def missing(self) -> list[str]:
        return [name for name, path in asdict(self).items() if path is None]


def versions(tools: Tools) -> dict[str, str]:
    found = {}
    if tools.rclone:
        found["rclone"] = _version([tools.rclone, "version"])
    if tools.s5cmd:
        found["s5cmd"] = _version([tools.s5cmd, "version"])
    if tools.aws:
        found["aws"] = _version([tools.aws, "--version"])
    return found


def _timed(name: str, version: str, flags: str, command: list[str], env: dict[str, str]) -> PeerRun:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=1800, check=False
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    tail = "\n".join((done.stderr or "").strip().splitlines()[-5:])
    return PeerRun(name, version, flags, seconds, cpu, done.returncode, tail)


def run_rclone(
    path: str, version: str, endpoint: str, source: str, dest: str, concurrency: int
) -> PeerRun:
    flags = f"--transfers {concurrency} --checkers {concurrency} --fast-list"
    command = [
        path,
        "copy",
        f"emu:{source}",
        f"emu:{dest}",
        "--config",
        "/dev/null",
        *flags.split(),
        "--stats",
        "0",
        "--log-level",
        "ERROR",
    ]
    return _timed("rclone", version, flags, command, rclone_env(endpoint))


def run_s5cmd(
    path: str, version: str, endpoint: str, source: str, dest: str, concurrency: int
) -> PeerRun:
    flags = f"--numworkers {concurrency}"
    command = [
        path,
        "--endpoint-url",
        endpoint,
        *flags.split(),
        "--log",
        "error",
        "cp",
        f"s3://{source}/*",
        f"s3://{dest}/",
    ]
    return _timed("s5cmd", version, flags, command, go_env({}))


def run_aws(
    path: str,
    version: str,
    endpoint: str,
    source: str,
    dest: str,
    concurrency: int,
    *,
    checksum: str | None = None,
) -> PeerRun:
    flags = f"s3.max_concurrent_requests = {concurrency}"
    extra = ["--checksum-algorithm", checksum] if checksum else []
    if checksum:
        flags += f", --checksum-algorithm {checksum}"
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as config:
        config.write(
            f"[default]\nregion = {REGION}\ns3 =\n  max_concurrent_requests = {concurrency}\n"
        )
    try:
        env = clean_env(aws_env() | {"AWS_CONFIG_FILE": config.name})
        env.pop("AWS_SHARED_CREDENTIALS_FILE", None)
        command = [
            path,
            "--endpoint-url",
            endpoint,
            "s3",
            "cp",
            f"s3://{source}",
            f"s3://{dest}",
            "--recursive",
            "--only-show-errors",
            *extra,
        ]
        name = f"aws s3 cp --checksum-algorithm {checksum}" if checksum else "aws s3 cp"
        return _timed(name, version, flags, command, env)
    finally:
        Path(config.name).unlink(missing_ok=True)


def run_aws_sha256(
    path: str, version: str, endpoint: str, source: str, dest: str, concurrency: int
) -> PeerRun:
    return run_aws(path, version, endpoint, source, dest, concurrency, checksum="SHA256")


RUNNERS: dict[str, Callable[[str, str, str, str, str, int], PeerRun]] = {
    "rclone": run_rclone,
    "s5cmd": run_s5cmd,
    "aws": run_aws,
    "aws-sha256": run_aws_sha256,
}
PEERS = tuple(RUNNERS)
EQUAL_WORK = "aws-sha256"  # the peer that does our work


def tool_of(peer: str) -> str:
    """The installed tool a peer runs (`aws-sha256` is `aws` with a flag)."""
    return peer.split("-")[0]
