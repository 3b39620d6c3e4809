"""Explain a draft: why a user would or would not be a member of a definition file not yet published."""

from __future__ import annotations

import datetime as dt

from pyspark.sql import SparkSession

from jobs.segments.readers.draft import load_draft
from jobs.segments.language.errors import DefinitionErrors
from jobs.segments.readers.explain import Explanation, ExplainError, explain_evaluated
from jobs.segments.language.model import PREDEFINED_APP
from jobs.segments.readers.sizing import Sizing, evaluate, latest_label_ds, sizes


def explain_draft(spark: SparkSession, root: str, path: str, uid: str, defs_dir: str, app_id: str = "smartlife",
                  ds: dt.date | None = None) -> tuple[Explanation, Sizing]:
    """The explanation of ``uid`` for the draft at ``path`` on ds, and the draft's funnel and reach.

    The draft stands in for the folder's definition it edits (as in ``preview``); the verdict is
    the one the segment run of ds would publish once the draft is in the folder.

    Args:
        app_id: the user's app (a draft of an app's own segment uses that app).
        ds: the label date; default the newest of the label table.

    Raises:
        DefinitionErrors: the draft, or a segment it refers to, has definition errors.
        ExplainError: a uid without a label row on ds that is not deleted; no labels at all.
    """
    draft = load_draft(path, defs_dir)
    own = [e for e in draft.errors if e.file == draft.name]
    if draft.segment is None or own:
        raise DefinitionErrors(own or draft.errors)
    needed = draft.program.resolved.closure([draft.segment])
    files = {s.file for s in needed}
    blocking = [e for e in draft.errors if e.file in files]
    if blocking:
        raise DefinitionErrors(blocking)
    seg = draft.segment
    app = app_id if seg.app_id == PREDEFINED_APP else seg.app_id
    ds = ds or latest_label_ds(spark, root)
    if ds is None:
        raise ExplainError("gold.user_labels has no rows: run the pipeline for a date first")
    explained = explain_evaluated(spark, root, draft.program, seg, needed, [uid], app, ds)[uid]
    sized = sizes(evaluate(spark, root, draft.program, [seg], ds, [app]), [seg], [app])[(app, seg.id)]
    return explained, sized
