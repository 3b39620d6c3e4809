"""Benchmark (not a test): the JSON Schema check of 100 definition files, home-made compiler vs jsonschema.

Generates N definition files from the examples in ``segment_defs/`` (each example copied with a new
id, round robin), loads them once with ``jobs.segments.sources`` (untimed), then times, best of
``--repeat`` runs over all N documents:

- ``old``: the yes/no check compiled by the former ``jobs/segments/conforms.py`` (taken from the
  working tree if it is still there, else from the last git commit that had it);
- ``new``: ``jsonschema``'s validator of the segment schema, built once and cached
  (``jobs.segments.language.schema.validator().is_valid``);
- ``schema_errors``: the whole schema step of the validator as it is now (the located messages of
  ``jobs.segments.language.schema.schema_errors``: none here, the files are valid);
- ``validate``: ``jobs.segments.validate.validate`` of the folder (load, schema, build, passes).

    .venv/bin/python scripts/bench_validate.py [--files 100] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import types

import yaml

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFORMS = "jobs/segments/conforms.py"


def old_compiler() -> types.ModuleType:
    """The former home-made compiler: the file itself, or its last committed version."""
    path = os.path.join(REPO, CONFORMS)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            source = fh.read()
    else:
        last = subprocess.run(["git", "-C", REPO, "rev-list", "-n", "1", "HEAD", "--", CONFORMS],
                              capture_output=True, text=True, check=True).stdout.strip()
        shown = subprocess.run(["git", "-C", REPO, "show", f"{last}:{CONFORMS}"], capture_output=True, text=True)
        if shown.returncode:  # the last commit touching it removed it: the version before
            shown = subprocess.run(["git", "-C", REPO, "show", f"{last}^:{CONFORMS}"],
                                   capture_output=True, text=True, check=True)
        source = shown.stdout
    module = types.ModuleType("old_conforms")
    exec(compile(source, CONFORMS, "exec"), module.__dict__)  # noqa: S102 - the repository's own former code
    return module


def write_definitions(folder: str, count: int) -> None:
    """``count`` files made from the example definitions (imports left out: they need their CSV)."""
    examples = []
    for app in sorted(os.listdir(os.path.join(REPO, "segment_defs"))):
        app_dir = os.path.join(REPO, "segment_defs", app)
        for name in sorted(os.listdir(app_dir)):
            if name.endswith(".yaml"):
                with open(os.path.join(app_dir, name), encoding="utf-8") as fh:
                    data = yaml.safe_load(fh)
                if "source" not in data:
                    examples.append(data)
    os.makedirs(os.path.join(folder, "bench"))
    for i in range(count):
        data = dict(examples[i % len(examples)], id=f"bench_{i:03d}", app_id="bench")
        with open(os.path.join(folder, "bench", f"bench_{i:03d}.yaml"), "w", encoding="utf-8") as fh:
            yaml.safe_dump(data, fh, sort_keys=False)


def best(repeat: int, fn) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    sys.path.insert(0, REPO)
    from jobs.segments.sources import definition_files, load_document
    from jobs.segments.language.schema import schema_errors, segment_schema, validator
    from jobs.segments.validate import validate

    with tempfile.TemporaryDirectory() as folder:
        write_definitions(folder, args.files)
        docs = [load_document(a, r, folder)[0] for a, r in definition_files(folder)]
        old = old_compiler().compile_schema(segment_schema())
        new = validator()
        assert all(old(d.data) for d in docs) and all(new.is_valid(d.data) for d in docs)
        figures = {
            "old (home-made compiler)": best(args.repeat, lambda: [old(d.data) for d in docs]),
            "new (jsonschema, cached)": best(args.repeat, lambda: [new.is_valid(d.data) for d in docs]),
            "schema_errors (as now)": best(args.repeat, lambda: [schema_errors(d) for d in docs]),
            "validate (whole folder)": best(args.repeat, lambda: validate(folder)),
        }
    print(f"{args.files} definition files, best of {args.repeat} (Python {sys.version.split()[0]})")
    for name, seconds in figures.items():
        print(f"  {name:<26} {seconds * 1000:8.1f} ms")
    ratio = figures["new (jsonschema, cached)"] / figures["old (home-made compiler)"]
    print(f"  jsonschema / home-made: {ratio:.1f}x")


if __name__ == "__main__":
    main()
