"""Draw every figure a result folder calls for, saved as PNG and SVG under ``<folder>/figures``.

A run folder gets one fan chart per targeted indicator and measure, the target overview, the
tiers and their flows, and the land and energy balance. Other kinds of result folder (sweep,
sensitivity, calibrate, compare) are drawn by their own modules in this package, each offering
``draw(folder, *, lang) -> list[Path]``; they are called when present.
"""

from __future__ import annotations

import importlib
import inspect
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ..errors import InputError
from ..io import WRITING
from ..scenario import Scenario
from ..targets import cap_cited, default_basis, price_basis
from .fan import fan_chart, load_history
from .fonts import cm, plot_style, resolve_lang
from .labels import factor_labels, indicator_label, measure_suffix, output_label, text
from .save import save_figure, stamped
from .workers import draw_all

# Result kinds drawn elsewhere: kind -> modules of this package tried in turn.
OTHER_KINDS = {
    "sweep": ("sweep",),
    "sensitivity-sobol": ("sensitivity",),
    "sensitivity-morris": ("sensitivity",),
    "calibrate": ("calibration",),
    "compare": ("compare",),
    "explain": ("explain",),
}

_CAPTIONS = {
    "targets_overview": ("目标达成概率总览", "Probability of meeting each target"),
    "tiers": ("企业梯度:规上/规下与认定层级", "Firm tiers: statistical status and certification levels"),
    "tier_flows": ("企业在梯度间与退出的年均流量", "Yearly flows between tiers and to exit"),
    "balance": ("土地与用能平衡及项目排队", "Land and energy balance, and the project queue"),
}


def fan_groups(scenario) -> dict[tuple, list]:
    """Modelled targets grouped by (indicator, measure, since, price basis): one fan chart each, in
    scenario order."""
    groups: dict[tuple, list] = {}
    for target in scenario.targets:
        if target.modelled:
            groups.setdefault((target.indicator, target.measure, target.since, price_basis(target)), []).append(target)
    return groups


def fan_stem(indicator: str, measure: str, basis: str | None = None) -> str:
    """A fan's file stem; a basis other than the indicator's default (current prices for money
    levels) is named in it."""
    stem = f"fan_{indicator}" if measure == "level" else f"fan_{indicator}_{measure}"
    return stem if basis is None or basis == default_basis(indicator, measure) else f"{stem}_{basis}"


def run_captions(scenario, lang: str = "zh") -> dict[str, str]:
    """Figure file stem -> caption, for every figure :func:`draw_run` draws, in its order.

    Captions are HTML text, so they stay in ``lang`` even where figures fall back to English.
    """
    captions = {"targets_overview": _CAPTIONS["targets_overview"][lang == "en"]}
    for (indicator, measure, since, basis) in fan_groups(scenario):
        prefix = "预测扇形图:" if lang == "zh" else "Forecast fan: "
        captions[fan_stem(indicator, measure, basis)] = prefix + indicator_label(indicator, lang) + measure_suffix(measure, since, lang)
    for stem in ("tiers", "tier_flows", "balance"):
        captions[stem] = _CAPTIONS[stem][lang == "en"]
    return captions


def draw_run(result, out: str | Path, *, lang: str = "zh", data_dir: str | Path | None = None,
             workers: int = 1) -> list[Path]:
    """Draw every figure of a run into ``out/figures``; return the PNG paths in report order.

    Parameters
    ----------
    result : :class:`~simulation.experiments.replicate.RunResult`
    out : path
        The run folder.
    lang : {"zh", "en"}
        Label language; Chinese falls back to English (one warning) when no CJK font is installed.
    data_dir : path, optional
        Folder of observed ``<region>.csv`` files drawn as history on the fan charts
        [default: ``calibration/data``].
    workers : int
        Processes drawing figures side by side (0: every core); each figure is drawn whole by one,
        so the files are the same whatever the count.
    """
    return draw_all(RunFigures.of(result, out, lang=resolve_lang(lang), data_dir=data_dir), workers)


