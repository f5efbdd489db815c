"""Where the CPU went: a py-spy `raw` (folded stacks) profile, summed by function.

    python -m bench.profile_summary bench/results/plan-100000-full.folded.txt
    python -m bench.profile_summary FILE --under plan_backup --top 30
    python -m bench.profile_summary FILE --process spawn_main   # `py-spy --subprocesses`

For each function: its share of all samples including what it calls
(`inclusive`) and spent in its own lines (`self`). `--under NAME` keeps only
the samples whose stack passes through a function named NAME (e.g. the
handler), so start-up and the harness drop out. With `py-spy --subprocesses`
each stack starts with its processes (`process PID:"command"`); `--process
TEXT` keeps the stacks of processes whose command contains TEXT (our copy
workers are `multiprocessing` children: `spawn_main`), threads included.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

_FRAME = re.compile(r"^(?P<name>.*?) \((?P<where>[^()]*)\)$")


def _function(frame: str) -> str:
    match = _FRAME.match(frame)
    if match is None:
        return frame
    where = match.group("where").rsplit(":", 1)[0]
    return f"{match.group('name')} ({where})"


def summarise(
    path: Path, under: str | None = None, process: str | None = None
) -> tuple[int, Counter[str], Counter[str]]:
    total = 0
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        raw = stack.split(";")
        processes = [f for f in raw if f.startswith("process ")]
        if process is not None and not any(process in f for f in processes):
            continue
        frames = [_function(f) for f in raw if not f.startswith("process ")]
        if not frames:
            continue
        if under is not None:
            names = [f.split(" (")[0] for f in frames]
            if under not in names:
                continue
            frames = frames[names.index(under) :]
        samples = int(count)
        total += samples
        for function in set(frames):
            inclusive[function] += samples
        own[frames[-1]] += samples
    return total, inclusive, own


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("profile", type=Path)
    parser.add_argument("--under", default=None, help="only stacks through this function")
    parser.add_argument("--process", default=None, help="only processes whose command has this")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args(argv)
    total, inclusive, own = summarise(args.profile, args.under, args.process)
    print(f"{total} samples" + (f" under {args.under}" if args.under else ""))
    print("\ninclusive")
    for function, samples in inclusive.most_common(args.top):
        print(f"  {100 * samples / total:5.1f}%  {function}")
    print("\nself")
    for function, samples in own.most_common(args.top):
        print(f"  {100 * samples / total:5.1f}%  {function}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
