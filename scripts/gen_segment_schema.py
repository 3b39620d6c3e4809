#!/usr/bin/env python
"""Regenerates the catalog enums (labels, events, dimensions, measures) in schemas/segment.schema.json.

Usage: python scripts/gen_segment_schema.py [--check]   (--check: exit 1 if the schema is stale)
"""

from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from jobs.segments.language.schema_catalog import refresh_schema  # noqa: E402

SCHEMA = pathlib.Path(__file__).resolve().parents[1] / "schemas" / "segment.schema.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the schema is up to date")
    args = parser.parse_args()
    current = SCHEMA.read_text(encoding="utf-8")
    fresh = refresh_schema(current)
    if args.check:
        if fresh != current:
            print(f"{SCHEMA} is stale: run python scripts/gen_segment_schema.py", file=sys.stderr)
            return 1
        return 0
    SCHEMA.write_text(fresh, encoding="utf-8")
    print(f"wrote {SCHEMA}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
