"""The analyst's commands on definitions: ``validate``, ``preview``, ``plan``, ``test``, ``explain``.

Each command resolves its settings and calls its ``run_*``, which prints and returns the exit status."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
from typing import Annotated, Optional

import typer

from jobs.cli.options import LATEST_HELP, DefsOption, JsonOption, RootOption, parse_date_or_latest, resolve_settings
from jobs.settings import Settings


def out(text: str) -> None:
    """A result on stdout, control characters of data values escaped (JSON has none raw)."""
    from jobs.safe_text import terminal_text

    text = terminal_text(text)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")


def err(text: str) -> None:
    """An error on stderr, one ``error: ...`` line per line."""
    from jobs.safe_text import terminal_text

    sys.stderr.write("".join(f"error: {line}\n" for line in terminal_text(text).splitlines() or [text]))


def run_plan(settings: Settings, defs: str, ds: dt.date | None, as_json: bool) -> int:
    """``lakehouse plan``: 0 nothing broken, 1 a broken definition, 2 no labels or a missing folder/table."""
    from jobs.engine import spark_session
    from jobs.segments.readers.plan import plan
    from jobs.segments.readers.plan_format import format_plan, plan_json

    try:
        with spark_session(settings) as spark:
            result = plan(spark, settings.lakehouse_root, defs, ds)
    except (LookupError, FileNotFoundError) as error:
        err(str(error))
        return 2
    out(json.dumps(plan_json(result), indent=2, ensure_ascii=False) if as_json else format_plan(result))
    return 1 if result.broken else 0


def run_segment_tests(settings: Settings, path: str, defs: str, warn_empty: bool) -> int:
    """``lakehouse test``: 0 all passed, 1 a failure, 2 no such path or folder (or no labels for --warn-empty)."""
    from jobs.engine import spark_session
    from jobs.segments.daily.testing import format_results, run_tests

    try:
        with spark_session(settings) as spark:
            results = run_tests(spark, path, defs)
            out(format_results(results))
            if warn_empty:
                from jobs.segments.readers.empty import empty_segments, format_empty

                out(format_empty(empty_segments(spark, settings.lakehouse_root, defs)))
    except (LookupError, FileNotFoundError) as error:
        err(str(error))
        return 2
    return 0 if all(r.passed for r in results) else 1


def is_draft(segment: str) -> bool:
    """Whether ``explain``'s first argument names a definition file rather than a segment id."""
    return segment.endswith((".yaml", ".yml")) or os.sep in segment or os.path.isfile(segment)


