"""The scenario schema: a region, its firms, its policy levers, its uncertain parameters, its targets.

A scenario is parsed once (see :mod:`simulation.loader`) into these frozen models; everything
downstream trusts them. Unknown keys are refused, every number is a cited
:class:`~simulation.quantity.Quantity`, and cross-field rules (years inside the run, route shares
summing to one, targets naming a declared indicator) are checked here.

Levers are what a policy maker sets (EMA Workbench's "levers"); parameters are behavioural
uncertainties (its "uncertainties"). Sweeps address either by dotted path, e.g.
``levers.remediation.firms_per_year``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .limits import LAST_YEAR
from .processes.quotas import allocated_quota
from .quantity import FiniteNumber, Quantity, Unit, refuse_loose_numbers

PERCENT = Annotated[Quantity, Unit("%", le=100.0)]
SHARE = Annotated[Quantity, Unit("1", ge=0.0, le=1.0)]
COUNT = Annotated[Quantity, Unit("家")]
MONTH = Annotated[Quantity, Unit("月", ge=1.0, le=12.0)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _strict_numbers(cls, data):
        return refuse_loose_numbers(cls, data)


# --- population at the base year -----------------------------------------------------------


class AboveScale(Strict):
    """规上工业企业 at the base year (aggregates the generated firms are scaled to)."""

    count: COUNT
    output: Annotated[Quantity, Unit("亿元")]  # 规上工业总产值, taken as main-business revenue
    value_added_rate: PERCENT  # 规上工业增加值率
    tax_per_mu: Annotated[Quantity, Unit("万元/亩")]  # 规上工业亩均税收
    land: Annotated[Quantity, Unit("亩")]  # land held by 规上 firms
    employees: Annotated[Quantity, Unit("人")]
    energy_use: Annotated[Quantity, Unit("万吨标准煤")]
    size_tail_index: Annotated[Quantity, Unit("1", ge=0.5, le=5.0)]  # Pareto index of revenue above the 2,000万 line
    dispersion: Annotated[Quantity, Unit("1", le=3.0)]  # s.d. of log firm-level rates (VA rate, tax rate, land use)


class BelowScale(Strict):
    """规下工业企业 at the base year."""

    count: COUNT
    revenue_median: Annotated[Quantity, Unit("万元")]
    revenue_sigma: Annotated[Quantity, Unit("1", le=5.0)]
    value_added_rate: PERCENT
    tax_rate: PERCENT  # tax as a share of revenue
    land_owner_share: SHARE  # share owning industrial land (others rent: tenants in 小微园)
    land_per_owner: Annotated[Quantity, Unit("亩")]
    revenue_per_employee: Annotated[Quantity, Unit("万元/人")]
    energy_intensity: Annotated[Quantity, Unit("吨标准煤/万元")]  # per 万元 value added


class Certified(Strict):
    """Certified firms at the base year (counts in the region)."""

    innovative_sme: COUNT  # 创新型中小企业
    zjtx_sme: COUNT  # 专精特新中小企业
    little_giants: COUNT  # 专精特新"小巨人"
    single_champions: COUNT  # 单项冠军
    high_tech: COUNT  # 高新技术企业
    # 高新技术产业增加值占规上工业比重 at the base year; absent: the count is given to the most innovative firms
    high_tech_value_added_share: PERCENT | None = None


class Sector(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    firm_share: SHARE
    energy_intensity_relative: Annotated[Quantity, Unit("1")]


class LargeFirm(Strict):
    """A firm the scenario knows by name (a district's refinery, say), placed at its revenue in every
    replication instead of being drawn from the size distribution. It does not leave by market exit:
    a plant the documents build on changes owner rather than closing (镇海炼化 is Sinopec's), and
    its output stays in the region's statistics; policy can still act on it."""

    name: str = Field(min_length=1)
    revenue: Annotated[Quantity, Unit("亿元")]
    sector: str | None = None  # a sector name of the scenario


class Population(Strict):
    above_scale: AboveScale
    below_scale: BelowScale
    certified: Certified
    rd_intensity_median: PERCENT  # R&D / revenue
    rd_intensity_sigma: Annotated[Quantity, Unit("1", le=3.0)]
    sectors: list[Sector] = Field(min_length=1, max_length=200)
    large_firms: list[LargeFirm] = Field(default_factory=list)
    # median age of firms at the base year (years); older firms are larger
    age_median: Annotated[Quantity, Unit("年", ge=1.0, le=50.0)]

    def sector_shares(self) -> list[float]:
        """Each sector's share of firms (the base year's): how new firms, births and completed
        projects alike, are spread over the sectors."""
        return [s.firm_share.at(0) for s in self.sectors]

    @model_validator(mode="after")
    def _shares(self) -> Population:
        total = sum(self.sector_shares())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"sectors: firm_share values sum to {total:.4f}, not 1")
        names = {s.name for s in self.sectors}
        for i, sector in enumerate(self.sectors):
            if any(other.name == sector.name for other in self.sectors[:i]):
                raise ValueError(f"sectors.{i}.name: {sector.name!r} is given twice (a sector's name must be its own)")
        for i, firm in enumerate(self.large_firms):
            if firm.sector is not None and firm.sector not in names:
                raise ValueError(f"large_firms.{i}.sector: {firm.sector!r} is not one of the sectors {sorted(names)}")
        return self


# --- policy levers ---------------------------------------------------------------------------


class RouteShares(Strict):
    """腾笼换鸟 routes for remediated firms; shares sum to 1."""

    upgrade: SHARE  # 改造提升
    regularise: SHARE  # 规范管理
    merge_relocate: SHARE  # 兼并搬迁
    close: SHARE  # 淘汰关停

    @model_validator(mode="after")
    def _sum(self) -> RouteShares:
        total = sum(q.at(0) for q in (self.upgrade, self.regularise, self.merge_relocate, self.close))
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"route shares sum to {total:.4f}, not 1")
        return self


