#!/usr/bin/env python
"""Regenerates the label reference in docs/labels.md from jobs/catalogs/labels.yaml.

Usage: python scripts/gen_label_docs.py [--check]   (--check: exit 1 if the page is stale)
"""

from __future__ import annotations

import argparse
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

from jobs.labels.reference import replace_reference  # noqa: E402

DOC = pathlib.Path(__file__).resolve().parents[1] / "docs" / "labels.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check that the page is up to date")
    args = parser.parse_args()
    current = DOC.read_text(encoding="utf-8")
    fresh = replace_reference(current)
    if args.check:
        if fresh != current:
            print(f"{DOC} is stale: run python scripts/gen_label_docs.py", file=sys.stderr)
            return 1
        return 0
    DOC.write_text(fresh, encoding="utf-8")
    print(f"wrote {DOC}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
