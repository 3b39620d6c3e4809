"""The data shipped with the package: segment definitions, the segment JSON Schema, expectation suites.

In a source checkout ``segment_defs``, ``schemas`` and ``expectations`` here are links to the
repository's folders of those names (one copy of each file, where analysts and reviewers edit
it); a built wheel carries the files themselves. Code reads them with ``importlib.resources``
only, and the settings (``jobs.settings``) can point at other folders instead.
"""

from __future__ import annotations

from importlib import resources
from importlib.abc import Traversable
from pathlib import Path


def shipped(name: str) -> Traversable:
    """The shipped folder or file ``name`` (e.g. ``schemas/segment.schema.json``)."""
    return resources.files(__package__).joinpath(name)


def shipped_path(name: str) -> str:
    """The shipped folder ``name`` as a local path (definitions are walked as plain files).

    Raises:
        RuntimeError: the package is not installed as files on disk (e.g. imported from a zip).
    """
    found = shipped(name)
    if not isinstance(found, Path):
        raise RuntimeError(f"the package's {name} folder is not on disk ({found}); install the wheel unzipped")
    return str(found.resolve())