@dataclass(frozen=True)
class RunFigures:
    """The figures of a run, each drawn and saved by its file stem from what this object holds (a
    figure set of :mod:`.workers`: it pickles, so a worker process draws any of them as well)."""

    scenario: Scenario  # its targets' price levels
    indicators: pd.DataFrame
    flows: pd.DataFrame
    targets: pd.DataFrame  # the attainment table
    fans: dict[str, tuple[str, str, int | None, list]]  # stem -> indicator, measure, since, its targets
    history: pd.DataFrame  # observed values, drawn on the fans
    replications: list
    folder: Path
    lang: str  # resolved: "en" where Chinese cannot be drawn
    note: str  # the corner stamp

    @classmethod
    def of(cls, result, out: str | Path, *, lang: str, data_dir: str | Path | None = None) -> RunFigures:
        fans = {fan_stem(indicator, measure, basis): (indicator, measure, since, targets)
                for (indicator, measure, since, basis), targets in fan_groups(result.scenario).items()}
        return cls(result.scenario, result.indicators, result.flows, result.targets, fans, load_history(result.scenario, data_dir),
                   sorted(result.indicators["replication"].unique()), Path(out) / "figures", lang,
                   text("stamp_run", lang, scenario=result.scenario.name, replications=result.replications))

    def stems(self) -> list[str]:
        """The figures' file stems in report order (as :func:`run_captions` lists them)."""
        return ["targets_overview", *self.fans, "tiers", "tier_flows", "balance"]

    def draw(self, stem: str) -> Path:
        """Draw and save the figure ``stem`` (PNG and SVG); return the PNG's path."""
        return save_figure(self._figure(stem), self.folder / stem, close=stem == "balance")[0]  # balance is pyplot's

    def _figure(self, stem: str):
        from matplotlib.figure import Figure

        from .balance import balance_figure
        from .flows import certification_tiers, flow_bars, flow_matrix, statistical_tiers
        from .overview import overview_height_cm, target_overview

        lang = self.lang
        if stem == "targets_overview":
            fig = Figure(figsize=cm(16, overview_height_cm(self.targets)), layout="constrained")
            cited = self.scenario is not None and cap_cited(self.scenario)
            target_overview(self.targets, lang=lang, ax=fig.add_subplot(), cap_cited=cited)
        elif stem in self.fans:
            indicator, measure, since, targets = self.fans[stem]
            fig = Figure(figsize=cm(16, 9), layout="constrained")
            fan_chart(self.indicators, targets, indicator, scenario=self.scenario, measure=measure, since=since,
                      history=self.history[self.history["indicator"] == indicator], lang=lang, ax=fig.add_subplot())
        elif stem == "tiers":
            fig = Figure(figsize=cm(16, 9.5), layout="constrained")
            left, right = fig.subplots(1, 2)
            statistical_tiers(self.indicators, lang=lang, ax=left)
            certification_tiers(self.indicators, lang=lang, ax=right)
        elif stem == "tier_flows":
            fig = Figure(figsize=cm(16, 19), layout="constrained")
            top, bottom = fig.subplots(2, 1, height_ratios=(1, 1.5))
            flow_bars(self.flows, lang=lang, replications=self.replications, ax=top)
            flow_matrix(self.flows, lang=lang, replications=self.replications, ax=bottom)
        elif stem == "balance":
            fig = balance_figure(self.indicators, lang=lang)
        else:
            raise ValueError(f"no figure {stem!r} in a run")
        return fig


def read_manifest(folder: str | Path) -> dict:
    """A result folder's ``manifest.json``; an :class:`InputError` when there is none."""
    path = Path(folder) / "manifest.json"
    if not path.is_file():
        raise InputError("no manifest.json: not a result folder", file=str(folder))
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON: {exc.msg}", file=str(path)) from None
    if not isinstance(manifest, dict) or "kind" not in manifest:
        raise InputError("no 'kind' in the manifest", file=str(path), field="kind")
    if manifest.get("status") == WRITING:
        raise InputError("was cut short while its files were written; run the same command again (it replaces them)",
                         file=str(folder))
    return manifest


