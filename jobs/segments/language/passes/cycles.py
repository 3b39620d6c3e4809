"""Nested segments form no cycle; a cycle is reported once, naming its chain."""

from __future__ import annotations

from jobs.segments.language.errors import DefinitionError
from jobs.segments.language.model import references
from jobs.segments.language.program import Program


def check(program: Program) -> list[DefinitionError]:
    errors = []
    reported: set[frozenset] = set()
    for app in sorted({s.app_id for s in program.segments}):
        visible = program.visible(app)
        graph = {sid: [r for r in references(seg) if r.segment in visible and r.segment != sid]
                 for sid, seg in visible.items()}
        state: dict[str, int] = {}  # 1 on the stack, 2 done

        def visit(sid: str, chain: list[str]) -> None:
            state[sid] = 1
            for ref in graph[sid]:
                if state.get(ref.segment) == 1:
                    cycle = chain[chain.index(ref.segment):] + [sid, ref.segment] if ref.segment in chain else [sid, ref.segment]
                    cycle = _rotate(cycle[:-1])
                    if frozenset(cycle) not in reported:
                        reported.add(frozenset(cycle))
                        first = visible[cycle[0]]
                        ref0 = next(r for r in graph[cycle[0]] if r.segment == cycle[1])
                        errors.append(program.error(first, ref0.path + ("segment",),
                                                    "cycle: " + " -> ".join(cycle + [cycle[0]]),
                                                    expected="nested segments that do not refer back to themselves"))
                elif state.get(ref.segment) is None:
                    visit(ref.segment, chain + [sid])
            state[sid] = 2

        for sid in sorted(graph):
            if sid not in state:
                visit(sid, [])
    return errors


def _rotate(cycle: list[str]) -> list[str]:
    """The cycle starting at its smallest id, so the report does not depend on visiting order."""
    start = cycle.index(min(cycle))
    return cycle[start:] + cycle[:start]