class Remediation(Strict):
    """高耗低效企业整治: D-grade firms first, by capacity per year."""

    firms_per_year: Annotated[Quantity, Unit("家", schedule=True)]
    start_year: int
    month: MONTH
    routes: RouteShares
    # "两高": C-grade firms using at least this much energy join the list after the D-grade ones
    high_energy_use: Annotated[Quantity, Unit("吨标准煤/年")] | None = None


class ScatteredWeak(Strict):
    """"散乱弱"/"低散乱污" 企业整治 among 规下 firms."""

    firms_per_year: Annotated[Quantity, Unit("家", schedule=True)]
    close_share: SHARE


class Xiaoshenggui(Strict):
    """小升规: incentives raise the chance an eligible firm enters the statistics."""

    incentive: SHARE  # 0 = no incentive scheme, 1 = a full one (Yuhang-style reward)
    pool_growth_boost: Annotated[Quantity, Unit("%/年", le=50.0)]  # extra growth for 小升规培育库 firms


class Cultivation(Strict):
    """梯度培育库: cultivation pools raise certification success."""

    success_multiplier: Annotated[Quantity, Unit("1", ge=0.0, le=10.0, schedule=True)]
    # firm effort: extra yearly log growth of R&D intensity for firms in the pools (培育库 support,
    # R&D subsidies); absent: none
    rd_effort: Annotated[Quantity, Unit("1", le=1.0, schedule=True)] | None = None
    # 高新技术苗子: the firms nearest below the 高新技术企业 R&D floor, supported to reach it
    high_tech_seedlings: Annotated[Quantity, Unit("家", schedule=True)] | None = None


class LandSupply(Strict):
    """新增工业用地 supply (标准地出让).

    Either ``new_land_per_year`` directly, or the city rule that gives it: a share of all new
    construction land goes to industry (Ningbo 004 §二(五)3: 每年新增用地指标35%用于工业).
    """

    new_land_per_year: Annotated[Quantity, Unit("亩", schedule=True)] | None = None
    new_construction_land_per_year: Annotated[Quantity, Unit("亩", schedule=True)] | None = None  # 新增建设用地指标
    industrial_share: Annotated[Quantity, Unit("1", ge=0.0, le=1.0, schedule=True)] | None = None  # of new construction land
    auctions_per_year: Annotated[Quantity, Unit("次", ge=1.0, le=12.0)]
    small_park_share: SHARE  # share of new land for 小微企业园 (not open to large projects)

    @model_validator(mode="after")
    def _one_rule(self) -> LandSupply:
        by_rule = (self.new_construction_land_per_year is not None, self.industrial_share is not None)
        if self.new_land_per_year is not None and any(by_rule):
            raise ValueError("give new_land_per_year or new_construction_land_per_year with industrial_share, not both")
        if self.new_land_per_year is None and not all(by_rule):
            raise ValueError("give new_land_per_year, or new_construction_land_per_year and industrial_share")
        return self

    def industrial_land(self, year: int) -> float:
        """New industrial land in ``year`` (亩)."""
        if self.new_land_per_year is not None:
            return self.new_land_per_year.at(year)
        assert self.new_construction_land_per_year is not None and self.industrial_share is not None  # _one_rule
        return self.new_construction_land_per_year.at(year) * self.industrial_share.at(year)


