"""Run past a plan's horizon: extend a scenario's end year and its yearly schedules by a stated rule.

A plan document fixes its schedules up to its own horizon (Zhenhai 2025, Cixi 2023 …). To forecast
the newest observations, or simply further, each schedule is carried forward by one of two rules:

- ``hold``: the last scheduled value stays in force (what :meth:`Quantity.at` already does past
  the last year given);
- ``trend``: the last scheduled step continues linearly (the change per year between the last
  two scheduled years), clipped at zero for amounts and at one for shares.

Which schedule follows which rule (``rule="stated"``, the default) is :data:`SCHEDULE_RULES`:

- the 能耗双控 cap (``levers.energy.cap``) continues its **trend**: every plan raises it each year
  (Zhenhai +25万 tce a year) and holding it flat after the horizon would ration growth by a
  policy nobody announced;
- every other schedule is **held**: growth rates (a trend in a rate compounds into acceleration
  or collapse), campaign capacities (整治 firms per year), land supply, project arrivals, firm
  births, certification quotas and multipliers, energy trading limits, national list sizes. Holding
  says "the last stated policy stays in force", the least informative continuation. (The back-test
  gives the lists named after the plan instead, as realised: :func:`.rolling.carried`; so does
  ``upgrade-sim run --until YEAR --named-lists``.)

``rule="hold"`` or ``rule="trend"`` applies one rule to every schedule but a calendar month (unit
月, as ``levers.energy.rationing_month``: always held, a month is not an amount that trends), as a
sensitivity check.
Each extended quantity keeps its citation, with a note of the rule appended, and the extended
scenario is validated again, so targets (all inside the original run) keep working.
"""

from __future__ import annotations

from fnmatch import fnmatch
from typing import Any, Literal

from ..errors import InputError
from ..limits import LAST_YEAR
from ..loader import validate
from ..scenario import Scenario

Rule = Literal["hold", "trend"]

# dotted schedule path (fnmatch pattern) → rule; the first match wins, the last entry is the default
SCHEDULE_RULES: list[tuple[str, Rule]] = [
    ("levers.energy.cap", "trend"),
    ("*", "hold"),
]


def rule_for(path: str, rule: str = "stated", unit: str | None = None) -> Rule:
    """The continuation rule of the schedule at ``path`` (of ``unit``: a calendar month is held)."""
    if unit == "月":
        return "hold"
    if rule in ("hold", "trend"):
        return rule  # type: ignore[return-value]
    if rule != "stated":
        raise InputError(f"unknown rule {rule!r} (hold, trend or stated)", field="rule")
    return next(r for pattern, r in SCHEDULE_RULES if fnmatch(path, pattern))


def with_horizon(scenario: Scenario, until: int, rule: str = "stated", *, file: str = "<horizon>") -> Scenario:
    """``scenario`` run to ``until``: the end year moved and every schedule continued by its rule.

    ``until`` equal to the end year returns the scenario unchanged; an earlier year is refused
    (the targets and schedules of the plan reach its own end year).
    """
    if until == scenario.end_year:
        return scenario
    if until < scenario.end_year:
        raise InputError(f"{until} is before the scenario's end year {scenario.end_year}; give a later year",
                         file=file, field="--until")
    if until > LAST_YEAR:
        raise InputError(f"{until} is after {LAST_YEAR}, the last year a scenario runs to", file=file, field="--until")
    data = scenario.model_dump(mode="python")
    data["end_year"] = until
    for path, quantity in _schedules(data):
        _extend(quantity, path, until, rule_for(path, rule, quantity.get("unit")))
    return validate(data, file=file)


def extension_rules(scenario: Scenario, rule: str = "stated") -> dict[str, Rule]:
    """Every schedule path of ``scenario`` with the rule that would extend it."""
    return {path: rule_for(path, rule, quantity.get("unit")) for path, quantity in _schedules(scenario.model_dump(mode="python"))}


def _schedules(node: Any, path: str = ""):
    """(dotted path, quantity mapping) of every yearly schedule in a dumped scenario."""
    if isinstance(node, dict):
        if "value" in node and isinstance(node["value"], dict) and ("source" in node or "assume" in node):
            yield path, node
            return
        for key, child in node.items():
            yield from _schedules(child, f"{path}.{key}" if path else str(key))
    elif isinstance(node, list):
        for i, child in enumerate(node):
            yield from _schedules(child, f"{path}.{i}")


def _extend(quantity: dict, path: str, until: int, rule: Rule) -> None:
    schedule = {int(y): float(v) for y, v in quantity["value"].items()}
    years = sorted(schedule)
    last_year, last = years[-1], schedule[years[-1]]
    slope = 0.0
    if rule == "trend" and len(years) >= 2:
        prev_year = years[-2]
        slope = (last - schedule[prev_year]) / (last_year - prev_year)
    low = 0.0 if min(schedule.values()) >= 0 else None
    high = 1.0 if quantity.get("unit") in (None, "1") and max(schedule.values()) <= 1 and low == 0.0 else None
    for year in range(last_year + 1, until + 1):
        value = last + slope * (year - last_year)
        if low is not None:
            value = max(value, low)
        if high is not None:
            value = min(value, high)
        schedule[year] = round(value, 6)
    quantity["value"] = schedule
    note = f"after {last_year}: {'last step continued' if rule == 'trend' and slope else 'last value held'} to {until} (forecast horizon)"
    key = "source" if quantity.get("source") else "assume"
    quantity[key] = f"{quantity[key]}; {note}"
