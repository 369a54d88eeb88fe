"""The firm panel: one row per firm and year, for looking inside a replication.

Columns: ``year, firm`` (stable id), ``revenue`` (that year's annual revenue, 万元; for a firm that
left during the year, what it made until it left), ``revenue_full_year`` (the same at its yearly
rate in the firm's first year: a plant that opened in July made half a year, and its growth from
that half is not growth), ``value_added`` (万元), ``employees``, ``age``
(years since entry), ``above_scale`` (in the 规上 statistics), ``tier`` (certification label, or
规上/规下), ``sector``, ``land`` (亩), ``energy_quota`` (吨标准煤/年), ``grade`` (亩均论英雄),
``exited`` (left during that year) and ``exit_reason``.

The base year is recorded from the initial firms. A firm appears once in the year it leaves, with
``exited`` true, and not after.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .population import Population
from .tiers import CERT_LABELS, GRADE_LABELS, Cert

COLUMNS = ["year", "firm", "revenue", "revenue_full_year", "value_added", "employees", "age", "above_scale", "tier", "sector",
           "land", "energy_quota", "grade", "exited", "exit_reason"]


class PanelRecorder:
    """Collects yearly snapshots of the live firms and the firms that leave."""

    def __init__(self) -> None:
        self._parts: list[pd.DataFrame] = []

    def record_year(self, pop: Population, year: int, annual: np.ndarray) -> None:
        rows = np.flatnonzero(pop.alive)
        self._parts.append(_rows(pop, rows, year, annual[rows], exited=False, reason=""))

    def record_exits(self, pop: Population, rows: np.ndarray, year: int, reason: str) -> None:
        self._parts.append(_rows(pop, rows, year, pop.annual_revenue()[rows], exited=True, reason=reason))

    def frame(self) -> pd.DataFrame:
        if not self._parts:
            return pd.DataFrame(columns=COLUMNS)
        panel = pd.concat(self._parts, ignore_index=True)
        panel["tier"] = pd.Categorical(panel["tier"])
        panel["grade"] = pd.Categorical(panel["grade"])
        panel["exit_reason"] = pd.Categorical(panel["exit_reason"])
        return panel.sort_values(["year", "firm"], kind="stable", ignore_index=True)[COLUMNS]


def tier_labels(above: np.ndarray, cert: np.ndarray) -> np.ndarray:
    """The certification label where a firm holds one, else 规上 or 规下."""
    labels = np.where(above, "规上", "规下").astype(object)
    for level in (Cert.INNOVATIVE, Cert.ZJTX, Cert.LITTLE_GIANT, Cert.CHAMPION):
        labels[cert == level] = CERT_LABELS[level]
    return labels


def _rows(pop: Population, rows: np.ndarray, year: int, revenue: np.ndarray, *, exited: bool, reason: str) -> pd.DataFrame:
    """The panel rows of ``rows`` in ``year``; ``revenue``: theirs this year."""
    grade_names = np.array([GRADE_LABELS[g] for g in sorted(GRADE_LABELS)], dtype=object)
    return pd.DataFrame({
        "year": np.full(len(rows), year, dtype=np.int16),
        "firm": pop.id[rows],
        "revenue": revenue,
        "revenue_full_year": pop.full_year_revenue(revenue, year, rows),
        "value_added": revenue * pop.va_rate[rows],
        "employees": pop.employees[rows],
        "age": (year - pop.entry_year[rows]).astype(np.int16),
        "above_scale": pop.above[rows].copy(),
        "tier": tier_labels(pop.above[rows], pop.cert[rows]),
        "sector": pop.sector[rows].copy(),
        "land": pop.land[rows].copy(),
        "energy_quota": pop.quota[rows].copy(),
        "grade": grade_names[pop.grade[rows]],
        "exited": np.full(len(rows), exited),
        "exit_reason": np.full(len(rows), reason, dtype=object),
    })
