"""The report's own sections for each kind of result folder besides a run.

- compare: attainment under each scenario and the paired difference in percentage points;
  indicators in the last year, each scenario's median and the paired difference, in their units;
- sweep: the factors swept, and each target's attainment over the design (over all its runs; the
  lowest, median and highest of a point, and where it is highest);
- sensitivity: the factors, and the Sobol' indices (S1, ST with confidence) or Morris μ*, σ;
- calibrate: the estimates with their 95% intervals, search ranges and identification, the fit
  against each observation, and (a back-test folder) the forecast scores.

Each function returns ``(section id, title, HTML)``; :mod:`simulation.report` lays them out.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from types import SimpleNamespace

import pandas as pd

from .indicators import INDICATORS
from .paths import declared_unit, path_label
from .scenario import Scenario

WORDS = {
    "paired": ("成对差异", "Paired differences"), "indicators": ("指标对比", "Indicators compared"),
    "factors": ("扫描因素", "Factors"), "attainment": ("各设计点的目标达成", "Attainment over the design"),
    "indices": ("敏感性指数", "Sensitivity indices"), "estimates": ("参数估计", "Estimates"),
    "observations": ("拟合与观测", "Fit against the observations"), "backtest": ("回测评分", "Back-test scores"),
    "target": ("目标", "Target"), "goal": ("目标值", "Goal"), "indicator": ("指标", "Indicator"),
    "unit": ("单位", "Unit"), "year": ("年份", "Year"), "factor": ("因素", "Factor"), "path": ("路径", "Path"),
    "domain": ("取值范围", "Values swept"), "how": ("方式", "How"), "set": ("设定为该值", "set to the value"),
    "scale": ("乘以基准值", "multiplies the base value"), "multiplier": ("倍", "× base"),
    "p_met_of": ("{name} 达成概率 [95% 区间]", "P(met) {name} [95% interval]"),
    "diff_of": ("Δ {name}(百分点)[90% 区间]", "Δ {name} (percentage points) [90% interval]"),
    "median_of": ("{name} 中位数", "{name} median"),
    "diff_median_of": ("Δ {name} 中位数 [10%–90%]", "Δ {name} median [10%–90%]"),
    "p_min": ("最低达成概率", "Lowest P(met)"), "p_median": ("中位达成概率", "Median P(met)"),
    "p_max": ("最高达成概率", "Highest P(met)"), "p_pooled": ("全部运行合计达成概率", "P(met) over all runs"),
    "basis": ("依据", "Basis"), "assumed": ("假设", "assumed"), "best": ("最高处的因素取值", "Factor values where highest"),
    "same_everywhere": ("各设计点相同: 因素不改变达成概率", "the same at every design point: no factor moves it"),
    "tied": ("另有 {n} 个设计点同为最高", "{n} more design points as high"),
    "output": ("输出", "Output"), "s1": ("一阶 S1 ± 置信半宽", "First order S1 ± conf."),
    "st": ("总效应 ST ± 置信半宽", "Total ST ± conf."), "mu_star": ("μ* ± 置信半宽", "μ* ± conf."),
    "sigma": ("σ", "σ"), "index_unit": ("无量纲(方差占比)", "dimensionless (share of variance)"),
    "parameter": ("参数", "Parameter"), "estimate": ("估计值", "Estimate"), "se": ("标准误", "Std. error"),
    "interval": ("95% 区间", "95% interval"), "bounds": ("搜索范围", "Search range"),
    "identified": ("可识别", "Identified"), "yes": ("是", "yes"), "no_plain": ("否", "no"),
    "no": ("否(区间覆盖整个搜索范围)", "no (the interval spans the search range)"),
    "observed": ("观测值", "Observed"), "sim_median": ("模拟中位数", "Simulated median"),
    "sim_band": ("模拟 10%–90%", "Simulated 10%–90%"), "weight": ("权重", "Weight"),
    "n": ("观测数", "Observations"), "years": ("年份", "Years"), "coverage80": ("80% 区间覆盖率", "Inside the 80% band"),
    "mdape_model": ("模型 MdAPE(%)", "Model MdAPE (%)"), "mdape_naive": ("朴素外推 MdAPE(%)", "Naive MdAPE (%)"),
    "beats": ("模型优于朴素外推", "Model beats naive"),
    "pp_note": ("达成概率之差以百分点计:40% → 45% 为 +5 个百分点。", "Differences of probabilities are in percentage points: 40% → 45% is +5 pp."),
    "wilson_note": ("达成概率的 95% 区间为 Wilson 得分区间(蒙特卡洛误差)。",
                    "The 95% interval of P(met) is the Wilson score interval (Monte Carlo error)."),
    "none": ("无", "none"), "diff_unit": ("差值单位", "Unit of Δ"),
}


def w(key: str, lang: str, **fmt) -> str:
    text = WORDS[key][0 if lang == "zh" else 1]
    return text.format(**fmt) if fmt else text


def e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def num(value, digits: int = 3) -> str:
    """A number for a table: whole numbers from 100, else ``digits`` significant digits; "–" when missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    value = float(value)
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.{digits}g}"