def run_explain(settings: Settings, segment: str, uid: str, ds: dt.date | None, app_id: str, defs: str,
                as_json: bool) -> int:
    """``lakehouse explain``: 0 explained, 1 definition errors (stdout, as validate), 2 unknown segment or uid."""
    from jobs.engine import spark_session
    from jobs.segments.language.errors import DefinitionErrors, format_errors
    from jobs.segments.readers.explain import ExplainError, published_run_of, resolve_segment
    from jobs.segments.readers.explain import explain as run
    from jobs.segments.readers.explain_format import format_explanation
    from jobs.segments.readers.explain_json import explanation_json, sizing_json
    from jobs.segments.readers.sizing import format_sizing

    root = settings.lakehouse_root
    sized = None
    try:
        if is_draft(segment):
            from jobs.segments.readers.explain_draft import explain_draft

            if not os.path.isfile(segment):
                raise ExplainError(f"draft definition not found: {segment}")
            with spark_session(settings) as spark:
                result, sized = explain_draft(spark, root, segment, uid, defs, app_id, ds)
        else:
            resolve_segment(defs, app_id, segment)  # an unknown segment fails before the engine starts
            day = published_run_of(root, app_id, segment, ds)["ds"]
            with spark_session(settings) as spark:
                result = run(spark, root, segment, uid, defs, app_id, day)
    except ExplainError as error:
        err(str(error))
        return 2
    except DefinitionErrors as errors:
        sys.stderr.write(format_errors(errors.errors) + "\n")  # the analyst's mistakes, as validate words them (stderr escapes)
        return 1
    if as_json:
        data = explanation_json(result)
        if sized is not None:
            data["draft"] = sizing_json(sized)
        out(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        out(format_explanation(result) + ("\n" + "\n".join(format_sizing(sized)) if sized is not None else ""))
    return 0


def run_validate(paths: list[str], defs: str, as_json: bool) -> int:
    """``lakehouse validate``: 0 valid, 1 definition errors (the result, on stdout), 2 a path cannot be read.

    Each path is checked by what it is (``jobs.written_files``): definitions, an expectations
    folder, a suite, ``bounds.yml``, a catalog folder or file; the shipped catalogs always.
    """
    from jobs.segments.language.errors import format_errors, sort_errors
    from jobs.segments.readers.plan_format import error_json
    from jobs.written_files import kind_of, shipped_catalog_errors, written_file_errors

    kinds = {path: kind_of(path) if os.path.exists(path) else "definitions" for path in paths}
    try:
        errors = shipped_catalog_errors()
        for path, kind in kinds.items():
            errors += _definition_errors(path, defs) if kind == "definitions" else written_file_errors(path, kind)
    except FileNotFoundError as error:
        err(str(error))
        return 2
    errors = sort_errors(errors)
    if as_json:
        out(json.dumps({"format_version": 1, "valid": not errors, "checked": paths,
                        "errors": [error_json(e) for e in errors]}, indent=2, ensure_ascii=False))
    elif errors:
        out(format_errors(errors))
    else:
        what = "segment definitions" if set(kinds.values()) == {"definitions"} else "files"
        out(f"all {what} under {', '.join(paths)} are valid")
    return 1 if errors else 0


def _definition_errors(path: str, defs: str) -> list:
    """The definition errors of one path of ``lakehouse validate`` (raises FileNotFoundError if none there)."""
    from jobs.segments.readers.draft import load_draft
    from jobs.segments.validate import validate

    inside = os.path.abspath(path).startswith(os.path.abspath(defs) + os.sep)
    if os.path.isdir(path) and inside:  # a folder of the definitions: checked with the rest of them
        prefix = os.path.relpath(path, defs).replace(os.sep, "/") + "/"
        return [e for e in validate(defs) if e.file.startswith(prefix)]
    if os.path.isdir(path):
        return validate(path)
    if os.path.isfile(path):
        draft = load_draft(path, defs)
        return [e for e in draft.errors if e.file == draft.name]
    raise FileNotFoundError(f"no segment definition file or folder at {path}")


def run_preview(settings: Settings, path: str, defs: str, ds: dt.date | None, as_json: bool) -> int:
    """``lakehouse preview``: 0 sized, 1 definition errors (on stderr, as validate words them)."""
    from jobs.engine import spark_session
    from jobs.segments import preview
    from jobs.segments.language.errors import format_errors
    from jobs.segments.readers.explain_json import sizing_json
    from jobs.segments.readers.plan_format import error_json
    from jobs.segments.readers.preview import format_preview

    if not os.path.isfile(path):
        err(f"draft definition not found: {path}")
        return 2
    with spark_session(settings) as spark:
        result = preview(spark, settings.lakehouse_root, path, defs, ds)
    if result.errors:
        if as_json:
            out(json.dumps({"format_version": 1, "errors": [error_json(e) for e in result.errors]}, indent=2))
        sys.stderr.write(format_errors(list(result.errors)) + "\n")
        return 1
    if as_json:
        c = result.change
        data = {"format_version": 1, **sizing_json(result.sizing), "replaces": result.replaces,
                "baseline_ds": c.baseline_ds.isoformat() if c else None, "published_members": c.published if c else None,
                "entered": c.entered if c else None, "exited": c.exited if c else None}
        out(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        out(format_preview(result))
    return 0


def validate(
    paths: Annotated[Optional[list[str]], typer.Argument(
        help="Definition files or folders to check [default: the --defs folder]. A file is checked with the --defs folder.")] = None,
    defs: DefsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the problems as JSON (shape: docs/tools.md).")] = False,
) -> None:
    """Check segment definitions; print every problem with file, line and column.

    Exit status: 0 all valid, 1 definition errors, 2 a file or folder cannot be read.
    """
    defs = resolve_settings(defs=defs).segment_defs
    raise typer.Exit(run_validate(paths or [defs], defs, as_json))


def preview(
    path: Annotated[str, typer.Argument(help="A draft definition (YAML) to size.")],
    ds: Annotated[Optional[dt.date], typer.Option(parser=parse_date_or_latest, metavar=LATEST_HELP,
                                                   help="Label date [default: latest, the newest in the label table].")] = None,
    defs: DefsOption = None,
    as_json: JsonOption = False,
    root: RootOption = None,
) -> None:
    """Size a draft segment against the labels without writing any table: size, funnel, reach, and the
    change against the published segment it edits.

    Exit status: 0 sized, 1 definition errors (on stderr), 2 usage or a missing table.
    """
    settings = resolve_settings(root, defs)
    raise typer.Exit(run_preview(settings, path, settings.segment_defs, ds, as_json))


def plan(
    defs: DefsOption = None,
    ds: Annotated[Optional[dt.date], typer.Option(parser=parse_date_or_latest, metavar=LATEST_HELP,
                                                   help="Label date to plan on [default: latest, the newest in the label table].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON (shape: docs/tools.md).")] = False,
    root: RootOption = None,
) -> None:
    """Show what publishing the definitions folder would change against the last published runs; writes nothing.

    Exit status: 0 nothing broken, 1 a broken definition, 2 usage (or a missing table or folder).
    """
    settings = resolve_settings(root, defs)
    raise typer.Exit(run_plan(settings, settings.segment_defs, ds, as_json))


def test_segments(
    path: Annotated[Optional[str], typer.Argument(
        help="A test file, or a folder searched for tests/*.yaml [default: the --defs folder].")] = None,
    defs: DefsOption = None,
    warn_empty: Annotated[bool, typer.Option("--warn-empty", help="Also flag definitions that select nobody on the latest labels of --root.")] = False,
    root: RootOption = None,
) -> None:
    """Run segment tests: golden users through the real pipeline in a throwaway lakehouse, checked against expectations.

    Exit status: 0 every test passed, 1 a test failed, 2 usage (no such path or definitions folder).
    """
    settings = resolve_settings(root, defs)
    raise typer.Exit(run_segment_tests(settings, path or settings.segment_defs, settings.segment_defs, warn_empty))


def explain(
    segment: Annotated[str, typer.Argument(help="The segment id, or a draft definition file (*.yaml) not yet published.")],
    uid: Annotated[str, typer.Argument(help="The user id.")],
    ds: Annotated[Optional[dt.date], typer.Option(
        parser=parse_date_or_latest, metavar=LATEST_HELP,
        help="Date [default: latest: the segment's latest published ds; for a draft the newest labels].")] = None,
    app_id: Annotated[str, typer.Option("--app", help="The user's app.")] = "smartlife",
    defs: DefsOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the explanation as JSON (shape: docs/tools.md).")] = False,
    root: RootOption = None,
) -> None:
    """Say why a user is or is not a member of a segment (or of a draft file): each group, condition and value.

    Exit status: 0 member or not, 1 definition errors, 2 unknown segment or uid.
    """
    settings = resolve_settings(root, defs)
    raise typer.Exit(run_explain(settings, segment, uid, ds, app_id, settings.segment_defs, as_json))
