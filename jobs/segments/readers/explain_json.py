"""An Explanation as plain data: the ``--json`` shape of ``lakehouse explain`` (docs/tools.md)."""

from __future__ import annotations

from jobs.segments.readers.explain import Explanation, NodeOutcome
from jobs.segments.readers.funnel import describe
from jobs.segments.language.model import All, AnyOf, BehaviorCondition, LabelCondition, Not, SegmentRef
from jobs.segments.readers.sizing import Sizing

_TYPES = {LabelCondition: "label", BehaviorCondition: "behavior", SegmentRef: "segment", All: "all", AnyOf: "any",
          Not: "not"}


def explanation_json(expl: Explanation) -> dict:
    """The verdict, consent and the rule's outcome tree (each node: type, condition, held, observed, items)."""
    return {
        "app_id": expl.app_id,
        "segment_id": expl.segment.id,
        "ds": expl.ds.isoformat(),
        "uid": expl.uid,
        "member": expl.member,
        "deleted": expl.deleted,
        "consent_required": expl.segment.consent_required,
        "accept_marketing": expl.accept_marketing,
        "listed": expl.listed,
        "kept_from": expl.kept_from.isoformat() if expl.kept_from else None,
        "definition_changed": expl.definition_changed,
        "rule": _node(expl.rule) if expl.rule is not None else None,
    }


def _node(out: NodeOutcome) -> dict:
    node = {"type": _TYPES[type(out.node)], "condition": describe(out.node), "held": out.held,
            "observed": out.observed if isinstance(out.observed, (int, float, str, bool)) or out.observed is None
            else str(out.observed)}
    if out.children:
        node["items"] = [_node(c) for c in out.children]
    if out.segment is not None:
        node["segment"] = explanation_json(out.segment)
    return node


def sizing_json(sizing: Sizing) -> dict:
    """A draft's size, funnel and reach (``explain --json`` of a draft, ``preview --json``)."""
    return {"app_id": sizing.app_id, "segment_id": sizing.segment_id, "ds": sizing.ds.isoformat(),
            "users": sizing.users, "size": sizing.total, "removed_by_consent": sizing.removed_by_consent,
            "funnel": [{"condition": s.condition, "users": s.users} for s in sizing.funnel],
            "reach": sizing.reach.as_dict()}