def pct(p) -> str:
    return "–" if p is None or (isinstance(p, float) and math.isnan(p)) else f"{100 * p:.0f}%"


def pp(d) -> str:
    return f"{100 * d:+.1f}"


def table(header: list[str], rows: list[list[str]], numeric: frozenset[int] | set[int] = frozenset()) -> str:
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if j in numeric else f"<td>{c}</td>"
                                    for j, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def unit_text(unit: str | None, lang: str) -> str:
    """A unit for a table cell; a pure number says so."""
    from .plots.labels import unit_label

    if unit == "1":
        return "无量纲" if lang == "zh" else "dimensionless"
    return unit_label(unit, lang)


def unit_of(indicator: str, lang: str, measure: str = "level") -> str:
    if measure == "cagr":
        return "%/年" if lang == "zh" else "%/yr"
    return unit_text(INDICATORS[indicator].unit, lang) if indicator in INDICATORS else ""


def difference_unit(indicator: str, lang: str) -> str:
    """The unit of a difference of an indicator: percentage points for a percentage, else its own."""
    unit = INDICATORS[indicator].unit if indicator in INDICATORS else None
    if unit in ("%", "%/年"):
        return "百分点" if lang == "zh" else "percentage points"
    return unit_of(indicator, lang)


def kind_sections(folder: Path, manifest: dict, lang: str) -> list[tuple[str, str, str]]:
    """The sections particular to the folder's kind (empty for a run)."""
    kind = manifest.get("kind", "")
    if kind == "compare":
        return [compare_targets_section(folder, manifest, lang), compare_indicators_section(folder, manifest, lang)]
    if kind == "sweep":
        return [factors_section(manifest, lang), sweep_section(folder, manifest, lang)]
    if kind.startswith("sensitivity"):
        return [factors_section(manifest, lang), indices_section(folder, manifest, lang)]
    if kind == "calibrate":
        sections = [estimates_section(folder, manifest, lang), observations_section(folder, manifest, lang)]
        if (folder / "backtest.csv").is_file():
            sections.append(backtest_section(folder, lang))
        return sections
    return []


# --- compare -----------------------------------------------------------------------------------


def _goal(row, lang: str) -> str:
    from .plots.labels import goal_label

    unit = INDICATORS[row.indicator].unit if row.indicator in INDICATORS else None
    if row.measure == "cagr":
        unit = "%/年"
    return goal_label(SimpleNamespace(target=row.target, op=row.op, unit=unit, year=row.year), lang)


def _target_name(row, lang: str) -> str:
    from .plots.labels import target_label

    since = row.since if isinstance(row.since, (int, float)) and not pd.isna(row.since) else None
    return target_label(SimpleNamespace(name=row.name, indicator=row.indicator, measure=row.measure, since=since), lang)