class Energy(Strict):
    """能耗双控: the yearly cap on industrial energy use, and quota trading."""

    cap: Annotated[Quantity, Unit("万吨标准煤", schedule=True)]
    trade_max_per_year: Annotated[Quantity, Unit("万吨标准煤", schedule=True)]  # 用能权 bought from other regions
    # share of a firm's unused quota taken back each year (用能权 回收); absent: firms keep idle quota
    unused_quota_returned: Annotated[Quantity, Unit("1", ge=0.0, le=1.0, schedule=True)] | None = None
    # 有序用电: the month of the year rationing starts (1-12; 13: none that year); before it the region leaves
    # firms' use alone (use above quota is booked as overrun at the year's end); absent: from the first
    # look-ahead, the year's use counted
    rationing_month: Annotated[Quantity, Unit("月", ge=1.0, le=13.0, schedule=True)] | None = None


class Attraction(Strict):
    """招商引资: new manufacturing projects arriving."""

    projects_per_year: Annotated[Quantity, Unit("个", schedule=True)]  # leads a year at the usual effort; a lead signs only if land and energy are in sight
    zero_land_share: SHARE  # share that are 零增地技改 on existing firms' land
    effort: Annotated[Quantity, Unit("1", ge=0.0, le=10.0, schedule=True)] | None = None  # 招商 effort, × the lead rate (absent: 1)


class LandRenewal(Strict):
    """工业用地焕新提效 (Haishu 003 §(二)): 先租后让 leases and 盘活存量 of idle and low-efficiency land."""

    lease_first_share: SHARE  # share of new project plots granted 先租后让 (a lease first, transfer after the check)
    lease_years: Annotated[Quantity, Unit("年", ge=1.0, le=10.0)]  # lease term before the 达产 check
    # 批而未供 / 供而未用 / 低效用地 brought back into supply each year (低效用地再开发)
    idle_land_per_year: Annotated[Quantity, Unit("亩", schedule=True)]


class Levers(Strict):
    xiaoshenggui: Xiaoshenggui
    remediation: Remediation
    scattered_weak: ScatteredWeak
    cultivation: Cultivation
    land_supply: LandSupply
    energy: Energy
    attraction: Attraction
    land_renewal: LandRenewal | None = None  # absent: land is sold outright and no idle stock is recovered


# --- behavioural parameters ------------------------------------------------------------------


