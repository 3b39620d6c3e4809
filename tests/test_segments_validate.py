"""The validator: exact messages for every error class, and many errors from many files in one run."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from jobs.segments import DefinitionError, exit_code, format_errors, validate

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "segments"
PREDEFINED = REPO / "segment_defs" / "_predefined"


def _cases() -> list[tuple[str, dict[str, str], str]]:
    """Golden pairs from validator_cases.txt: (name, {file: text}, expected report)."""
    text = (FIXTURES / "validator_cases.txt").read_text(encoding="utf-8")
    cases = []
    for block in re.split(r"^=== ", text, flags=re.M)[1:]:
        name, _, body = block.partition("\n")
        parts = re.split(r"^--- (file .+|expected)$", body, flags=re.M)
        files, expected = {}, None
        for header, content in zip(parts[1::2], parts[2::2]):
            if header == "expected":
                expected = content.strip("\n")
            else:
                files[header.removeprefix("file ")] = content.lstrip("\n")
        cases.append((name, files, expected))
    return cases


def _defs(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "segment_defs"
    shutil.copytree(PREDEFINED, root / "_predefined")
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


@pytest.mark.parametrize("name,files,expected", _cases(), ids=[c[0] for c in _cases()])
def test_validator_messages(tmp_path, name, files, expected):
    assert format_errors(validate(str(_defs(tmp_path, files)))) == expected


def test_every_error_class_has_a_case():
    names = {c[0] for c in _cases()}
    required = {
        "schema_unknown_key", "schema_missing", "schema_enum", "unknown_label", "unknown_event", "unknown_dimension",
        "unknown_measure", "op_type", "enum_value", "window_long", "window_range_long", "name_long", "dup",
        "missing_ref", "cycle", "predefined", "import_missing",
    }
    assert required <= names


def test_many_errors_from_many_files_in_one_run(tmp_path):
    root = tmp_path / "segment_defs"
    shutil.copytree(FIXTURES / "invalid_defs", root)
    shutil.copytree(PREDEFINED, root / "_predefined")
    errors = validate(str(root))
    expected = (FIXTURES / "invalid_defs.expected.txt").read_text(encoding="utf-8").rstrip("\n")
    assert format_errors(errors) == expected
    assert exit_code(errors) == 1
    assert len({e.file for e in errors}) == 5


def test_shipped_definitions_are_valid():
    errors = validate(str(REPO / "segment_defs"))
    assert errors == [], format_errors(errors)
    assert exit_code(errors) == 0
    assert len(list(PREDEFINED.glob("*.yaml"))) == 10


def test_errors_carry_location_fields(tmp_path):
    root = _defs(tmp_path, {"smartlife/a.yaml": "id: a\napp_id: smartlife\nname: A\nrule: {type: label, label: has_gatway, op: eq, value: true}\n"})
    assert validate(str(root)) == [DefinitionError(
        "smartlife/a.yaml", 4, 28, "rule.label", "unknown label 'has_gatway'", "a label of the label catalog", "has_gateway", "a")]


def test_missing_folder_raises(tmp_path):
    with pytest.raises(FileNotFoundError):
        validate(str(tmp_path / "nope"))


HOSTILE = [
    "'); DROP TABLE gold.segment_membership; --",
    "__import__('os').system('rm -rf /')",
    "${jndi:ldap://x}",
    "x" * 5000,
    "用户 🚀 \u202e ünïcödé",
    "a%_\\'\"`",
]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_values_in_string_labels_are_valid_data(tmp_path, value):
    import json

    text = f"id: a\napp_id: smartlife\nname: A\nrule: {{type: label, label: city_en, op: eq, value: {json.dumps(value, ensure_ascii=False)}}}\n"
    assert validate(str(_defs(tmp_path, {"smartlife/a.yaml": text}))) == []


def test_hostile_values_in_names_are_reported_shortened(tmp_path):
    text = 'id: "x\'); DROP TABLE t; --"\napp_id: smartlife\nname: A\nrule: {type: label, label: city_en, op: eq, value: "' + "y" * 500 + '"}\n'
    report = format_errors(validate(str(_defs(tmp_path, {"smartlife/a.yaml": text}))))
    assert report == (
        "smartlife/a.yaml:1:5: id \"x'); DROP TABLE t; --\" is not valid\n"
        "  at: id\n"
        "  expected: a slug: lowercase letters, digits and _, starting with a letter\n\n"
        "1 error in 1 file"
    )


def test_unsafe_yaml_tags_are_not_constructed(tmp_path):
    text = "id: a\napp_id: smartlife\nname: !!python/object/apply:os.system ['echo pwned']\nrule: {type: label, label: has_gateway, op: eq, value: true}\n"
    report = format_errors(validate(str(_defs(tmp_path, {"smartlife/a.yaml": text}))))
    assert report == (
        "smartlife/a.yaml:3:7: name is a list\n"
        "  at: name\n"
        "  expected: a string\n\n"
        "1 error in 1 file"
    )


def test_escaped_surrogates_are_reported(tmp_path):
    text = 'id: a\napp_id: smartlife\nname: A\nrule: {type: label, label: city_en, op: eq, value: "\\ud83d"}\n'
    report = format_errors(validate(str(_defs(tmp_path, {"smartlife/a.yaml": text}))))
    assert report == (
        "smartlife/a.yaml:4:52: text contains an escaped surrogate (\\ud800-\\udfff), which is not a character\n"
        "  at: rule.value\n\n"
        "1 error in 1 file"
    )
