"""Peak memory of one HTTP-to-S3 copy, at growing file sizes.

Three processes, so only the copier's memory is measured:
- the file host: `python -m bench.memory serve`, a ThreadingHTTPServer on
  127.0.0.1 that generates each file's bytes as it sends them (a seeded 1 MiB
  block, stamped with its index), so it never holds a file;
- the emulator (`moto_server`), which receives the multipart upload (moto keeps
  the parts in its own process: not counted);
- the copier: `python -m bench.memory copy`, a fresh process per size that
  builds the Lambda's own `FileCopier` (`wiring.copier()`), copies one file and
  reports its peak resident memory (`VmHWM`, and `ru_maxrss`), its memory after
  the imports, and the copy's outcome. The parent checks the size and SHA-256
  against the same generator.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from bench.emulator import status_kb

REPO_ROOT = Path(__file__).resolve().parent.parent
BLOCK = 1024 * 1024
MiB = 1024 * 1024


# ------------------------------------------------------------------ the bytes


def _block() -> bytes:
    return random.Random("revops-bench-memory").randbytes(BLOCK)


def stream(size: int) -> Iterator[bytes]:
    """The file of `size` bytes, block by block (each block stamped with its index)."""
    block = _block()
    index = 0
    sent = 0
    while sent < size:
        piece = index.to_bytes(8, "big") + block[8:]
        piece = piece[: size - sent]
        yield piece
        sent += len(piece)
        index += 1


def expected_sha256(size: int) -> str:
    digest = hashlib.sha256()
    for piece in stream(size):
        digest.update(piece)
    return digest.hexdigest()


# ------------------------------------------------------------------ file host


class _FileHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _size(self) -> int | None:
        name = self.path.rsplit("/", 1)[-1]
        return int(name) if name.isdigit() else None

    def _headers(self, size: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.send_header("ETag", f'"bench-{size}"')
        self.end_headers()

    def do_HEAD(self) -> None:
        size = self._size()
        if size is None:
            self.send_error(404)
            return
        self._headers(size)

    def do_GET(self) -> None:
        size = self._size()
        if size is None:
            self.send_error(404)
            return
        self._headers(size)
        try:
            for piece in stream(size):
                self.wfile.write(piece)
        except (BrokenPipeError, ConnectionResetError):
            pass


def serve(port: int) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), _FileHandler)
    server.daemon_threads = True
    server.serve_forever()


# ------------------------------------------------------------------ the copier


def copy(url: str, bucket: str, key: str) -> dict[str, Any]:
    """Runs in the measured process: one streamed copy with the Lambda's copier."""
    started_rss = status_kb("VmRSS")
    import local  # noqa: F401  (puts the layer on sys.path)
    from revops.migration import wiring
    from revops.migration.transfer import CopyRequest
    from revops.migration.urls import HttpSource

    copier = wiring.copier()
    imported_rss = status_kb("VmRSS")

    samples: list[int] = []
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            samples.append(status_kb("VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.perf_counter()
    outcome = copier.copy(
        CopyRequest(
            record_id="a0B000000000001AAA", source=HttpSource(url), dest_bucket=bucket, dest_key=key
        )
    )
    seconds = time.perf_counter() - began
    done.set()
    sampler.join()
    return {
        "size": outcome.size,
        "sha256": outcome.sha256,
        "status": outcome.status,
        "seconds": seconds,
        "rss_start_kb": started_rss,
        "rss_after_imports_kb": imported_rss,
        "rss_max_sampled_kb": max(samples, default=imported_rss),
        "vm_hwm_kb": status_kb("VmHWM"),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "part_size": copier.part_size,
    }


# ------------------------------------------------------------------ orchestration


@dataclass
class MemoryRun:
    size_bytes: int
    peak_rss_mb: float  # VmHWM of the copying process
    ru_maxrss_mb: float  # the same peak as getrusage reports it
    sampled_max_mb: float  # the largest VmRSS seen by sampling every 50 ms
    after_imports_mb: float
    seconds: float
    mb_per_s: float
    sha256_ok: bool
    size_ok: bool
    part_size_mb: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class FileHost:
    def __init__(self) -> None:
        from bench.emulator import free_port

        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> FileHost:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.memory", "serve", "--port", str(self.port)],
            cwd=REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                requests.head(f"{self.base}/files/1", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        raise RuntimeError("the file host did not start")

    def __exit__(self, *exc: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)

    def url(self, size: int) -> str:
        return f"{self.base}/files/{size}"


def measure(endpoint: str, s3: Any, bucket: str, sizes: list[int]) -> list[MemoryRun]:
    """Copy one file of each size, each in a fresh process; returns the peaks."""
    from bench.emulator import aws_env, clean_env

    runs = []
    env = clean_env(aws_env(endpoint) | {"POWERTOOLS_LOG_LEVEL": "WARNING"})
    with FileHost() as host:
        for size in sizes:
            key = f"memory/{size}.bin"
            done = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "bench.memory",
                    "copy",
                    "--url",
                    host.url(size),
                    "--bucket",
                    bucket,
                    "--key",
                    key,
                ],
                cwd=REPO_ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(
                    f"the memory copy of {size} bytes failed:\n{done.stderr[-2000:]}"
                )
            report = json.loads(done.stdout.strip().splitlines()[-1])
            runs.append(
                MemoryRun(
                    size_bytes=size,
                    peak_rss_mb=report["vm_hwm_kb"] / 1024,
                    ru_maxrss_mb=report["ru_maxrss_kb"] / 1024,
                    sampled_max_mb=report["rss_max_sampled_kb"] / 1024,
                    after_imports_mb=report["rss_after_imports_kb"] / 1024,
                    seconds=report["seconds"],
                    mb_per_s=size / MiB / report["seconds"],
                    sha256_ok=report["sha256"] == expected_sha256(size),
                    size_ok=report["size"] == size
                    and int(s3.head_object(Bucket=bucket, Key=key)["ContentLength"]) == size,
                    part_size_mb=report["part_size"] / MiB,
                )
            )
            s3.delete_object(Bucket=bucket, Key=key)
    return runs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="memory benchmark helpers")
    sub = parser.add_subparsers(dest="command", required=True)
    serve_cmd = sub.add_parser("serve", help="the file host")
    serve_cmd.add_argument("--port", type=int, required=True)
    copy_cmd = sub.add_parser("copy", help="one measured copy; prints a JSON report")
    copy_cmd.add_argument("--url", required=True)
    copy_cmd.add_argument("--bucket", required=True)
    copy_cmd.add_argument("--key", required=True)
    args = parser.parse_args(argv)
    if args.command == "serve":
        serve(args.port)
    else:
        print(json.dumps(copy(args.url, args.bucket, args.key)))


if __name__ == "__main__":
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    main()