class Growth(Strict):
    """Yearly revenue growth of every firm (one law for all; the 规上 label does not change it).

    log growth = trend + size and age effects + firm drift + common shocks + a Laplace shock whose
    s.d. falls with size (Stanley et al. 1996; Bottazzi & Secchi 2006). The trend is set each year
    so that the 同口径 规上 growth indicator grows by ``above_scale_mean`` in expectation: continuing
    规上 firms' revenue by ``above_scale_mean`` less ``scope_gap``, the part of the indicator that is
    the year's new plants, and 零增地 and merged output, at the scenario's own levers (see
    :mod:`simulation.calibration.scope_gap`).
    """

    # expected 规上 value-added growth on a comparable basis (同口径, as published), constant prices
    above_scale_mean: Annotated[Quantity, Unit("%/年", ge=-50.0, le=100.0, schedule=True)]
    # how far that indicator runs above continuing firms' growth at the scenario's levers (pp);
    # measured by `upgrade-sim scope-gap`, none: continuing firms grow by above_scale_mean
    scope_gap: Annotated[Quantity, Unit("%/年", ge=-20.0, le=20.0, schedule=True)] | None = None
    volatility: Annotated[Quantity, Unit("1", le=1.0)]  # s.d. of yearly log growth of a firm at the 2,000万 line
    volatility_size_elasticity: Annotated[Quantity, Unit("1", le=1.0)]  # beta in s.d. ∝ revenue^-beta
    transitory_share: Annotated[Quantity, Unit("1", le=0.9)]  # share of the growth variance that reverses the next year
    size_effect: Annotated[Quantity, Unit("1", ge=-0.5, le=0.5)]  # change in mean log growth per unit of log revenue, below 2,000万
    age_effect: Annotated[Quantity, Unit("1", ge=-0.5, le=0.5)]  # change in mean log growth per unit of log(1 + age)
    heterogeneity: Annotated[Quantity, Unit("1", le=2.0)]  # s.d. of firm-specific mean growth
    certified_premium: Annotated[Quantity, Unit("%/年", ge=-50.0, le=50.0)]  # per certification level
    energy_efficiency_gain: Annotated[Quantity, Unit("%/年", ge=-50.0, le=50.0, schedule=True)]  # yearly fall in tce per 万元 VA
    common_shock_sd: Annotated[Quantity, Unit("1", le=1.0)]  # s.d. of the region's yearly shock to log growth
    common_shock_persistence: Annotated[Quantity, Unit("1", ge=-0.95, le=0.95)]  # AR(1) coefficient of that shock
    sector_shock_sd: Annotated[Quantity, Unit("1", le=1.0)]  # s.d. of each sector's yearly shock
    employment_elasticity: Annotated[Quantity, Unit("1", le=1.5)]  # employment growth per unit of revenue growth


class Exit(Strict):
    """Market exit: a yearly hazard falling with size and age (Dunne, Roberts & Samuelson 1989)."""

    rate: SHARE  # yearly hazard of a firm of 2,000万 revenue and 10 years of age
    size_elasticity: Annotated[Quantity, Unit("1", le=3.0)]  # hazard ∝ revenue^-size_elasticity
    age_elasticity: Annotated[Quantity, Unit("1", le=3.0)]  # hazard ∝ (1 + age)^-age_elasticity
    certified_multiplier: Annotated[Quantity, Unit("1", le=5.0)]  # certified firms, relative to uncertified of the same size and age
    d_grade_multiplier: Annotated[Quantity, Unit("1", le=20.0)]


class Entry(Strict):
    """New firms. ``births_per_year`` directly, or ``stock_growth``: births keep the stock of 规下
    firms on the path of the base year's count grown at that rate (free entry; see
    :mod:`simulation.processes.entry`)."""

    births_per_year: Annotated[Quantity, Unit("家", schedule=True)] | None = None
    stock_growth: Annotated[Quantity, Unit("%/年", ge=-50.0, le=50.0, schedule=True)] | None = None
    revenue_median: Annotated[Quantity, Unit("万元")]
    revenue_sigma: Annotated[Quantity, Unit("1", le=5.0)]

    @model_validator(mode="after")
    def _one_rule(self) -> Entry:
        if (self.births_per_year is None) == (self.stock_growth is None):
            raise ValueError("give exactly one of births_per_year or stock_growth")
        return self


class Prices(Strict):
    """工业生产者出厂价格指数 (PPI), previous year = 100: turns constant-price indicators into current prices."""

    producer_price_index: Annotated[Quantity, Unit("上年=100", ge=50.0, le=200.0, schedule=True)]


class Statistics(Strict):
    above_scale_threshold: Annotated[Quantity, Unit("万元")]  # 2,000万元 main-business revenue
    report_probability: SHARE  # chance an eligible firm enters the survey with no incentive
    report_probability_incentive: SHARE  # the same under a full incentive


class Grading(Strict):
    """亩均论英雄 grading: weights and grade shares."""

    weight_tax_per_mu: Annotated[Quantity, Unit("1")]
    weight_value_added_per_mu: Annotated[Quantity, Unit("1")]
    weight_value_added_per_energy: Annotated[Quantity, Unit("1")]
    weight_rd: Annotated[Quantity, Unit("1")]
    share_a: SHARE
    share_b: SHARE
    share_c: SHARE
    min_land_below_scale: Annotated[Quantity, Unit("亩")]  # 规下 firms graded only from this size up

    @model_validator(mode="after")
    def _shares(self) -> Grading:
        total = self.share_a.at(0) + self.share_b.at(0) + self.share_c.at(0)
        if total > 1.0 + 1e-9:
            raise ValueError(f"share_a + share_b + share_c = {total:.3f} exceeds 1 (D is the rest)")
        return self


