"""Cited quantities: every number in a scenario says where it comes from.

A quantity in YAML is a mapping::

    value: 83.7                      # a number, or {year: number} for a schedule
    unit: 万元/亩                     # optional; if given it must match the field's unit
    source: "001 Table 1: 2020 规上工业亩均税收"
    # or, instead of source:
    assume: "no public figure; set so that ... (reason)"

Exactly one of ``source`` and ``assume`` is required. Schedules carry forward: the
value for a year is the one given for the latest year at or before it (or the
earliest one, before the first year given).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictFloat, StrictInt, model_validator

# strict: YAML's `true` or "80" is refused, not read as 1 or 80
Number = StrictInt | StrictFloat
Schedule = dict[int, Number]


class Quantity(BaseModel):
    """A number or a yearly schedule, with its citation or its reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Number | Schedule
    unit: str | None = None
    source: str | None = Field(default=None, min_length=3)
    assume: str | None = Field(default=None, min_length=3)

    @model_validator(mode="after")
    def _cited_once(self) -> "Quantity":
        if (self.source is None) == (self.assume is None):
            raise ValueError("give exactly one of 'source' (file and table) or 'assume' (a reason)")
        values = self.value.values() if isinstance(self.value, dict) else [self.value]
        if any(not math.isfinite(v) for v in values):
            raise ValueError("value must be a finite number")
        if isinstance(self.value, dict) and not self.value:
            raise ValueError("a schedule needs at least one year")
        return self

    @property
    def is_schedule(self) -> bool:
        return isinstance(self.value, dict)

    @property
    def years(self) -> list[int]:
        return sorted(self.value) if isinstance(self.value, dict) else []

    def at(self, year: int) -> float:
        """The value in force in ``year``."""
        if not isinstance(self.value, dict):
            return float(self.value)
        years = sorted(self.value)
        chosen = years[0]
        for y in years:
            if y <= year:
                chosen = y
        return float(self.value[chosen])

    def values(self) -> list[float]:
        return list(self.value.values()) if isinstance(self.value, dict) else [float(self.value)]

    @property
    def cited(self) -> bool:
        return self.source is not None


def _check(unit: str, ge: float | None, le: float | None, schedule: bool):
    def check(q: Quantity) -> Quantity:
        if q.unit is not None and q.unit != unit:
            raise ValueError(f"unit is {q.unit!r}, expected {unit!r}")
        if q.is_schedule and not schedule:
            raise ValueError("a single value is expected here, not a schedule by year")
        for v in q.values():
            if ge is not None and v < ge:
                raise ValueError(f"value {v} is below the allowed minimum {ge}")
            if le is not None and v > le:
                raise ValueError(f"value {v} is above the allowed maximum {le}")
        return q

    return check


def quantity(unit: str, *, ge: float | None = 0.0, le: float | None = None, schedule: bool = False) -> Any:
    """A field type: a cited quantity in ``unit`` within ``[ge, le]``."""
    return Annotated[Quantity, AfterValidator(_check(unit, ge, le, schedule)), Field(json_schema_extra={"unit": unit})]


def probability(*, schedule: bool = False) -> Any:
    """A field type: a cited probability or share in [0, 1]."""
    return quantity("1", ge=0.0, le=1.0, schedule=schedule)