def compare_targets_section(folder: Path, manifest: dict, lang: str) -> tuple[str, str, str]:
    targets = pd.read_csv(folder / "compare_targets.csv")
    names = [s["name"] for s in manifest.get("scenarios", [])] or list(dict.fromkeys(targets["scenario"]))
    if targets.empty:
        return "paired", w("paired", lang), f"<p>{e(w('none', lang))}</p>"
    reference, others = names[0], names[1:]
    header = [w("target", lang), w("goal", lang), w("p_met_of", lang, name=reference)]
    for name in others:
        header += [w("p_met_of", lang, name=name), w("diff_of", lang, name=name)]
    rows = []
    keys = ["name", "indicator", "year", "measure", "since", "op", "target"]
    for _, group in targets.groupby(keys, sort=False, dropna=False):
        group = group.set_index("scenario")
        first = group.iloc[0]
        row = SimpleNamespace(**{k: first[k] for k in keys})
        cells = [e(_target_name(row, lang)), e(_goal(row, lang)), _p_cell(group.loc[reference])]
        for name in others:
            r = group.loc[name]
            cells += [_p_cell(r), f"{pp(r['diff'])} [{pp(r['diff_lo'])}, {pp(r['diff_hi'])}]"]
        rows.append(cells)
    notes = f"<p>{e(w('pp_note', lang))} {e(w('wilson_note', lang))}</p>"
    numeric = set(range(2, len(header)))
    return "paired", w("paired", lang), notes + table(header, rows, numeric)


def _p_cell(r) -> str:
    if "p_met_lo" in r and not pd.isna(r["p_met_lo"]):
        return f"{pct(r['p_met'])} [{pct(r['p_met_lo'])}–{pct(r['p_met_hi'])}]"
    return pct(r["p_met"])


def compare_indicators_section(folder: Path, manifest: dict, lang: str) -> tuple[str, str, str]:
    from .plots.compare import DEFAULT_INDICATORS
    from .plots.labels import flow_suffix, indicator_label, price_suffix

    ind = pd.read_parquet(folder / "compare_indicators.parquet")
    targets = pd.read_csv(folder / "compare_targets.csv")
    wanted = list(dict.fromkeys(targets["indicator"])) if len(targets) else list(DEFAULT_INDICATORS)
    names = list(dict.fromkeys(ind["scenario"]))
    reference, others = names[0], names[1:]
    header = [w("indicator", lang), w("unit", lang), w("year", lang), w("median_of", lang, name=reference)]
    for name in others:
        header += [w("median_of", lang, name=name), w("diff_median_of", lang, name=name)]
    header.append(w("diff_unit", lang))
    rows = []
    for indicator in [i for i in wanted if i in set(ind["indicator"])]:
        last = ind[ind["indicator"] == indicator]
        last = last[last["year"] == last["year"].max()].set_index("scenario")
        # money at current prices; a flow is the year's amount
        prices = (price_suffix(INDICATORS[indicator].unit if indicator in INDICATORS else None, "current", 0, lang)
                  + flow_suffix(indicator, lang))
        cells = [e(indicator_label(indicator, lang)), e(unit_of(indicator, lang) + prices),
                 e(int(last["year"].iloc[0])),
                 num(last.loc[reference, "median"])]
        for name in others:
            r = last.loc[name]
            cells += [num(r["median"]), f"{num(r['diff_median'])} [{num(r['diff_p10'])}, {num(r['diff_p90'])}]"]
        rows.append([*cells, e(difference_unit(indicator, lang) + prices)])
    return "indicators", w("indicators", lang), table(header, rows, set(range(3, len(header) - 1)))


# --- sweeps and sensitivity --------------------------------------------------------------------