class RouteEffects(Strict):
    upgrade_energy_cut: SHARE
    upgrade_value_added_gain: Annotated[Quantity, Unit("1", le=2.0)]
    # a listed 两高 plant's 节能改造 (levers.remediation.high_energy_use): none given, as a D-grade firm's
    two_high_energy_cut: SHARE | None = None
    two_high_value_added_gain: Annotated[Quantity, Unit("1", le=2.0)] | None = None
    upgrade_investment_per_mu: Annotated[Quantity, Unit("万元/亩")]
    regularise_tax_gain: Annotated[Quantity, Unit("1", le=2.0)]
    regularise_land_return: SHARE
    merge_output_retained: SHARE


class Allocation(Strict):
    """A national list allocated down: region quota = national batch x province share x region share.

    Each share is the province's (region's) part of the level above; the rounding keeps the parts
    of any split summing to the whole (see :func:`simulation.processes.quotas.apportion`).
    """

    national_batch: Annotated[Quantity, Unit("家", schedule=True)]  # firms named nationally in the year's batch
    province_share: SHARE  # the province's share of a national batch
    region_share: SHARE  # the region's share of the province's


class RdBand(Strict):
    """R&D floor for firms with last year's revenue at or above ``revenue_from``."""

    revenue_from: Annotated[Quantity, Unit("万元")]
    min_rd: PERCENT


class SmeCeiling(Strict):
    """中小企业 under the 2011 划型标准 (industry): fewer than ``employees`` OR revenue under ``revenue``."""

    revenue: Annotated[Quantity, Unit("万元")]
    employees: Annotated[Quantity, Unit("人")]


class Step(Strict):
    """One certification step: eligibility and yearly success."""

    success: SHARE
    min_rd: PERCENT
    min_revenue: Annotated[Quantity, Unit("万元")]
    min_growth: Annotated[Quantity, Unit("%/年", ge=-100.0)]
    min_years_below: Annotated[Quantity, Unit("年", le=30.0)]  # years at the tier below before applying
    quota_per_year: Annotated[Quantity, Unit("家", schedule=True)] | None = None  # most the region gets per round
    allocation: Allocation | None = None  # or the quota as the region's part of a national batch
    # firms with at least this revenue may apply without the level below (单项冠军: 4亿, domain-facts §3)
    open_above_revenue: Annotated[Quantity, Unit("万元")] | None = None
    # before this year any lower level may apply (the level below became a requirement in that year)
    level_below_required_from: int | None = None
    # R&D floors by revenue band; below the lowest band only firms spending small_firm_rd_spend apply
    rd_bands: list[RdBand] | None = None
    small_firm_rd_spend: Annotated[Quantity, Unit("万元")] | None = None
    sme_only: bool = False  # only 中小企业 (Certification.sme_ceiling) may apply
    review_pass_rate: Annotated[Quantity, Unit("1", ge=0.0, le=1.0, schedule=True)] | None = None  # by review year; absent: the common rate

    @model_validator(mode="after")
    def _one_quota(self) -> Step:
        if (self.quota_per_year is None) == (self.allocation is None):
            raise ValueError("give exactly one of quota_per_year and allocation")
        return self

    def quota(self, year: int) -> float:
        """Most firms the region may certify at this level in ``year``."""
        if self.allocation is None:
            assert self.quota_per_year is not None  # exactly one of the two is given
            return self.quota_per_year.at(year)
        return float(allocated_quota(self.allocation, year))


