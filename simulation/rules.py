"""Cross-field rules a scenario must meet before it runs.

The schema checks each number on its own (unit, range, finiteness); these rules check numbers
against each other and the divisions the model makes, so a scenario that ``validate`` accepts
does not produce NaN or infinite indicators, or fail, at run time.
"""

from __future__ import annotations

from .errors import InputError
from .scenario import Scenario

# paths the model divides by, or takes the logarithm of: zero gives NaN or inf indicators
POSITIVE = (
    "population.above_scale.count",
    "population.above_scale.output",
    "population.above_scale.land",
    "population.below_scale.count",
    "population.below_scale.revenue_median",
    "population.below_scale.revenue_sigma",
    "population.below_scale.revenue_per_employee",
    "population.below_scale.energy_intensity",
    "population.rd_intensity_median",
    "parameters.entry.revenue_median",
    "parameters.statistics.above_scale_threshold",
    "parameters.projects.investment_median",
    "parameters.projects.investment_per_mu",
)


# the parts of the scenario the rules below set against each other (beyond POSITIVE's one number each)
CROSS_FIELD = ("population.above_scale.count", "population.above_scale.output", "population.large_firms",
               "parameters.statistics.above_scale_threshold")


def check_rules(scenario: Scenario, *, file: str) -> None:
    """Raise one :class:`InputError` for the first rule ``scenario`` breaks."""
    for path in POSITIVE:
        quantity = part_at(scenario, path)
        if quantity is not None and min(quantity.values()) <= 0:
            raise InputError("must be above zero (the model divides by it or takes its logarithm)",
                             file=file, field=path)
    above = scenario.population.above_scale
    threshold = scenario.parameters.statistics.above_scale_threshold.at(scenario.base_year)  # 万元
    count, output = above.count.at(scenario.base_year), above.output.at(scenario.base_year)  # 家, 亿元
    if output * 1e4 < count * threshold:
        raise InputError(
            f"{output:g} 亿元 is below {count:g} firms × the {threshold:g} 万元 threshold "
            f"({count * threshold / 1e4:g} 亿元): every 规上 firm earns at least the threshold",
            file=file, field="population.above_scale.output")
    named = sum(f.revenue.at(scenario.base_year) for f in scenario.population.large_firms)  # 亿元
    if len(scenario.population.large_firms) >= count:
        raise InputError(f"{len(scenario.population.large_firms)} named firms, but only {count:g} 规上 firms",
                         file=file, field="population.large_firms")
    if output - named < (count - len(scenario.population.large_firms)) * threshold / 1e4:
        raise InputError(
            f"{output:g} 亿元 leaves {output - named:g} 亿元 after the named large firms ({named:g} 亿元), below the "
            f"{threshold:g} 万元 threshold for each of the other {count - len(scenario.population.large_firms):g} 规上 firms",
            file=file, field="population.above_scale.output")


def part_at(model, path: str):
    """The part of ``model`` at a dotted ``path`` (a list's item by its index), or None where there is none."""
    node = model
    for part in path.split("."):
        node = (node[int(part)] if part.isdigit() and int(part) < len(node) else None) if isinstance(node, list) \
            else getattr(node, part, None)
        if node is None:
            return None
    return node