def factors_section(manifest: dict, lang: str) -> tuple[str, str, str]:
    from .plots.labels import factor_labels

    factors = (manifest.get("spec") or {}).get("factors") or []
    labels = factor_labels(factors, lang)
    header = [w("factor", lang), w("path", lang), w("domain", lang), w("unit", lang), w("how", lang)]
    noted = any(f.get("source") or f.get("assume") for f in factors)
    if noted:
        header.append(w("basis", lang))
    rows = []
    for f in factors:
        name = f.get("name") or f["path"]
        domain = (f"{num(f['range'][0], 4)} – {num(f['range'][1], 4)}" if f.get("range") is not None
                  else ", ".join(str(v) for v in f.get("values") or []))
        unit = w("multiplier", lang) if f.get("scale") else unit_text(declared_unit(Scenario, f["path"]), lang)
        years = f" ({', '.join(map(str, f['years']))})" if f.get("years") else ""
        rows.append([e(labels.get(name, name)), f'<code>{e(f["path"])}</code>', e(domain), e(unit),
                     e(w("scale" if f.get("scale") else "set", lang) + years)])
        if noted:
            rows[-1].append(e(_basis(f, lang)))
    return "factors", w("factors", lang), table(header, rows, {2})


def _basis(factor: dict, lang: str) -> str:
    """Where a factor's range comes from: its source, or its assumption marked as one."""
    if factor.get("source"):
        return factor["source"]
    return f"{w('assumed', lang)}: {factor['assume']}" if factor.get("assume") else ""


def sweep_section(folder: Path, manifest: dict, lang: str) -> tuple[str, str, str]:
    from .experiments.sweep import pooled_attainment
    from .plots.labels import factor_labels

    path = folder / "attainment.parquet"
    if not path.is_file():
        return "attainment", w("attainment", lang), f"<p>{e(w('none', lang))}</p>"
    attainment = pd.read_parquet(path)
    design = pd.read_parquet(folder / "design.parquet").set_index("point")
    labels = factor_labels((manifest.get("spec") or {}).get("factors") or [], lang)
    header = [w("target", lang), w("year", lang), w("unit", lang), w("p_pooled", lang), w("p_min", lang),
              w("p_median", lang), w("p_max", lang), w("best", lang)]
    pooled = pooled_attainment(attainment).set_index(["target", "year"])
    rows = []
    for (target, year), group in attainment.groupby(["target", "year"], sort=False):
        where = _where_highest(group, design, labels, lang)
        indicator = group["indicator"].iloc[0]
        measure = group["measure"].iloc[0] if "measure" in group else "level"  # a store written before it was kept: levels
        measure = measure if isinstance(measure, str) else "level"
        rows.append([e(target), e(int(year)), e(unit_of(indicator, lang, measure)) if isinstance(indicator, str) else "",
                     *(pct(pooled.at[(target, year), p]) for p in ("p_pooled", "p_min", "p_median", "p_max")), e(where)])
    return "attainment", w("attainment", lang), table(header, rows, {3, 4, 5, 6})


def _where_highest(group: pd.DataFrame, design: pd.DataFrame, labels: dict, lang: str) -> str:
    """The factor values of the design point where P(met) is highest; where every point ties, that
    no factor moves it (the first point would be an arbitrary pick), and how many others tie."""
    top = group[group["p_met"] == group["p_met"].max()]
    if len(top) == len(group) and len(group) > 1:
        return w("same_everywhere", lang)
    where = "; ".join(f"{labels.get(c, c)} = {num(v, 4) if isinstance(v, (int, float)) else v}"
                      for c, v in design.loc[int(top["point"].iloc[0])].items())
    return where + (f" ({w('tied', lang, n=len(top) - 1)})" if len(top) > 1 else "")