class Certification(Strict):
    month: MONTH
    innovative_sme: Step
    zjtx_sme: Step
    little_giant: Step
    single_champion: Step
    term_years: Annotated[Quantity, Unit("年", ge=1.0, le=10.0)]
    review_pass_rate: Annotated[Quantity, Unit("1", ge=0.0, le=1.0, schedule=True)]
    high_tech_success: SHARE
    # chance a holder is re-certified when its 3 years end (it must meet the floor); absent: high_tech_success
    high_tech_renewal: SHARE | None = None
    rd_drift: Annotated[Quantity, Unit("1", ge=-1.0, le=1.0)]  # mean yearly change in log R&D intensity
    rd_volatility: Annotated[Quantity, Unit("1", le=2.0)]
    sme_ceiling: SmeCeiling | None = None  # for steps with sme_only
    # a round's chance varies from year to year, alike for all the region's applicants of a level (the
    # national batch's size and the region's part of it): log s.d. of the year's factor; absent: none
    batch_effect: Annotated[Quantity, Unit("1", ge=0.0, le=2.0)] | None = None
    high_tech_batch_effect: Annotated[Quantity, Unit("1", ge=0.0, le=2.0)] | None = None  # the same, 高新技术企业

    @model_validator(mode="after")
    def _ceiling_given(self) -> Certification:
        steps = ("innovative_sme", "zjtx_sme", "little_giant", "single_champion")
        if self.sme_ceiling is None and any(getattr(self, name).sme_only for name in steps):
            raise ValueError("sme_ceiling: required when a step has sme_only: true")
        return self


class Projects(Strict):
    investment_median: Annotated[Quantity, Unit("亿元")]
    investment_sigma: Annotated[Quantity, Unit("1", le=5.0)]
    investment_per_mu: Annotated[Quantity, Unit("万元/亩")]  # 标准地 investment intensity
    output_per_investment: Annotated[Quantity, Unit("1", le=20.0)]  # yearly output at full production per yuan invested
    value_added_rate: PERCENT
    energy_intensity: Annotated[Quantity, Unit("吨标准煤/万元")]
    build_months: Annotated[Quantity, Unit("月", ge=1.0, le=120.0)]
    patience_months: Annotated[Quantity, Unit("月", ge=0.1, le=240.0)]
    large_threshold: Annotated[Quantity, Unit("亿元")]  # "亿元以上项目"


class Investment(Strict):
    capex_share_of_value_added: PERCENT  # 存量企业 yearly investment


class Land(Strict):
    free_initial: Annotated[Quantity, Unit("亩")]
    expansion_growth_threshold: Annotated[Quantity, Unit("%/年", ge=-100.0)]
    expansion_land_elasticity: Annotated[Quantity, Unit("1", le=5.0)]
    zero_land_cost_per_mu: Annotated[Quantity, Unit("万元/亩")]  # 零增地技改 (厂房加层) spending per mu of land a firm could not get
    # freed land: months from 收储 to re-supply (clearing, soil remediation), and the share lost to other uses
    clearing_months: Annotated[Quantity, Unit("月", ge=0.0, le=120.0)] | None = None  # absent: free at once
    other_use_share: Annotated[Quantity, Unit("1", ge=0.0, le=1.0)] | None = None  # absent: all freed land stays industrial
    expansion_patience_months: Annotated[Quantity, Unit("月", ge=0.0, le=120.0)] | None = None  # absent: an unmet claim builds upward at once
    # land freed before the start and still being cleared: back in equal parts over the first clearing_months
    clearing_at_start: Annotated[Quantity, Unit("亩")] | None = None  # absent: none (the run's own clearing only)

    @model_validator(mode="after")
    def _clearing_needs_months(self) -> Land:
        if self.clearing_at_start is not None and self.clearing_months is None:
            raise ValueError("clearing_at_start needs clearing_months (how long that land takes to come back)")
        return self


class Carbon(Strict):
    tonnes_co2_per_tce: Annotated[Quantity, Unit("吨CO2/吨标准煤")]


class Parameters(Strict):
    growth: Growth
    exit: Exit
    entry: Entry
    statistics: Statistics
    grading: Grading
    route_effects: RouteEffects
    certification: Certification
    projects: Projects
    investment: Investment
    land: Land
    carbon: Carbon
    prices: Prices | None = None  # absent: current prices equal constant base-year prices


# --- targets ---------------------------------------------------------------------------------


