"""A series of one benchmark at growing sizes, recorded in bench/results/<name>-<time>.json."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def run_series(
    name: str,
    sizes: Iterable[int],
    measure: Callable[[int], dict[str, Any]],
    report: Callable[[dict[str, Any]], str],
    argv: list[str] | None,
) -> int:
    """Measure every size, saving the results after each (a long series survives a
    failure), then print the report. The results keep the command and the machine's
    load before and after."""
    started = datetime.now(UTC)
    args = argv if argv is not None else sys.argv[1:]
    results: dict[str, Any] = {
        "started": started.isoformat(timespec="seconds"),
        "command": f"python -m bench.{name}_scale " + " ".join(args),
        "cpus": os.cpu_count(),
        "loadBefore": os.getloadavg(),
        "sizes": [],
    }
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}-{started.strftime('%Y%m%dT%H%M%SZ')}.json"
    for size in sizes:
        results["sizes"].append(measure(size))
        path.write_text(json.dumps(results, indent=2) + "\n")
    results["loadAfter"] = os.getloadavg()
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    print(f"\nresults: bench/results/{path.name}")
    return 0


class CallCounter:
    """Every AWS API call this process makes, counted by service and operation
    (`s3:CopyObject`), from botocore's one entry point."""

    def __init__(self) -> None:
        from botocore.client import BaseClient

        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()
        original = BaseClient._make_api_call
        calls = self

        def counted(client: Any, operation: str, params: Any) -> Any:
            name = f"{client.meta.service_model.service_name}:{operation}"
            with calls._lock:
                calls.counts[name] = calls.counts.get(name, 0) + 1
            return original(client, operation, params)

        BaseClient._make_api_call = counted

    def take(self) -> dict[str, int]:
        with self._lock:
            taken, self.counts = dict(sorted(self.counts.items())), {}
        return taken