def indices_section(folder: Path, manifest: dict, lang: str) -> tuple[str, str, str]:
    from .plots.labels import factor_labels, output_label
    from .plots.sensitivity import _output_unit

    indices = pd.read_csv(folder / "indices.csv")
    labels = factor_labels((manifest.get("spec") or {}).get("factors") or [], lang)
    sobol = manifest.get("kind", "").endswith("sobol")
    header = [w("output", lang), w("factor", lang)]
    header += [w("s1", lang), w("st", lang), w("unit", lang)] if sobol else [w("mu_star", lang), w("sigma", lang), w("unit", lang)]
    keys = ("S1", "ST") if sobol else ("mu_star", "sigma")
    rows = []
    for output, group in indices.groupby("output", sort=False):
        main = group[group["index"].isin(keys)]
        value = main.pivot_table(index="factor", columns="index", values="value", sort=False)
        conf = main.pivot_table(index="factor", columns="index", values="conf", sort=False)
        order = value[keys[1] if sobol else keys[0]].sort_values(ascending=False).index
        unit = w("index_unit", lang) if sobol else _output_unit(output, lang, group)
        for factor in order:
            cells = []
            for k in keys:
                c = conf.loc[factor, k] if k in conf.columns else float("nan")
                cells.append(num(value.loc[factor, k]) + ("" if pd.isna(c) else f" ± {num(c, 2)}"))
            rows.append([e(output_label(output, lang)), e(labels.get(factor, factor)), *cells, e(unit)])
    return "indices", w("indices", lang), table(header, rows, {2, 3})


# --- calibration -------------------------------------------------------------------------------


def estimates_section(folder: Path, manifest: dict, lang: str) -> tuple[str, str, str]:
    est = pd.read_csv(folder / "estimates.csv")
    header = [w("parameter", lang), w("path", lang), w("unit", lang), w("estimate", lang), w("se", lang),
              w("interval", lang), w("bounds", lang), w("identified", lang)]
    rows = []
    for r in est.itertuples():
        unit = unit_text(declared_unit(Scenario, r.path), lang)
        label = path_label(r.path, lang, name=r.name) if lang == "zh" else str(r.name)
        rows.append([e(label), f"<code>{e(r.path)}</code>", e(unit), num(r.value, 4), num(r.se),
                     f"{num(r.lower, 4)} – {num(r.upper, 4)}", f"{num(r.low_bound, 4)} – {num(r.high_bound, 4)}",
                     e(w("yes" if bool(r.identified) else "no", lang))])
    return "estimates", w("estimates", lang), table(header, rows, {3, 4, 5, 6})


def observations_section(folder: Path, manifest: dict, lang: str) -> tuple[str, str, str]:
    from .plots.labels import indicator_label

    observed = pd.DataFrame(manifest.get("observations") or [])
    sim_path = folder / "fit_indicators.parquet"
    if observed.empty or not sim_path.is_file():
        return "observations", w("observations", lang), f"<p>{e(w('none', lang))}</p>"
    sim = pd.read_parquet(sim_path).groupby(["indicator", "year"])["value"]
    q = pd.DataFrame({"p10": sim.quantile(0.1), "p50": sim.median(), "p90": sim.quantile(0.9)})
    header = [w("indicator", lang), w("unit", lang), w("year", lang), w("observed", lang), w("sim_median", lang),
              w("sim_band", lang), w("weight", lang)]
    rows = []
    for r in observed.itertuples():
        key = (r.indicator, int(r.year))
        s = q.loc[key] if key in q.index else pd.Series({"p10": float("nan"), "p50": float("nan"), "p90": float("nan")})
        rows.append([e(indicator_label(r.indicator, lang)), e(unit_of(r.indicator, lang)), e(int(r.year)), num(r.value, 4),
                     num(s["p50"], 4), f"{num(s['p10'], 4)} – {num(s['p90'], 4)}", num(r.weight)])
    return "observations", w("observations", lang), table(header, rows, {3, 4, 5, 6})


def backtest_section(folder: Path, lang: str) -> tuple[str, str, str]:
    from .plots.labels import indicator_label

    scores = pd.read_csv(folder / "backtest.csv")
    header = [w("indicator", lang), w("unit", lang), w("n", lang), w("years", lang), w("coverage80", lang),
              w("mdape_model", lang), w("mdape_naive", lang), w("beats", lang)]
    rows = [[e(indicator_label(r.indicator, lang)), e(unit_of(r.indicator, lang)), e(r.n), e(r.years), pct(r.coverage80),
             num(r.mdape_model), num(r.mdape_naive), e(w("yes" if bool(r.model_beats_naive) else "no_plain", lang))]
            for r in scores.itertuples()]
    return "backtest", w("backtest", lang), table(header, rows, {2, 4, 5, 6})
