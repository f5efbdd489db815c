"""Write (or check) the admin API's OpenAPI document, generated from the routes' code.

    python -m revops.agentmetrics.openapi            # rewrite functions/admin_api/openapi.json
    python -m revops.agentmetrics.openapi --check    # exit 1 when the checked-in file is stale

Run from the repository root with `layers/common` on the path (as the tests are).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_PATH = Path("functions/admin_api/openapi.json")


def render() -> str:
    """The document as checked in: sorted keys, two-space indents, final newline."""
    from revops.agentmetrics.api import openapi_document

    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--out", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args(argv)
    text = render()
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(
                f"{args.out} is stale: run python -m revops.agentmetrics.openapi", file=sys.stderr
            )
            return 1
        return 0
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
