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
from pathlib import Path

from ..errors import InputError
from .fan import fan_chart, load_history
from .fonts import cm, plot_style, resolve_lang
from .labels import indicator_label, measure_suffix
from .save import save_figure

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
    """Modelled targets grouped by (indicator, measure, since): one fan chart each, in scenario order."""
    groups: dict[tuple, list] = {}
    for target in scenario.targets:
        if target.modelled:
            groups.setdefault((target.indicator, target.measure, target.since), []).append(target)
    return groups


def fan_stem(indicator: str, measure: str) -> str:
    return f"fan_{indicator}" if measure == "level" else f"fan_{indicator}_{measure}"


def run_captions(scenario, lang: str = "zh") -> dict[str, str]:
    """Figure file stem -> caption, for every figure :func:`draw_run` draws, in its order."""
    lang = resolve_lang(lang)
    captions = {"targets_overview": _CAPTIONS["targets_overview"][lang == "en"]}
    for (indicator, measure, since) in fan_groups(scenario):
        prefix = "预测扇形图:" if lang == "zh" else "Forecast fan: "
        captions[fan_stem(indicator, measure)] = prefix + indicator_label(indicator, lang) + measure_suffix(measure, since, lang)
    for stem in ("tiers", "tier_flows", "balance"):
        captions[stem] = _CAPTIONS[stem][lang == "en"]
    return captions


def draw_run(result, out: str | Path, *, lang: str = "zh", data_dir: str | Path | None = None) -> list[Path]:
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
    """
    from matplotlib.figure import Figure

    from .balance import balance_figure
    from .flows import certification_tiers, flow_bars, flow_matrix, statistical_tiers
    from .overview import overview_height_cm, target_overview

    lang = resolve_lang(lang)
    folder = Path(out) / "figures"
    history = load_history(result.scenario, data_dir)
    reps = sorted(result.indicators["replication"].unique())
    paths: list[Path] = []
    with plot_style():
        fig = Figure(figsize=cm(16, overview_height_cm(result.targets)), layout="constrained")
        target_overview(result.targets, lang=lang, ax=fig.add_subplot())
        paths.append(save_figure(fig, folder / "targets_overview")[0])
        for (indicator, measure, since), targets in fan_groups(result.scenario).items():
            fig = Figure(figsize=cm(16, 9), layout="constrained")
            observed = history[history["indicator"] == indicator]
            fan_chart(result.indicators, targets, indicator, measure=measure, since=since, history=observed, lang=lang,
                      ax=fig.add_subplot())
            paths.append(save_figure(fig, folder / fan_stem(indicator, measure))[0])
        fig = Figure(figsize=cm(16, 9.5), layout="constrained")
        left, right = fig.subplots(1, 2)
        statistical_tiers(result.indicators, lang=lang, ax=left)
        certification_tiers(result.indicators, lang=lang, ax=right)
        paths.append(save_figure(fig, folder / "tiers")[0])
        fig = Figure(figsize=cm(16, 19), layout="constrained")
        top, bottom = fig.subplots(2, 1, height_ratios=(1, 1.5))
        flow_bars(result.flows, lang=lang, replications=reps, ax=top)
        flow_matrix(result.flows, lang=lang, replications=reps, ax=bottom)
        paths.append(save_figure(fig, folder / "tier_flows")[0])
        paths.append(save_figure(balance_figure(result.indicators, lang=lang), folder / "balance")[0])
    return paths


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
    return manifest


def draw(folder: str | Path, *, lang: str = "zh") -> list[Path]:
    """Draw every figure that fits the results in ``folder`` (by its manifest's ``kind``); return PNG paths."""
    folder = Path(folder)
    kind = read_manifest(folder)["kind"]
    if kind == "run":
        from ..results import read_run

        return draw_run(read_run(folder), folder, lang=lang)
    if kind not in OTHER_KINDS:
        raise InputError(f"unknown result kind {kind!r}", file=str(folder / "manifest.json"), field="kind")
    for name in OTHER_KINDS[kind]:
        drawer = _other_drawer(name, kind)
        if drawer is not None:
            lang = resolve_lang(lang)
            with plot_style():
                if "lang" in inspect.signature(drawer).parameters:
                    return list(drawer(folder, lang=lang))
                return list(drawer(folder))
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


def figure_caption(stem: str, lang: str = "zh") -> str:
    """A caption for a figure file from another module: its stem, made readable."""
    return _CAPTIONS[stem][lang == "en"] if stem in _CAPTIONS else stem.replace("_", " ")


__all__ = ["draw", "draw_run", "run_captions", "fan_groups", "fan_stem", "read_manifest", "figure_caption"]