def draw(folder: str | Path, *, lang: str = "zh", workers: int = 1) -> list[Path]:
    """Draw every figure that fits the results in ``folder`` (by its manifest's ``kind``); return PNG paths.

    ``workers``: processes drawing the figures side by side, for the kinds whose drawer takes them
    (a run, see :func:`draw_run`; a comparison; a sweep)."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    kind = manifest["kind"]
    if kind == "run":
        from ..results import read_run

        return draw_run(read_run(folder), folder, lang=lang, workers=workers)
    if kind not in OTHER_KINDS:
        raise InputError(f"unknown result kind {kind!r}", file=str(folder / "manifest.json"), field="kind")
    for name in OTHER_KINDS[kind]:
        drawer = _other_drawer(name, kind)
        if drawer is not None:
            lang = resolve_lang(lang)
            with plot_style(), stamped(folder_stamp(manifest, lang)):
                takes = inspect.signature(drawer).parameters
                options: dict[str, object] = {"lang": lang} if "lang" in takes else {}
                if "workers" in takes:
                    options["workers"] = workers
                return list(drawer(folder, **options))
    return []


def _other_drawer(module: str, kind: str):
    """``simulation.plots.<module>.draw`` (or ``draw_<kind>``), or ``None`` when not there."""
    try:
        mod = importlib.import_module(f"{__package__}.{module}")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.{module}":  # the module exists but something it needs does not
            raise
        return None
    return getattr(mod, "draw", None) or getattr(mod, f"draw_{kind}", None)


def scenario_of(manifest: dict) -> str:
    """The scenario a result folder is about, by name (a sweep names its spec's scenario file)."""
    if manifest.get("scenario"):
        return str(manifest["scenario"])
    spec = manifest.get("spec") or {}
    if spec.get("model") == "ishigami":
        return "ishigami"
    return Path(str(spec.get("scenario") or "?")).stem


def folder_stamp(manifest: dict, lang: str) -> str | None:
    """The note each figure of a folder carries: the scenario(s) and how many replications."""
    kind = manifest.get("kind", "")
    reps = manifest.get("replications", "?")
    if kind == "compare":
        names = " vs ".join(s["name"] for s in manifest.get("scenarios", []))
        return text("stamp_compare", lang, scenarios=names, replications=reps)
    if kind == "sweep":
        return text("stamp_sweep", lang, scenario=scenario_of(manifest), points=manifest.get("points", "?"), replications=reps)
    if kind.startswith("sensitivity"):
        method = "Sobol'" if kind.endswith("sobol") else "Morris"
        return text("stamp_sensitivity", lang, scenario=scenario_of(manifest), method=method,
                    points=manifest.get("points", "?"), replications=reps)
    if kind == "calibrate":
        return text("stamp_calibrate", lang, scenario=scenario_of(manifest), replications=reps)
    if kind == "run":
        return text("stamp_run", lang, scenario=scenario_of(manifest), replications=reps)
    return None


_OTHER_CAPTIONS = {
    "attainment_difference": ("各目标达成概率之差(百分点,相对参照情景,90% 成对区间)",
                              "Difference in P(met) per target (percentage points against the reference, 90% paired interval)"),
    "fit": ("校准拟合:估计值处模拟的中位数与 10–90% 区间对照观测值",
            "Calibration fit: simulated median and 10–90% band at the estimate against the observations"),
    "backtest": ("回测:拟合年份之后的预测与观测值", "Back-test: forecasts after the fitting years against the observations"),
    "cart_tree": ("CART 分类树:目标达成的杠杆组合", "CART tree: lever combinations where the target is met"),
}


def figure_caption(stem: str, lang: str = "zh", manifest: dict | None = None) -> str:
    """A caption for a figure of any result folder, in ``lang``, from its file stem (and the folder's manifest)."""
    zh = lang != "en"
    if stem in _CAPTIONS:
        return _CAPTIONS[stem][not zh]
    if stem in _OTHER_CAPTIONS:
        return _OTHER_CAPTIONS[stem][not zh]
    head, _, rest = stem.partition("_")
    if head == "compare" and rest:
        return ("各情景对比:" if zh else "Scenarios side by side: ") + indicator_label(rest, lang)
    if head == "response" and rest:
        indicator, _, year = rest.rpartition("_")
        what = f"{indicator_label(indicator, lang)} {year}{'年' if zh else ''}"
        return (f"扫描响应:{what}目标的达成概率随各因素变化" if zh
                else f"Sweep response: P(met) of the {what} target against each factor")
    if head in ("sobol", "morris") and rest:
        output = _output_of(rest, manifest)
        if head == "sobol":
            return ("Sobol' 敏感性指数:" if zh else "Sobol' sensitivity indices: ") + output_label(output, lang)
        return ("Morris 筛选(μ*–σ):" if zh else "Morris screening (μ*–σ): ") + output_label(output, lang)
    if stem.startswith("prim_trajectory_"):
        return (f"PRIM 剥离轨迹(盒 {stem.rsplit('_', 1)[1]}):覆盖率与密度的权衡" if zh
                else f"PRIM peeling trajectory (box {stem.rsplit('_', 1)[1]}): coverage against density")
    if stem.startswith("prim_box_"):
        return (f"PRIM 盒 {stem.rsplit('_', 1)[1]} 的因素范围" if zh else f"PRIM box {stem.rsplit('_', 1)[1]}: factor limits")
    return stem.replace("_", " ")


def _output_of(slug: str, manifest: dict | None) -> str:
    """The spec output (``tax_per_mu@2025``) whose figure file is ``<method>_<slug>``."""
    import re

    for output in ((manifest or {}).get("spec") or {}).get("outputs", []):
        if re.sub(r"[^\w]+", "_", output, flags=re.UNICODE).strip("_") == slug:
            return output
    name, _, year = slug.rpartition("_")
    return f"{name}@{year}" if year.isdigit() else slug


def labels_for(manifest: dict, lang: str) -> dict[str, str]:
    """Readable labels of a sweep or sensitivity folder's factors (see :func:`~.labels.factor_labels`)."""
    return factor_labels(((manifest.get("spec") or {}).get("factors")) or [], lang)


__all__ = ["draw", "draw_run", "run_captions", "fan_groups", "fan_stem", "read_manifest", "figure_caption", "folder_stamp",
           "labels_for"]
