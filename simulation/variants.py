"""What a variant changes against its parent: one line per changed value, year or target.

Both sides are validated scenarios, so the lines describe what a run would use (a schedule is
compared year by year as the model reads it, with carry-forward), not how the YAML is written.
"""

from __future__ import annotations

from typing import Any

from .loader import target_key
from .quantity import Quantity
from .scenario import Scenario


def scenario_diff(parent: Scenario, variant: Scenario) -> list[str]:
    """Lines ``path: old → new``; targets as ``+ added``, ``- dropped`` and ``~ changed``."""
    lines: list[str] = []
    years = range(min(parent.base_year, variant.base_year), max(parent.end_year, variant.end_year) + 1)
    _walk(parent, variant, "", years, lines)
    lines.extend(_target_lines(parent, variant))
    return lines


def _walk(old: Any, new: Any, path: str, years: range, lines: list[str]) -> None:
    if isinstance(old, Quantity) and isinstance(new, Quantity):
        lines.extend(_quantity_lines(old, new, path, years))
    elif old is None or new is None or type(old) is not type(new):
        if old != new:
            lines.append(f"{path}: {_show(old)} → {_show(new)}")
    elif hasattr(type(old), "model_fields"):
        for name in type(old).model_fields:
            if path == "" and name == "targets":
                continue
            _walk(getattr(old, name), getattr(new, name), f"{path}.{name}" if path else name, years, lines)
    elif isinstance(old, list):
        if old != new:
            lines.append(f"{path}: replaced ({len(old)} → {len(new)} items)")
    elif old != new:
        lines.append(f"{path}: {_show(old)} → {_show(new)}")


def _quantity_lines(old: Quantity, new: Quantity, path: str, years: range) -> list[str]:
    if not old.is_schedule and not new.is_schedule:
        changed = [f"{_num(old.at(0))} → {_num(new.at(0))}"] if old.at(0) != new.at(0) else []
    else:
        changed = [f"{y}: {_num(old.at(y))} → {_num(new.at(y))}" for y in years if old.at(y) != new.at(y)]
    if changed:
        return [f"{path}: {'; '.join(changed)}" + (f" {new.unit}" if new.unit else "")]
    if (old.source, old.assume) != (new.source, new.assume):
        return [f"{path}: same value, new citation"]
    return []


def _target_lines(parent: Scenario, variant: Scenario) -> list[str]:
    before = {target_key(t.model_dump()): t for t in parent.targets}
    after = {target_key(t.model_dump()): t for t in variant.targets}
    lines = [f"targets: - {k}" for k in before if k not in after]
    lines += [f"targets: + {k} ({_goal(t)})" for k, t in after.items() if k not in before]
    for k in [k for k in before if k in after]:
        old, new = before[k].model_dump(), after[k].model_dump()
        fields = [f"{f} {_show(old[f])} → {_show(new[f])}" for f in old if old[f] != new[f]]
        if fields:
            lines.append(f"targets: ~ {k}: {', '.join(fields)}")
    return lines


def _goal(target) -> str:
    if not target.modelled:
        return "not modelled"
    return f"{target.indicator} {target.op} {_num(target.value)}"


def _num(v: float) -> str:
    return f"{v:g}"


def _show(v: Any) -> str:
    return _num(v) if isinstance(v, float) else repr(v) if isinstance(v, str) else str(v)
