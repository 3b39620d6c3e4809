"""Fuzz and property tests of the definition loader and validator (hypothesis): for any file,
random or adversarial, the outcome is a loaded definition or located DefinitionErrors, never an
exception, within bounded time and memory.

``HYPOTHESIS_PROFILE=long`` runs many more examples (docs/segments.md has the figures).
"""

from __future__ import annotations

import os
import time
import tracemalloc
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobs.segments import DefinitionError, validate
from jobs.segments.language.limits import MAX_DEPTH
from jobs.segments.sources import load_document

LONG = os.environ.get("HYPOTHESIS_PROFILE", "ci") == "long"
SETTINGS = settings(max_examples=2_000 if LONG else 60, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.function_scoped_fixture])
MAX_SECONDS = 5.0  # one file, however hostile
MAX_PEAK_BYTES = 64 * 1024 * 1024  # Python allocations while loading and validating one file

LABELS = ["has_gateway", "bound_devices", "platform", "register_time", "city_en", "lifecycle", "nope"]
OPS = ["eq", "ne", "in", "not_in", "lt", "ge", "between", "is_set", "within_last_days", "contains", "bogus"]
TAGS = ["", "!!int ", "!!float ", "!!bool ", "!!null ", "!!str ", "!!binary ", "!!timestamp ", "!!set ",
        "!!python/object/apply:os.system ", "!custom ", "!!omap "]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2 ** 70), max_value=2 ** 70),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.sampled_from(LABELS + OPS),
)


def _condition(children):
    leaf = st.fixed_dictionaries({"type": st.sampled_from(["label", "behavior", "segment", "x"]),
                                  "label": st.sampled_from(LABELS), "op": st.sampled_from(OPS), "value": SCALARS})
    return st.one_of(leaf, st.builds(lambda key, items: {key: items}, st.sampled_from(["all", "any"]), st.lists(children, max_size=4)),
                     st.fixed_dictionaries({"not": children}), SCALARS)


RULES = st.recursive(st.fixed_dictionaries({"type": st.just("label"), "label": st.sampled_from(LABELS),
                                            "op": st.sampled_from(OPS), "value": SCALARS}), _condition, max_leaves=30)
DOCUMENTS = st.fixed_dictionaries(
    {"id": st.one_of(st.sampled_from(["a", "b", "gateway_owners"]), st.text(max_size=10)),
     "app_id": st.sampled_from(["smartlife", "other", "*"]), "name": st.text(max_size=80)},
    optional={"rule": RULES, "refresh": st.sampled_from(["daily", "once", "weekly"]),
              "source": st.fixed_dictionaries({"csv": st.sampled_from(["a.csv", "../x.csv", "a\x00.csv", "/dev/zero", "sub"])}),
              "marketing_consent": SCALARS, "description": st.text(max_size=140)},
)


@st.composite
def adversarial(draw) -> bytes:
    """A YAML text built to stress the loader: deep nesting, aliases, tags that may not construct,
    duplicate keys, and random mutations of a plausible definition."""
    kind = draw(st.sampled_from(["document", "deep", "aliases", "tags", "mutated"]))
    if kind == "document":
        return yaml.safe_dump(draw(DOCUMENTS), allow_unicode=draw(st.booleans())).encode("utf-8", "surrogatepass")
    if kind == "deep":
        depth = draw(st.integers(min_value=MAX_DEPTH - 3, max_value=3_000))
        opener, closer = draw(st.sampled_from([("[", "]"), ("{a: ", "}"), ("{not: ", "}"), ("- ", "")]))
        if opener == "- ":
            return "".join("  " * i + "-\n" for i in range(depth)).encode()
        return (f"id: d\nrule: {opener * depth}1{closer * depth}\n").encode()
    if kind == "aliases":
        width, levels = draw(st.integers(1, 12)), draw(st.integers(1, 12))
        lines = ["a0: &a0 [x]"] + [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * width)}]" for i in range(1, levels)]
        return ("\n".join(lines) + f"\nid: *a{levels - 1}\n").encode()
    if kind == "tags":
        tag, value = draw(st.sampled_from(TAGS)), draw(st.sampled_from(["12.5", "x", "1", "", "[1]", "{a: 1}", "2026-13-45"]))
        return (f"id: t\napp_id: smartlife\nname: T\nrule: {{type: label, label: bound_devices, op: ge, value: {tag}{value}}}\n").encode()
    base = bytearray(yaml.safe_dump(draw(DOCUMENTS)).encode("utf-8", "surrogatepass"))
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, max(0, len(base))))
        base[at:at] = draw(st.sampled_from([b"&x ", b"*x", b"!!int ", b"\x00", b"\xff", b":", b"- ", b"{", b"[", b"\t",
                                            b"'", b'"', b"\n  ", b"? ", b"<<: *x\n", b"%YAML 1.1\n---\n", b"\xef\xbb\xbf"]))
    return bytes(base)


def _assert_classified(tmp_path: Path, content: bytes, memory: bool = False) -> None:
    folder = tmp_path / "segment_defs" / "smartlife"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "fuzz.yaml"
    target.write_bytes(content)
    started = time.monotonic()
    doc, problems = load_document(str(target), "smartlife/fuzz.yaml", str(tmp_path / "segment_defs"))
    errors = validate(str(tmp_path / "segment_defs"))
    assert time.monotonic() - started < MAX_SECONDS
    if memory:  # traced separately: tracing slows the run several times
        tracemalloc.start()
        try:
            validate(str(tmp_path / "segment_defs"))
            assert tracemalloc.get_traced_memory()[1] < MAX_PEAK_BYTES
        finally:
            tracemalloc.stop()
    assert doc is not None or problems, "a file that does not load must say why"
    for err in problems + errors:
        assert isinstance(err, DefinitionError) and err.file == "smartlife/fuzz.yaml"
        assert err.line >= 0 and err.column >= 0 and err.message and "\n" not in err.one_line()
        assert "Traceback" not in err.message


@SETTINGS
@given(content=st.binary(max_size=2_000))
def test_random_bytes_are_classified(tmp_path, content):
    _assert_classified(tmp_path, content)


@SETTINGS
@given(content=st.text(max_size=2_000).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_random_text_is_classified(tmp_path, content):
    _assert_classified(tmp_path, content)


@SETTINGS
@given(content=adversarial())
def test_adversarial_yaml_is_classified(tmp_path, content):
    _assert_classified(tmp_path, content, memory=True)


@SETTINGS
@given(document=DOCUMENTS)
def test_a_definition_that_loads_keeps_its_values(tmp_path, document):
    """Round trip: a document PyYAML writes loads back to the same plain values."""
    folder = tmp_path / "segment_defs" / "smartlife"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "rt.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    doc, problems = load_document(str(folder / "rt.yaml"), "smartlife/rt.yaml", str(tmp_path / "segment_defs"))
    text = (folder / "rt.yaml").read_text(encoding="utf-8")
    if doc is None:
        assert problems  # e.g. a surrogate, or nesting past the limit
        return
    if not problems:
        assert _same(doc.data, yaml.safe_load(text))


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True  # NaN
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or str(a) == str(b)  # dates stay the text written
