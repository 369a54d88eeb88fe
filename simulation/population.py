"""The enterprise population as columns (struct of arrays), and the base-year generator.

Units: revenue and tax in 万元 per year, land in 亩, energy in 吨标准煤 (tce) per year,
energy intensity in tce per 万元 value added, employees in persons.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
from scipy.special import ndtr

from .draws import categories, lognormal, lognormal_below
from .processes import kernels
from .processes.certificates_init import initial_certificates
from .scenario import Scenario
from .tiers import UNGRADED

COLUMNS: dict[str, type] = {
    "id": np.int64,
    "alive": np.bool_,
    "above": np.bool_,  # 规上 (in the statistics)
    "in_directory": np.bool_,  # in this year's 规上 directory (名录库): 规上 at last year's review, the scope of the year's 同口径 growth
    "cert": np.int8,  # Cert level
    "cert_year": np.int16,  # year the current level was granted (for the 3-year review)
    "high_tech": np.bool_,  # 高新技术企业
    "high_tech_year": np.int16,
    "sector": np.int8,
    "entry_year": np.int16,
    "revenue": np.float64,  # current annualised revenue, 万元/年
    "ytd": np.float64,  # sum of monthly annualised revenue this year (annual revenue = ytd / 12)
    "revenue_prev": np.float64,  # last year's annual revenue (0 if not yet a full year)
    "va_prev": np.float64,  # last year's value added
    "growth_prev": np.float64,  # last year's revenue growth (share)
    "va_rate": np.float64,  # value added / revenue
    "tax_rate": np.float64,  # tax / revenue
    "employees": np.float64,
    "land": np.float64,  # 亩 held
    "intensity": np.float64,  # tce per 万元 value added
    "quota": np.float64,  # energy quota held (用能权), tce/年
    "rd": np.float64,  # R&D / revenue
    "drift": np.float64,  # firm-specific mean log growth, per year
    "transitory": np.float64,  # last year's transitory part of log size (shock and its level correction), reversed this year
    "grade": np.int8,  # 亩均论英雄 grade (tiers.GRADE_*)
    "score": np.float64,
    "d_streak": np.int8,  # consecutive years graded D
    "remediated_year": np.int16,  # last year the firm was upgraded or regularised on the 高耗低效 list (0: never)
    "lease_end": np.int16,  # 先租后让: year the lease is checked for transfer (0: the firm owns its land)
    "hazard_month": np.float64,  # this year's monthly exit probability (set each year)
    "rationed_revenue": np.float64,  # revenue rate (万元/年) this year's 有序用电 cut, given back at the new year
}

# what an appended row holds in a column not given (ids are fresh: numbered on); the rows of a
# buffer beyond the population hold it already, so an append writes only the columns it is given
_DEFAULT = {name: UNGRADED if name == "grade" else 0 for name in COLUMNS}


# a column's bits, by its item size: the compiled compaction moves any column of a width as bits
_BITS = {8: np.uint64, 2: np.uint16, 1: np.uint8}
_WIDTH = {name: np.dtype(dtype).itemsize for name, dtype in COLUMNS.items()}
_BY_WIDTH = tuple(tuple(name for name in COLUMNS if _WIDTH[name] == width) for width in _BITS)


class Population:
    """Enterprise state as equal-length numpy arrays, one per column of :data:`COLUMNS`.

    Each column is a view of the first ``len(pop)`` rows of a larger buffer, so that appending
    firms (births, completed projects) copies every column only when the buffer grows, not
    every month. The buffer's rows beyond the population hold the column's default (what a row
    not given a value holds), so an append writes only the columns it is given. Assigning a
    column writes into its buffer: ``pop.rd = new`` copies ``new``.
    """

    __slots__ = tuple(COLUMNS) + ("next_id", "_buffers", "_size", "_rows")

    if TYPE_CHECKING:  # the columns, set as slots from COLUMNS at run time; declared here for type checkers
        id: np.ndarray
        alive: np.ndarray
        above: np.ndarray
        in_directory: np.ndarray
        cert: np.ndarray
        cert_year: np.ndarray
        high_tech: np.ndarray
        high_tech_year: np.ndarray
        sector: np.ndarray
        entry_year: np.ndarray
        revenue: np.ndarray
        ytd: np.ndarray
        revenue_prev: np.ndarray
        va_prev: np.ndarray
        growth_prev: np.ndarray
        va_rate: np.ndarray
        tax_rate: np.ndarray
        employees: np.ndarray
        land: np.ndarray
        intensity: np.ndarray
        quota: np.ndarray
        rd: np.ndarray
        drift: np.ndarray
        transitory: np.ndarray
        grade: np.ndarray
        score: np.ndarray
        d_streak: np.ndarray
        remediated_year: np.ndarray
        lease_end: np.ndarray
        hazard_month: np.ndarray
        rationed_revenue: np.ndarray
        next_id: int
        _buffers: dict[str, np.ndarray]
        _size: int
        _rows: int

    def __init__(self, **columns: np.ndarray):
        lengths = {len(v) for v in columns.values()}
        if set(columns) != set(COLUMNS) or len(lengths) > 1:
            raise ValueError("a population needs every column, all of one length")
        self._own({name: np.array(columns[name], dtype=dtype) for name, dtype in COLUMNS.items()}, lengths.pop())

    def _own(self, buffers: dict[str, np.ndarray], size: int) -> None:
        """Take ``buffers`` (fresh arrays, one per column, of at least ``size`` rows) as the columns
        of ``size`` rows, uncopied."""
        if list(buffers) != list(COLUMNS):  # _resize sets the views in this order
            raise ValueError("a population's buffers come in COLUMNS' order")
        object.__setattr__(self, "_buffers", buffers)
        object.__setattr__(self, "_rows", min(map(len, buffers.values())))  # rows every buffer has
        self._resize(size)
        self.next_id = int(self.id.max()) + 1 if len(self.id) else 0

    def _resize(self, size: int) -> None:
        """Make every column the view of the first ``size`` rows, growing the buffers if needed
        (by :func:`_room_for`)."""
        buffers = self._buffers
        if size > self._rows:  # a buffer may be short (else none is: no length to read)
            for name, buffer in buffers.items():
                if len(buffer) < size:
                    grown = np.empty(max(size, _room_for(len(buffer))), dtype=buffer.dtype)
                    grown[: len(buffer)] = buffer
                    grown[len(buffer):] = _DEFAULT[name]
                    buffers[name] = grown
            object.__setattr__(self, "_rows", min(map(len, buffers.values())))  # rows every buffer has
        for set_view, buffer in zip(_SET_COLUMN, buffers.values()):  # the buffers in COLUMNS' order
            set_view(self, buffer[:size])
        object.__setattr__(self, "_size", size)

    def __setattr__(self, name: str, value) -> None:
        if name in COLUMNS:
            view = getattr(self, name)
            value = np.asarray(value)
            if value.shape != view.shape:
                raise ValueError(f"column {name!r} has {len(view)} rows, not {value.shape}")
            view[...] = value
        else:
            object.__setattr__(self, name, value)

    @classmethod
    def new(cls, n: int, *, first_id: int = 0, handed_over: tuple[str, ...] = (), room: bool = False,
            **values) -> Population:
        """``n`` rows; columns not given are zero (grade: ungraded).

        Each column is allocated once and written once (no copy of the whole population: at 10^6
        firms a copy of every column is ~150 MB). The arrays of the columns named in ``handed_over``
        (fresh arrays the caller no longer uses) become the columns as they are where they fit
        (the column's dtype, ``n`` contiguous rows of their own, or the leading rows of a buffer of
        their own, made by :func:`_roomy`, which the column then takes), not copied. ``room``: the
        other columns' buffers hold the rows a first growth would add, so the first births and
        completed projects copy only the handed-over columns made without room.
        """
        unknown = set(values) - set(COLUMNS)
        if unknown:
            raise ValueError(f"not population columns: {sorted(unknown)}")
        cols: dict[str, np.ndarray] = {}
        rows = _room_for(n) if room else n
        for name, dtype in COLUMNS.items():
            value = values.get(name)
            if name in handed_over and isinstance(value, np.ndarray):
                buffer = _buffer_of(value, dtype, n)
                if buffer is not None:
                    buffer[n:] = _DEFAULT[name]
                    cols[name] = buffer
                    continue
            cols[name] = np.zeros(rows, dtype=dtype)  # the rows beyond n wait for births and projects
            if name == "id" and name not in values:
                cols[name][:n] = np.arange(first_id, first_id + n, dtype=np.int64)
            elif name in values:
                cols[name][:n] = np.asarray(values[name], dtype=dtype)
            if name == "grade":  # ungraded where not given, and in the rows beyond
                cols[name][n if name in values else 0:] = UNGRADED
        pop = cls.__new__(cls)
        pop._own(cols, n)
        return pop

    def __len__(self) -> int:
        return self._size

    def keep(self, mask: np.ndarray) -> None:
        """Drop the rows where ``mask`` is false (exited firms leave the arrays)."""
        mask = np.array(mask, dtype=bool)  # a copy: the mask is often a column (alive) being compacted
        kept = int(np.count_nonzero(mask))
        step = kernels.compiled_for(len(self))
        if step is None:
            for name in COLUMNS:
                view = getattr(self, name)
                view[:kept] = view[mask]
        else:  # in place, no temporary column (the same rows, bit for bit), as bits: one compiled loop
            for names in _BY_WIDTH:  # per width (each loop costs a load); two columns a pass
                bits = [getattr(self, name).view(_BITS[_WIDTH[name]]) for name in names]
                for first, second in zip(bits[::2], bits[1::2]):
                    step.compact_pair(first, second, mask)
                if len(bits) % 2:
                    step.compact(bits[-1], mask)
        for name, buffer in self._buffers.items():  # the rows left behind hold the default again
            buffer[kept : len(self)] = _DEFAULT[name]
        self._resize(kept)

    def append(self, n: int, **values) -> None:
        """Append ``n`` rows with fresh ids, columns not given zero (grade: ungraded): what
        ``extend(Population.new(n, **values))`` gives, each column written once, in place (a
        value cast to the column's type as assignment casts it)."""
        unknown = values.keys() - COLUMNS.keys()
        if unknown:
            raise ValueError(f"not population columns: {sorted(unknown)}")
        start = len(self)
        self._resize(start + n)
        for name, value in values.items():  # the other columns' new rows hold their defaults
            getattr(self, name)[start:] = value
        self.id[start:] = np.arange(self.next_id, self.next_id + n, dtype=np.int64)
        self.next_id += n

    def extend(self, other: Population) -> None:
        """Append ``other``'s rows, giving them fresh ids."""
        other.id = np.arange(self.next_id, self.next_id + len(other), dtype=np.int64)
        self.next_id += len(other)
        start = len(self)
        self._resize(start + len(other))
        for name in COLUMNS:
            getattr(self, name)[start:] = getattr(other, name)

    # derived quantities (annual)
    def annual_revenue(self) -> np.ndarray:
        return self.ytd / 12.0

    def full_year_revenue(self, annual: np.ndarray, year: int, rows: np.ndarray | slice = slice(None)) -> np.ndarray:
        """``annual`` (this year's revenue of the firms ``rows``, every firm by default) with each firm
        that started producing this ``year`` at its yearly rate, for the rules that judge a year's use
        and output (the energy true-up, the 亩均 grades): a project's plant that opened in July made
        half a year, not half its rate."""
        started = self.entry_year[rows] == year
        if not started.any():
            return annual
        return np.where(started, np.maximum(annual, self.revenue[rows]), annual)

    def energy_use(self, revenue: np.ndarray | None = None) -> np.ndarray:
        """tce per year at ``revenue`` (default: the current annualised rate)."""
        revenue = self.revenue if revenue is None else revenue
        return revenue * self.va_rate * self.intensity


# each column's slot setter, in COLUMNS' order: a column's view is set without Population.__setattr__
# (which writes into the view) and without object.__setattr__'s lookup (births reset 32 views a month)
_SET_COLUMN = tuple(getattr(Population, name).__set__ for name in COLUMNS)


def _room_for(rows: int) -> int:
    """Rows a buffer of ``rows`` grows to: a quarter more (births and completed projects add a few
    per cent a year, and exits free rows at each year end), not double: at 10^6 firms doubling
    would reserve ~150 MB of rows that are never used."""
    return rows + rows // 4 + 64


def _buffer_of(value: np.ndarray, dtype: type, n: int) -> np.ndarray | None:
    """The buffer that can hold a column of ``n`` rows whose values are ``value``, as it is, or None:
    ``value`` itself, owning ``n`` contiguous elements of the column's dtype (so no other column or
    view shares it), or the buffer of :func:`_roomy`'s size whose first ``n`` rows ``value`` is."""
    if value.dtype != dtype or value.shape != (n,) or not value.flags.c_contiguous:
        return None
    if value.flags.owndata:
        return value
    base = value.base
    if (isinstance(base, np.ndarray) and base.flags.owndata and base.ndim == 1 and base.dtype == dtype
            and len(base) == _room_for(n) and value.ctypes.data == base.ctypes.data):
        return base
    return None


def _roomy(n: int, dtype: type = np.float64) -> np.ndarray:
    """``n`` rows of a fresh buffer with the room :meth:`Population.new` gives (``room=True``): a
    column made in it is taken with its buffer, which the first births and projects then fit."""
    return np.empty(_room_for(n), dtype=dtype)[:n]


# Columns of the base-year population that initial_population makes in buffers of their own with
# room (:func:`_roomy`), so Population.new takes them uncopied and the first appends copy nothing;
# the others (revenue_prev, the same values as revenue; a few made elsewhere) are copied once.
_HANDED_OVER = ("above", "revenue", "va_prev", "growth_prev", "va_rate", "tax_rate", "employees", "land",
                "intensity", "quota")


def initial_population(scenario: Scenario, rng: np.random.Generator) -> Population:
    """Draw the base-year firms so that 规上 aggregates match the scenario's cited figures.

    Sizes come from one continuous distribution across the 2,000万 line (see :func:`_base_revenue`);
    rates and land are drawn at random (log-normal firm-level rates), then scaled so that 规上
    output, value-added rate, 亩均税收, land, employees and energy equal the base-year figures
    exactly. Revenues are the base year's annual revenue.
    """
    pop_spec, params = scenario.population, scenario.parameters
    above, below = pop_spec.above_scale, pop_spec.below_scale
    n_above, n_below = round(above.count.at(0)), round(below.count.at(0))
    n = n_above + n_below
    disp = above.dispersion.at(0)

    revenue, is_above = _base_revenue(scenario, rng)
    sector = categories(rng, pop_spec.sector_shares(), n)
    names = [s.name for s in pop_spec.sectors]
    for i, firm in enumerate(pop_spec.large_firms):
        if firm.sector is not None:
            sector[i] = names.index(firm.sector)
    rel_intensity = np.array([s.energy_intensity_relative.at(0) for s in pop_spec.sectors])[sector]

    va_rate = _scaled_rates(n, below.value_added_rate.at(0) / 100, disp, rng, out=_roomy(n))
    tax_rate = _scaled_rates(n, below.tax_rate.at(0) / 100, disp, rng, out=_roomy(n))
    # each product below is the ``*=`` of its first factor by the second, drawn after it
    intensity = np.multiply(below.energy_intensity.at(0) * rel_intensity, lognormal(rng, 0.0, disp, n), out=_roomy(n))
    land = np.multiply(np.where(rng.random(n) < below.land_owner_share.at(0), below.land_per_owner.at(0), 0.0),
                       lognormal(rng, -disp**2 / 2, disp, n), out=_roomy(n))
    employees = revenue / below.revenue_per_employee.at(0)

    a = slice(0, n_above)
    va_rate[a] = _match_ratio(va_rate[a], revenue[a], above.value_added_rate.at(0) / 100)
    land[a] = _allocate(above.land.at(0), revenue[a] ** 0.8 * lognormal(rng, 0.0, disp, n_above))
    total_tax = above.tax_per_mu.at(0) * above.land.at(0)
    tax_rate[a] = tax_rate[a] * total_tax / np.sum(tax_rate[a] * revenue[a])
    employees[a] = _allocate(above.employees.at(0), revenue[a] ** 0.7)
    value_added = np.multiply(revenue, va_rate, out=_roomy(n))
    intensity[a] *= above.energy_use.at(0) * 1e4 / np.sum(value_added[a] * intensity[a])

    drift = rng.normal(0.0, params.growth.heterogeneity.at(0), n)
    # a named plant grows with the trend: the trend is solved over 规上 revenue, so a random drift of
    # a plant as large as a refinery (28% of Zhenhai's 规上 output) would move every other firm the other way
    drift[: len(pop_spec.large_firms)] = 0.0
    rd = lognormal(rng, 0.0, pop_spec.rd_intensity_sigma.at(0), n)
    rd *= pop_spec.rd_intensity_median.at(0) / 100
    np.minimum(rd, 0.5, out=rd)
    cert, cert_year, high_tech, rd = initial_certificates(scenario, revenue, employees, value_added, rd, is_above, rng)

    return Population.new(
        n,
        handed_over=_HANDED_OVER,
        room=True,
        alive=True,
        above=is_above,
        in_directory=is_above,
        cert=cert,
        cert_year=cert_year,
        high_tech=high_tech,
        high_tech_year=scenario.base_year - rng.integers(0, 3, n),
        sector=sector,
        entry_year=scenario.base_year - _base_ages(revenue, pop_spec.age_median.at(0), rng),
        revenue=revenue,
        revenue_prev=revenue,
        va_prev=value_added,
        growth_prev=np.expm1(drift + np.log1p(params.growth.above_scale_mean.at(scenario.base_year) / 100),
                             out=_roomy(n)),
        va_rate=va_rate,
        tax_rate=tax_rate,
        employees=np.maximum(employees, 1.0, out=_roomy(n)),
        land=land,
        intensity=intensity,
        quota=np.multiply(value_added, intensity, out=_roomy(n)),
        rd=rd,
        drift=drift,
        grade=UNGRADED,
    )


def _base_revenue(scenario: Scenario, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Base-year revenue of every firm (万元) and whether it is 规上; named large firms first.

    Above the line: the scenario's named firms at their revenue, the rest at the quantiles of a
    Pareto tail (Axtell 2001), its excess scaled to the remaining 规上 output. Quantiles, not
    random draws: the largest firms are the same in every replication. Below the line: a
    truncated log-normal whose spread is chosen so that the density of firms is continuous at
    the line (no gap where the statistical label changes).
    """
    pop_spec, params = scenario.population, scenario.parameters
    threshold = params.statistics.above_scale_threshold.at(0)
    above, below = pop_spec.above_scale, pop_spec.below_scale
    n_above, n_below = round(above.count.at(0)), round(below.count.at(0))
    named = np.array([f.revenue.at(0) * 1e4 for f in pop_spec.large_firms])
    alpha = above.size_tail_index.at(0)
    tail, scale = _pareto_quantiles(n_above - len(named), threshold, alpha, above.output.at(0) * 1e4 - named.sum())
    tail = rng.permutation(tail)
    density_at_line = (n_above - len(named)) * alpha / (scale * threshold)  # firms per 万元 just above the line
    sigma = _continuous_sigma(n_below, below.revenue_median.at(0), threshold, density_at_line, below.revenue_sigma.at(0))
    small = lognormal_below(n_below, below.revenue_median.at(0), sigma, threshold, rng)
    revenue = np.concatenate([named, tail, small], out=_roomy(n_above + n_below))
    is_above = _roomy(len(revenue), np.bool_)  # the first n_above firms
    is_above[:n_above] = True
    is_above[n_above:] = False
    return revenue, is_above


# The two functions below take no draws: kept for the next replication of the same scenario
# (read-only arrays), where they were a tenth of a district's base population.
@lru_cache(maxsize=8)
def _pareto_quantiles(n: int, threshold: float, alpha: float, total: float) -> tuple[np.ndarray, float]:
    """``n`` revenues at the mid-quantiles of a Pareto(alpha) above ``threshold``, the excess over
    the threshold scaled so that they sum to ``total``; returns them (read-only) and the scale factor."""
    quantiles, scale = _pareto_quantiles_of(n, threshold, alpha, total)
    quantiles.flags.writeable = False
    return quantiles, scale


def _pareto_quantiles_of(n: int, threshold: float, alpha: float, total: float) -> tuple[np.ndarray, float]:
    if n == 0:
        return np.empty(0), 1.0
    u = (np.arange(n) + 0.5) / n
    excess = threshold * (u ** (-1.0 / alpha) - 1.0)
    want = total - n * threshold
    if want <= 0:
        raise ValueError("规上 output is below count x threshold: each 规上 firm needs >= 2,000万元")
    scale = want / excess.sum()
    return threshold + excess * scale, scale


@lru_cache(maxsize=8)
def _continuous_sigma(n: int, median: float, threshold: float, density: float, guess: float) -> float:
    """The log-normal spread below the line that meets ``density`` (firms per 万元) at the line.

    Of the spreads that match within 5%, the one nearest ``guess``; if none does, the closest match.
    """
    if n == 0 or density <= 0 or median >= threshold:
        return guess
    sigmas = np.linspace(0.2, 4.0, 761)
    z = np.log(threshold / median) / sigmas
    below_density = n * np.exp(-z**2 / 2) / (np.sqrt(2 * np.pi) * sigmas * threshold * ndtr(z))
    miss = np.abs(np.log(below_density / density))
    close = miss < np.log(1.05)
    if close.any():
        return float(sigmas[close][np.argmin(np.abs(sigmas[close] - guess))])
    return float(sigmas[np.argmin(miss)])


def _base_ages(revenue: np.ndarray, median: float, rng: np.random.Generator) -> np.ndarray:
    """Years since entry at the base year: log-normal around ``median``, older firms larger
    (an assumption: the size-age correlation of firm panels, not a cited figure)."""
    log_size = np.log(np.maximum(revenue, 1.0))
    mean, sd = log_size.mean(), max(log_size.std(), 1e-9)
    z = log_size  # 0.3 z + 0.6 normal, each product and sum as written, in place
    z -= mean
    z /= sd
    z *= 0.3
    noise = rng.standard_normal(len(revenue))
    noise *= 0.6
    z += noise
    age = np.exp(z)  # numpy's exp into a fresh array, as before
    age *= median
    np.round(age, out=age)
    return _clipped(age, 1, 60).astype(np.int64)


def _scaled_rates(n: int, mean: float, disp: float, rng, out: np.ndarray | None = None) -> np.ndarray:
    rates = lognormal(rng, -disp**2 / 2, disp, n, out=out)
    rates *= mean
    return _clipped(rates, 1e-4, 0.95)


def _clipped(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """``np.clip(values, low, high)`` in place (the same values: the larger of the value and
    ``low``, then the smaller of that and ``high``), without np.clip's Python-level dispatch."""
    np.maximum(values, low, out=values)
    return np.minimum(values, high, out=values)


def _match_ratio(rate: np.ndarray, weight: np.ndarray, target: float) -> np.ndarray:
    """Scale ``rate`` so the ``weight``-weighted mean equals ``target``."""
    return np.clip(rate * target * weight.sum() / np.sum(rate * weight), 1e-4, 0.95)


def _allocate(total: float, weights: np.ndarray) -> np.ndarray:
    return total * weights / weights.sum() if len(weights) else weights
