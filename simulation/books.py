"""The region's books: the year's flow counters, under one declared vocabulary.

Every counter a process may write is declared here once, under the name of the indicator that
reads it (:mod:`simulation.indicators`), or as an internal quantity an indicator combines
(investment by kind). Writing or reading a name that is not declared is an error, so a typo can
no longer become an indicator that silently reads 0.

A few writers outside the land, energy and project rules still use older names; :data:`ALIASES`
maps each to its declared name, so the books hold one name per quantity.
"""

from __future__ import annotations

# flow counters that an indicator of the same name reads (家, 个, 亩, tce)
INDICATOR_COUNTERS = frozenset({
    "new_above_scale", "dropped_below_scale",
    "new_innovative_sme", "new_zjtx_sme", "new_little_giants", "new_single_champions",
    "certificates_withdrawn", "new_high_tech_firms",
    "firm_births", "exits_market", "exits_closed", "exits_merged",
    "remediated_upgraded", "remediated_regularised", "remediated_low_efficiency", "remediated_scattered",
    "closed_backward_capacity", "leases_reclaimed",
    "land_supplied", "land_freed", "land_released_exits", "land_remediated", "land_granted_projects",
    "land_granted_expansion", "land_unmet_expansion", "land_revitalised", "land_reclaimed_lease",
    "land_cleared", "land_to_other_uses",
    "energy_freed", "energy_purchased", "energy_rationed", "energy_recovered", "energy_overrun",
    "projects_arrived", "projects_large_signed", "projects_declined", "projects_started", "projects_large_started",
    "projects_completed", "projects_lost", "projects_zero_land",
})

# quantities that indicators combine (万元): project spending, upgrade spending, investment that left
INTERNAL_COUNTERS = frozenset({"investment_projects", "investment_upgrade", "investment_lost"})

COUNTERS = INDICATOR_COUNTERS | INTERNAL_COUNTERS

# older names still written by the demography and certification rules -> the declared name
ALIASES = {
    "births": "firm_births",
    "exit_market": "exits_market",
    "exit_merge": "exits_merged",
    "exit_close": "exits_closed",
    "cert_withdrawn": "certificates_withdrawn",
    "new_cert1": "new_innovative_sme",
    "new_cert2": "new_zjtx_sme",
    "new_cert3": "new_little_giants",
    "new_cert4": "new_single_champions",
    "new_high_tech": "new_high_tech_firms",
}


# every name a writer may use -> its declared name (one lookup per add)
_DECLARED = {name: name for name in COUNTERS} | {old: new for old, new in ALIASES.items() if new in COUNTERS}


class UnknownCounter(KeyError):
    """A counter name outside :data:`COUNTERS` (and not an alias of one)."""


def canonical(name: str) -> str:
    """The declared name of ``name``; raises :class:`UnknownCounter` for an undeclared one."""
    declared = _DECLARED.get(name)
    if declared is None:
        raise UnknownCounter(f"counter {ALIASES.get(name, name)!r} is not declared in simulation.books.COUNTERS")
    return declared


_get, _set = dict.get, dict.__setitem__  # a dict's own read and write, past Books' checks


class Books(dict):
    """The year's counters: a dict that accepts only declared names and starts each at 0."""

    def __missing__(self, name: str) -> float:
        return 0.0

    def __getitem__(self, name: str) -> float:
        return super().__getitem__(canonical(name))

    def __setitem__(self, name: str, value: float) -> None:
        super().__setitem__(canonical(name), float(value))

    def add(self, name: str, amount: float = 1.0) -> None:
        value = _get(self, name)  # a name already written is a declared one: one lookup, thousands a year
        if value is None:  # not yet written this year, or an older name
            name = canonical(name)
            value = _get(self, name, 0.0)
        _set(self, name, float(value + amount))

    def record(self, outcome) -> None:
        """Add every counter field of a process outcome (a dataclass with ``counters()``)."""
        for name, amount in outcome.counters().items():
            if amount:
                self.add(name, amount)