class Target(Strict):
    """One official target: an indicator compared with a value in a year.

    ``measure`` says how the indicator is read: its ``level`` in the year, the ``cumulative``
    sum of its yearly values over ``since+1 .. year`` (a document's "[]" values), or its
    ``cagr`` (average annual growth, %) from ``since`` to ``year``.
    """

    name: str  # the document's wording
    indicator: str | None = None
    year: int
    op: Literal[">=", "<=", ">", "<", "=="] = ">="
    value: FiniteNumber | None = None  # strict: `true`, "80", NaN and inf are refused
    unit: str | None = None
    measure: Literal["level", "cumulative", "cagr"] = "level"
    since: int | None = None
    # price basis: 'current' (现价) or 'constant' (base-year prices, 可比价); absent: money levels
    # (亿元, 万元/亩 …) are judged at current prices, growth rates and counts at constant prices
    basis: Literal["constant", "current"] | None = None
    source: str = Field(min_length=3)
    modelled: bool = True
    reason: str | None = None
    theme: Literal["tiers", "output", "efficiency", "land", "energy", "investment", "innovation", "other"] = "other"

    @model_validator(mode="after")
    def _consistent(self) -> Target:
        if self.modelled:
            if self.indicator is None or self.value is None:
                raise ValueError("a modelled target needs 'indicator' and 'value'")
            if self.measure != "level" and self.since is None:
                raise ValueError(f"measure '{self.measure}' needs 'since' (the base year)")
        elif not self.reason:
            raise ValueError("a target with modelled: false needs a 'reason'")
        return self


class Scenario(Strict):
    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    region: str
    region_en: str = Field(pattern=r"^[A-Za-z][A-Za-z .,'()-]{0,79}$")  # a label ("Zhenhai district, Ningbo"), never a path
    document: str
    base_year: int = Field(ge=1990, le=LAST_YEAR)
    end_year: int = Field(ge=1990, le=LAST_YEAR)
    notes: str | None = None
    population: Population
    levers: Levers
    parameters: Parameters
    targets: list[Target] = Field(default_factory=list, max_length=2000)

    @model_validator(mode="after")
    def _years(self) -> Scenario:
        if self.end_year <= self.base_year:
            raise ValueError(f"end_year {self.end_year} must be after base_year {self.base_year}")
        _check_schedule_years(self, self.base_year, self.end_year)
        if not self.base_year <= self.levers.remediation.start_year <= self.end_year:
            raise ValueError("levers.remediation.start_year: outside the run")
        first: dict[tuple[str, int], int] = {}
        for i, t in enumerate(self.targets):
            j = first.setdefault((t.name, t.year), i)
            if j != i:
                raise ValueError(f"targets.{i}: {t.name}@{t.year} is given twice (targets.{j}); NAME@YEAR must name one target")
            if not self.base_year <= t.year <= self.end_year and t.modelled:
                raise ValueError(f"targets.{i}.year: {t.year} is outside the run {self.base_year}-{self.end_year}")
            if t.since is not None and not self.base_year <= t.since < t.year:
                raise ValueError(f"targets.{i}.since: {t.since} must be in [{self.base_year}, {t.year})")
        return self

    @property
    def years(self) -> range:
        """Simulated years (the base year is the initial state)."""
        return range(self.base_year + 1, self.end_year + 1)

    def price_level(self, year: int) -> float:
        """Producer prices in ``year`` relative to the base year (1 at the base year, and throughout
        when the scenario gives no price index)."""
        prices = self.parameters.prices
        if prices is None or year <= self.base_year:
            return 1.0
        level = 1.0
        for y in range(self.base_year + 1, year + 1):
            level *= prices.producer_price_index.at(y) / 100
        return level


# observed series, not plans: they may run past a scenario's horizon (a shortened run keeps them)
_OBSERVED_SERIES = {"parameters.prices"}


def _check_schedule_years(model: BaseModel, first: int, last: int, path: str = "") -> None:
    for name in type(model).model_fields:
        value = getattr(model, name)
        here = f"{path}.{name}" if path else name
        if here in _OBSERVED_SERIES:
            continue
        if isinstance(value, Quantity):
            for year in value.years:
                if not first <= year <= last:
                    raise ValueError(f"{here}: schedule year {year} is outside the run {first}-{last}")
        elif isinstance(value, BaseModel):
            _check_schedule_years(value, first, last, here)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _check_schedule_years(item, first, last, f"{here}.{i}")
