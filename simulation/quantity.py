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

# No scenario number is anywhere near this; larger ones (1e308) only overflow the model's sums.
MAX_MAGNITUDE = 1e9
# Counts the simulation holds firm by firm or project by project: beyond these a run would take
# hours and tens of GB (a 10^6-firm run takes ~11 s a replication and ~1 GB).
UNIT_MAX = {"家": 2_000_000.0, "个": 10_000.0, "人": 100_000_000.0}


MAX_PLAIN_INT = 10**15  # counts and seeds in specs; beyond this a number is a typo (and overflows floats)


def _finite(v: float) -> float:
    if isinstance(v, float) and not math.isfinite(v):
        raise ValueError("must be a finite number (not NaN or inf)")
    if abs(v) > MAX_MAGNITUDE:
        raise ValueError(f"{v:g} is out of range (|value| ≤ {MAX_MAGNITUDE:g})")
    return v


# a plain number in a scenario outside a cited quantity (a target's value): strict and finite
FiniteNumber = Annotated[StrictInt | StrictFloat, AfterValidator(_finite)]


class Quantity(BaseModel):
    """A number or a yearly schedule, with its citation or its reason."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    value: Number | Schedule
    unit: str | None = None
    source: str | None = Field(default=None, min_length=3)
    assume: str | None = Field(default=None, min_length=3)

    @model_validator(mode="after")
    def _cited_once(self) -> Quantity:
        if (self.source is None) == (self.assume is None):
            raise ValueError("give exactly one of 'source' (file and table) or 'assume' (a reason)")
        values = self.value.values() if isinstance(self.value, dict) else [self.value]
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise ValueError("value must be a finite number")
        if any(abs(v) > MAX_MAGNITUDE for v in values):  # ints compare exactly, however long
            raise ValueError(f"value is out of range (|value| ≤ {MAX_MAGNITUDE:g})")
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
        """The value in force in ``year``.

        A schedule's values are kept by year once read (a replication makes ~1,000 reads of
        quantities), beside the schedule they came from: a copy given another schedule reads its own.
        (The schedule of a frozen quantity is not to be changed in place.)
        """
        value = self.value
        if not isinstance(value, dict):
            return float(value)
        kept: tuple[dict, dict[int, float]] | None = self.__dict__.get("_kept_by_year")  # not a field:
        # equality and dumps see fields only
        if kept is None or kept[0] is not value:
            kept = (value, {})
            self.__dict__["_kept_by_year"] = kept
        found = kept[1].get(year)
        if found is None:
            found = kept[1][year] = _value_in_force(value, year)
        return found

    def values(self) -> list[float]:
        return list(self.value.values()) if isinstance(self.value, dict) else [float(self.value)]

    @property
    def cited(self) -> bool:
        return self.source is not None


def _check(unit: str, ge: float | None, le: float | None, schedule: bool):
    le = min(le, UNIT_MAX[unit]) if le is not None and unit in UNIT_MAX else UNIT_MAX.get(unit, le)

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


class Unit:
    """The metadata of a quantity field: ``Annotated[Quantity, Unit("家", ge=0, le=…, schedule=True)]``.

    Pydantic runs the unit, range and schedule check after validating the :class:`Quantity`, and
    the JSON Schema carries the unit; type checkers see a plain ``Quantity``.
    """

    def __init__(self, unit: str, *, ge: float | None = 0.0, le: float | None = None, schedule: bool = False):
        self.unit, self.ge, self.le, self.schedule = unit, ge, le, schedule

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.no_info_after_validator_function(_check(self.unit, self.ge, self.le, self.schedule), handler(source))

    def __get_pydantic_json_schema__(self, schema: Any, handler: Any) -> Any:
        return {**handler(schema), "unit": self.unit}

    def __repr__(self) -> str:
        return f"Unit({self.unit!r}, ge={self.ge}, le={self.le}, schedule={self.schedule})"


def quantity(unit: str, *, ge: float | None = 0.0, le: float | None = None, schedule: bool = False) -> Any:
    """A field type: a cited quantity in ``unit`` within ``[ge, le]`` (for code built at run time;
    the schema's own fields spell ``Annotated[Quantity, Unit(…)]`` so type checkers can read them)."""
    return Annotated[Quantity, Unit(unit, ge=ge, le=le, schedule=schedule)]


def probability(*, schedule: bool = False) -> Any:
    """A field type: a cited probability or share in [0, 1]."""
    return quantity("1", ge=0.0, le=1.0, schedule=schedule)


def refuse_loose_numbers(model: type[BaseModel], data: Any) -> Any:
    """A ``mode="before"`` check for plain (non-quantity) fields: YAML's ``true`` is not a number,
    and NaN or inf are not values (pydantic's lax mode reads ``true`` as 1 and keeps ``.nan``)."""
    if not isinstance(data, dict):
        return data
    for name, field in model.model_fields.items():
        values = data.get(name)
        for v in values if isinstance(values, (list, tuple)) else [values]:
            if isinstance(v, bool) and not _takes_bool(field.annotation):
                raise ValueError(f"{name}: must be a number, not {str(v).lower()}")
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError(f"{name}: must be a finite number, not {v}")
            if isinstance(v, int) and abs(v) > MAX_PLAIN_INT:
                raise ValueError(f"{name}: about 10^{int(abs(v).bit_length() * 0.30103)} is out of range "
                                 f"(at most 10^15)")
    return data


def _takes_bool(annotation: Any) -> bool:
    from typing import get_args

    return annotation is bool or annotation is Any or any(_takes_bool(a) for a in get_args(annotation))


def _value_in_force(schedule: dict[int, float], year: int) -> float:
    """The value of the latest year of ``schedule`` at or before ``year`` (the first year's before it)."""
    years = sorted(schedule)
    chosen = years[0]
    for y in years:
        if y <= year:
            chosen = y
    return float(schedule[chosen])
