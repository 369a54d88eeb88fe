"""One self-contained HTML report of a result folder: summary, targets, figures, assumptions, sources, provenance.

Figures are embedded as base64 PNG and the style sheet is inline, so ``report.html`` opens in a
browser with no files beside it and no network. A PDF is printed from it when a converter is
installed (headless Chromium, or WeasyPrint).
"""

from __future__ import annotations

import base64
import html
import json
import math
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel

from . import io
from .errors import InputError
from .plots.labels import text
from .quantity import Quantity
from .targets import cap_cited, marked_fixed, mostly_rationed

SECTIONS = ("summary", "targets", "figures", "assumptions", "sources", "provenance")
# shown only when the run has what they need: measured back-test skill, or its firm panel (run --firms)
OPTIONAL_SECTIONS = ("skill", "model_check")

_WORDS: dict[str, tuple[str | dict[str, str], str | dict[str, str]]] = {
    "summary": ("情景概要", "Scenario summary"), "targets": ("目标达成", "Target attainment"),
    "figures": ("图表", "Figures"), "assumptions": ("假设", "Assumptions"), "sources": ("引用来源", "Cited sources"),
    "provenance": ("运行信息", "Provenance"), "title": ("情景", "Scenario"), "region": ("地区", "Region"),
    "years": ("模拟年份", "Years"), "document": ("来源文件", "Source document"), "notes": ("说明", "Notes"),
    "quantities": ("参数", "Quantities"), "cited": ("有出处", "cited"), "assumed": ("假设", "assumed"),
    "kind": ("结果类型", "Result kind"), "theme": ("主题", "Theme"), "target": ("目标", "Target"),
    "goal": ("目标值", "Goal"), "p_met": ("达成概率", "P(met)"), "median": ("中位数", "Median"),
    "p_interval": ("95% 区间(Wilson)", "95% interval (Wilson)"),
    "kinds": ({"run": "蒙特卡洛运行", "compare": "情景对比", "sweep": "参数扫描", "sensitivity-sobol": "Sobol' 敏感性分析",
               "sensitivity-morris": "Morris 敏感性筛选", "calibrate": "校准"},
              {"run": "Monte Carlo run", "compare": "Scenario comparison", "sweep": "Sweep",
               "sensitivity-sobol": "Sobol' sensitivity analysis", "sensitivity-morris": "Morris screening",
               "calibrate": "Calibration"}),
    "backtest_kind": ("回测", "Back-test"), "scenarios": ("情景", "Scenarios"), "reference": ("参照情景", "Reference"),
    "points": ("设计点", "Design points"), "runs": ("运行次数", "Runs"), "method": ("方法", "Method"),
    "git_commit": ("代码版本(git)", "Git commit"), "command": ("命令", "Command"), "timestamp": ("时间戳(UTC)", "Timestamp (UTC)"),
    "p_met_interval": ("达成概率区间", "P(met) interval"),
    "band": ("10%–90%", "10%–90%"), "source": ("出处", "Source"), "path": ("路径", "Path"), "value": ("数值", "Value"),
    "unit": ("单位", "Unit"), "reason": ("理由", "Reason"), "not_modelled": ("未建模", "not modelled"),
    "figure": ("图", "Figure"), "none": ("无", "none"), "headline": (
        "{n} 项建模目标中 {likely} 项达成概率不低于66%，{unlikely} 项低于33%。",
        "Of {n} modelled targets, {likely} have a probability of at least 66% and {unlikely} below 33%."),
    "key": ("项目", "Item"), "hash": ("情景哈希", "Scenario hash"), "seed": ("随机种子", "Seed"),
    "replications": ("重复次数", "Replications"), "written": ("生成时间", "Written"),
    "wall_time": ("耗时(秒)", "Wall time (s)"), "scenario_file": ("情景文件", "Scenario file"),
    "versions": ("软件版本", "Versions"), "target_sources": ("目标出处", "Target sources"),
    "quantity_sources": ("参数出处", "Quantity sources"),
    "model_check": ("模型检验", "Model check"), "skill": ("预测检验 (回测)", "Forecast skill (back-test)"),
    "model_check_lead": ("以下典型事实由本次运行的企业面板 (firms.parquet) 测得，与文献公布值对照。",
                         "The stylized facts below are measured on this run's firm panel (firms.parquet) and set beside "
                         "their published values."),
    "fact": ("事实", "Fact"), "model_value": ("模型值", "Model"), "published": ("文献值", "Published"),
    "range": ("接受区间", "Accepted range"), "holds": ("是否符合", "Holds"),
}

CSS = """
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","PingFang SC","Microsoft YaHei","WenQuanYi Zen Hei",
 "Helvetica Neue",Arial,sans-serif;font-size:10.5pt;line-height:1.45;color:#111;max-width:60em;margin:2em auto;padding:0 1em}
h1{font-size:17pt;margin-bottom:.2em}h2{font-size:13.5pt;border-bottom:1px solid #999;margin-top:1.6em}
table{border-collapse:collapse;width:100%;margin:.5em 0;font-size:9.5pt}
th,td{border:1px solid #bbb;padding:.2em .4em;vertical-align:top;text-align:left}
th{background:#eee}td.num{text-align:right;white-space:nowrap}td.path{font-family:monospace;font-size:8.5pt;overflow-wrap:anywhere}
table.q{table-layout:fixed}td.val{text-align:right}td.unit{overflow-wrap:anywhere}
tr.theme th{background:#dde3ea;font-size:10pt}td:first-child{min-width:9em}
tr.off td{color:#666;background:#f4f4f4}
figure{margin:1.2em 0;break-inside:avoid;page-break-inside:avoid}figure img{max-width:100%;height:auto;border:0}
figcaption{font-size:9.5pt;color:#333}.lead{font-size:11pt}
.p0{background:#00224e;color:#fff}.p1{background:#4d5a73;color:#fff}.p2{background:#8b8878}.p3{background:#c7b66e}.p4{background:#fde737}
@page{size:A4;margin:1.8cm}
td.tunit{min-width:5.5em}
@media print{body{max-width:none;margin:0}h2{break-after:avoid}table{font-size:8.5pt}}
"""


def _w(key: str, lang: str) -> str:
    word = _WORDS[key][0 if lang == "zh" else 1]
    return word if isinstance(word, str) else key


def _e(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


# --- the scenario's quantities -----------------------------------------------------------------


def quantities(scenario) -> pd.DataFrame:
    """Every cited quantity of a scenario: ``path, value, unit, cited, note`` (note = source or reason).

    Paths are the dotted paths :func:`simulation.loader.with_overrides` takes; targets are not
    included (they are listed with their own sources).
    """
    rows: list[dict] = []
    _walk(scenario, "", rows)
    return pd.DataFrame(rows, columns=["path", "value", "unit", "cited", "note"])


def _walk(model: BaseModel, prefix: str, rows: list[dict]) -> None:
    for name, info in type(model).model_fields.items():
        if not prefix and name == "targets":
            continue
        value = getattr(model, name)
        path = f"{prefix}{name}"
        if isinstance(value, Quantity):
            declared = (info.json_schema_extra or {}).get("unit") if isinstance(info.json_schema_extra, dict) else None
            unit = value.unit or declared
            rows.append({"path": path, "value": _format_value(value.value), "unit": "" if unit in (None, "1") else unit,
                         "cited": value.cited, "note": value.source if value.cited else value.assume})
        elif isinstance(value, BaseModel):
            _walk(value, path + ".", rows)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, BaseModel):
                    _walk(item, f"{path}.{i}.", rows)


def _num(value: float) -> str:
    """A statistic for the table: whole numbers from 100, else three significant digits."""
    if _missing(value):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def _format_value(value) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{year}: {v:g}" for year, v in sorted(value.items()))
    return f"{value:g}"


def assumptions(scenario) -> pd.DataFrame:
    """Quantities set by assumption: ``path, value, unit, reason``."""
    q = quantities(scenario)
    return q[~q["cited"]].rename(columns={"note": "reason"})[["path", "value", "unit", "reason"]].reset_index(drop=True)


def sources(scenario) -> pd.DataFrame:
    """Quantities taken from a document: ``path, value, unit, source``."""
    q = quantities(scenario)
    return q[q["cited"]].rename(columns={"note": "source"})[["path", "value", "unit", "source"]].reset_index(drop=True)


# --- HTML pieces -------------------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]], classes: list[str] | None = None, row_classes=None) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        cells = "".join(f'<td class="{classes[j]}">{c}</td>' if classes and classes[j] else f"<td>{c}</td>" for j, c in enumerate(row))
        body.append(f"<tr{cls}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _section(key: str, lang: str, content: str) -> str:
    return f'<section id="{key}"><h2>{_e(_w(key, lang))}</h2>{content}</section>'


def kind_name(manifest: dict, lang: str, folder: Path | None = None) -> str:
    """The folder's kind in words ("情景对比", "Calibration"…); a calibration with a back-test is a back-test."""
    kind = manifest.get("kind", "")
    if kind == "calibrate" and folder is not None and (folder / "backtest.csv").is_file():
        return _w("backtest_kind", lang)
    names = _WORDS["kinds"][0 if lang == "zh" else 1]
    return names.get(kind, kind) if isinstance(names, dict) else kind


def _other_items(manifest: dict, lang: str) -> list[tuple[str, object]]:
    """Summary rows of a compare, sweep, sensitivity or calibrate folder."""
    from .plots.figures import scenario_of

    items: list[tuple[str, object]] = []
    if manifest.get("kind") == "compare":
        items.append((_w("scenarios", lang), " vs ".join(s["name"] for s in manifest.get("scenarios", []))))
        items.append((_w("reference", lang), manifest.get("reference")))
    else:
        items.append((_w("title", lang), scenario_of(manifest)))
    for key in ("method", "points", "replications", "runs", "seed"):
        if manifest.get(key) is not None:
            items.append((_w(key, lang), manifest[key]))
    return items


def _summary(scenario, manifest: dict, targets: pd.DataFrame | None, lang: str, folder: Path | None = None) -> str:
    items: list[tuple[str, object]] = [(_w("kind", lang), kind_name(manifest, lang, folder))]
    if manifest.get("kind") != "run":
        items += _other_items(manifest, lang)
    if scenario is not None and manifest.get("kind") == "run":
        q = quantities(scenario)
        items += [
            (_w("title", lang), scenario.title), (_w("region", lang), f"{scenario.region} ({scenario.region_en})"),
            (_w("years", lang), f"{scenario.base_year}–{scenario.end_year}"), (_w("document", lang), scenario.document),
            (_w("quantities", lang), f"{len(q)}: {int(q['cited'].sum())} {_w('cited', lang)}, "
                                     f"{int((~q['cited']).sum())} {_w('assumed', lang)}"),
        ]
        if scenario.notes:
            items.append((_w("notes", lang), scenario.notes))
    lead = ""
    if targets is not None and len(targets):
        p = targets.loc[targets["modelled"].astype(bool), "p_met"].dropna()
        lead = f'<p class="lead">{_e(_w("headline", lang).format(n=len(p), likely=int((p >= 0.66).sum()), unlikely=int((p < 0.33).sum())))}</p>'
    rows = [[_e(k), _e(v)] for k, v in items]
    return _section("summary", lang, lead + _table([_w("key", lang), _w("value", lang)], rows))


def _targets(targets: pd.DataFrame | None, lang: str, scenario=None) -> str:
    from .plots.labels import goal_label, target_label, theme_label
    from .plots.overview import likelihood_class, overview_rows

    if targets is None or not len(targets):
        return _section("targets", lang, f"<p>{_e(_w('none', lang))}</p>")
    header = [_w(k, lang) for k in ("target", "goal", "p_met", "p_interval", "median", "band", "unit", "source")]
    body = []
    for kind, row in overview_rows(targets):
        if kind == "theme":
            body.append(f'<tr class="theme"><th colspan="{len(header)}">{_e(theme_label(row, lang))}</th></tr>')
            continue
        name = target_label(row, lang)
        if lang == "en" and name != row.name:
            name = f"{name} ({row.name})"  # the document's wording, for finding it in the source
        cells = [f"<td>{_e(name)}</td>", f'<td class="num">{_e(goal_label(row, lang))}</td>']
        if bool(row.modelled) and not _missing(row.p_met):
            lo, hi = getattr(row, "p_met_lo", float("nan")), getattr(row, "p_met_hi", float("nan"))
            interval = "–" if _missing(lo) else f"{lo:.0%}–{hi:.0%}"
            mark = ("†" if marked_fixed(row) else "") + ("‡" if mostly_rationed(row) else "")
            cells += [f'<td class="num p{likelihood_class(row.p_met)}">{row.p_met:.0%}{mark}</td>',
                      f'<td class="num">{interval}</td>', f'<td class="num">{_num(row.median)}</td>',
                      f'<td class="num">{_num(row.p10)} – {_num(row.p90)}</td>', f'<td class="tunit">{_e(_measure_unit(row, lang))}</td>']
            body.append(f"<tr>{''.join(cells)}<td>{_e(row.source)}</td></tr>")
        else:
            cells += [f'<td class="num">{_e(_w("not_modelled", lang))}</td>', f'<td colspan="4">{_e(row.reason)}</td>']
            body.append(f"<tr class=\"off\">{''.join(cells)}<td>{_e(row.source)}</td></tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    note = ("<p>达成概率:满足目标的重复次数占比;95% 区间为 Wilson 得分区间(蒙特卡洛误差)。</p>" if lang == "zh" else
            "<p>P(met): share of replications meeting the target; its 95% interval is the Wilson score interval "
            "(Monte Carlo error).</p>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return _section("targets", lang, note + table + _fixed_note(targets, lang) + _rationed_note(targets, scenario, lang))


def _fixed_note(targets: pd.DataFrame, lang: str) -> str:
    """A note under the table on the targets whose measure was the same in every replication."""
    if "fixed" not in targets:
        return ""
    rows = targets[targets["fixed"].eq(True)]
    if not len(rows):
        return ""
    inputs = sorted({by for by in rows["fixed_by"] if isinstance(by, str) and by})
    note = text("fixed_note", lang) + (f" ({text('fixed_by', lang, by='; '.join(inputs))})" if inputs else "")
    return f"<p>{_e(note)}</p>"


def _rationed_note(targets: pd.DataFrame, scenario, lang: str) -> str:
    """A note under the table on the targets whose P(met) reads the 能耗双控 cap (rationed in most replications)."""
    if not any(mostly_rationed(row) for row in targets.itertuples()):
        return ""
    cited = scenario is not None and cap_cited(scenario)
    return f"<p>{_e(text('rationed_note', lang, basis=text('cap_cited' if cited else 'cap_assumed', lang)))}</p>"


def _measure_unit(row, lang: str) -> str:
    """The unit of a target's median and band: its indicator's with the prices it is judged at
    (当年价 for money, as targets.csv's ``basis`` says), or %/年 for a growth rate."""
    from .plots.labels import basis_suffix, unit_label

    if getattr(row, "measure", "level") == "cagr":
        return "%/年" if lang == "zh" else "%/yr"
    unit = unit_label(getattr(row, "unit", None), lang)
    return "" if unit == "count" else unit + basis_suffix(row, lang)


def _figures(figures: list[tuple[Path, str]], lang: str) -> str:
    parts = []
    for i, (path, caption) in enumerate(figures, start=1):
        data = base64.b64encode(Path(path).read_bytes()).decode("ascii")
        label = f"{_w('figure', lang)} {i}: {caption}" if lang == "en" else f"{_w('figure', lang)}{i} {caption}"
        parts.append(f'<figure id="fig-{_e(Path(path).stem)}"><img src="data:image/png;base64,{data}" alt="{_e(caption)}">'
                     f"<figcaption>{_e(label)}</figcaption></figure>")
    return _section("figures", lang, "".join(parts) or f"<p>{_e(_w('none', lang))}</p>")


def _skill(scenario, lang: str) -> str:
    """预测检验: the measured skill of the model on the indicators this run forecasts (from the shipped back-test)."""
    if scenario is None:
        return ""
    from .forecast.skill import report_fragment
    from .indicators import INDICATORS

    labels = {name: spec.label for name, spec in INDICATORS.items()} if lang == "zh" else None
    forecast = sorted({t.indicator for t in scenario.targets if t.modelled and t.indicator})
    fragment = report_fragment(forecast, region=scenario.name.split("_")[0], labels=labels, lang=lang)
    return _section("skill", lang, fragment) if fragment else ""


def _model_check(folder: Path, scenario, manifest: dict, lang: str) -> str:
    """模型检验: the stylized facts measured on the run's firm panel, when the run kept one (run --firms)."""
    if scenario is None or not (folder / "firms.parquet").is_file():
        return ""
    from .facts import facts_table, statistical_lines
    from .plots.facts import draw_facts

    panel = pd.read_parquet(folder / "firms.parquet")
    lines = statistical_lines(scenario)
    table = facts_table(panel, scenario.base_year, scenario.end_year, lines)
    words = {"holds": "是", "within error": "误差内", "fails": "否"} if lang == "zh" else \
        {"holds": "yes", "within error": "within Monte Carlo error", "fails": "no"}
    rows = [[_e(r.label if lang == "zh" else r.fact), _num(r.model) + (f" ± {_num(r.se)}" if r.se == r.se else ""),
             _e(r.published), f"≥ {_num(r.low)}" if r.high == float("inf") else f"{_num(r.low)} – {_num(r.high)}",
             words[r.verdict], _e(r.source)] for r in table.itertuples()]
    header = [_w(k, lang) for k in ("fact", "model_value", "published", "range", "holds", "source")]
    (figure,) = [p for p in draw_facts(panel, scenario.base_year, scenario.end_year, folder / "figures",
                                       title=scenario.title, scenario_name=scenario.name,
                                       replications=int(manifest.get("replications", 0)), lang=lang,
                                       lines=lines) if p.suffix == ".png"]
    data = base64.b64encode(figure.read_bytes()).decode("ascii")
    image = f'<figure id="fig-facts"><img src="data:image/png;base64,{data}" alt="{_e(_w("model_check", lang))}"></figure>'
    lead = f'<p>{_e(_w("model_check_lead", lang))}</p>'
    return _section("model_check", lang, lead + _table(header, rows, ["", "num", "", "num", "", ""]) + image)


def _quantity_table(frame: pd.DataFrame, note: str, lang: str) -> str:
    rows = [[_e(r.path), _e(r.value), _e(r.unit), _e(getattr(r, note))] for r in frame.itertuples(index=False)]
    table = _table([_w("path", lang), _w("value", lang), _w("unit", lang), _w(note, lang)], rows, ["path", "val", "unit", ""])
    widths = '<colgroup><col style="width:29%"><col style="width:13%"><col style="width:11%"><col></colgroup>'
    return table.replace("<table>", f'<table class="q">{widths}', 1)


def _assumptions(scenario, lang: str) -> str:
    if scenario is None:
        return _section("assumptions", lang, f"<p>{_e(_w('none', lang))}</p>")
    return _section("assumptions", lang, _quantity_table(assumptions(scenario), "reason", lang))


def _sources(scenario, lang: str) -> str:
    if scenario is None:
        return _section("sources", lang, f"<p>{_e(_w('none', lang))}</p>")
    docs = sorted({t.source for t in scenario.targets})
    targets = "<ul>" + "".join(f"<li>{_e(d)}</li>" for d in docs) + "</ul>"
    content = (f"<p>{_e(_w('document', lang))}: {_e(scenario.document)}</p><h3>{_e(_w('quantity_sources', lang))}</h3>"
               + _quantity_table(sources(scenario), "source", lang) + f"<h3>{_e(_w('target_sources', lang))}</h3>" + targets)
    return _section("sources", lang, content)


def _provenance(manifest: dict, lang: str) -> str:
    keys = [("scenario_hash", "hash"), ("seed", "seed"), ("replications", "replications"), ("written", "written"),
            ("timestamp", "timestamp"), ("command", "command"), ("git_commit", "git_commit"),
            ("p_met_interval", "p_met_interval"), ("wall_time_seconds", "wall_time"), ("scenario_file", "scenario_file")]
    rows = [[_e(_w(word, lang)), _e(manifest[key])] for key, word in keys if key in manifest]
    shown = {key for key, _ in keys} | {"versions"}
    rows += [[_e(key), _e(json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value)]
             for key, value in manifest.items() if key not in shown]
    versions = manifest.get("versions") or {}
    table = _table([_w("key", lang), _w("value", lang)], rows)
    if versions:
        table += f"<h3>{_e(_w('versions', lang))}</h3>" + _table([_w("key", lang), _w("value", lang)],
                                                                [[_e(k), _e(v)] for k, v in versions.items()])
    return _section("provenance", lang, table)


# --- the report --------------------------------------------------------------------------------


def _load(folder: Path):
    """The manifest, the scenario (when the folder holds one) and the target table (when it has one)."""
    from .loader import validate
    from .plots.figures import read_manifest

    manifest = read_manifest(folder)
    scenario = None
    if (folder / "scenario.yaml").is_file():
        scenario = validate(yaml.safe_load((folder / "scenario.yaml").read_text(encoding="utf-8")),
                            file=str(folder / "scenario.yaml"))
    targets = pd.read_csv(folder / "targets.csv") if (folder / "targets.csv").is_file() else None
    return manifest, scenario, targets


def report_figures(folder: str | Path, *, lang: str = "zh", redraw: bool = True, workers: int = 1) -> list[tuple[Path, str]]:
    """The figures of a result folder as ``(png path, caption)``: drawn now (by ``workers`` processes), or
    (``redraw=False``) as found."""
    from .plots.figures import draw, figure_caption, run_captions

    folder = Path(folder)
    manifest, scenario, _ = _load(folder)
    paths = draw(folder, lang=lang, workers=workers) if redraw else []
    if not paths:  # as found: figures/, and the figures a calibration or back-test writes beside its tables
        found = sorted((folder / "figures").glob("*.png")) if (folder / "figures").is_dir() else []
        drawn = {path.name for path in found}  # a report's redraw puts its own copy in figures/
        paths = found + [folder / f"{name}.png" for name in ("fit", "backtest")
                         if (folder / f"{name}.png").is_file() and f"{name}.png" not in drawn]
    # captions are in the report's language even when the figures fell back to English (no CJK font)
    captions = run_captions(scenario, lang) if manifest["kind"] == "run" and scenario is not None else {}
    order = list(captions)
    paths = sorted(paths, key=lambda p: order.index(p.stem) if p.stem in order else len(order))  # stable: others keep theirs
    return [(Path(p), captions.get(Path(p).stem) or figure_caption(Path(p).stem, lang, manifest)) for p in paths]


def build_report(folder: str | Path, *, lang: str = "zh", redraw: bool = True, workers: int = 1) -> str:
    """The report of result folder ``folder`` as one HTML document (a string)."""
    folder = Path(folder)
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    figures = report_figures(folder, lang=lang, redraw=redraw, workers=workers)
    manifest, scenario, targets = _load(folder)
    if manifest["kind"] == "run":
        title = scenario.title if scenario is not None else folder.name
        parts = [_summary(scenario, manifest, targets, lang, folder), _targets(targets, lang, scenario), _figures(figures, lang),
                 _skill(scenario, lang), _model_check(folder, scenario, manifest, lang), _assumptions(scenario, lang),
                 _sources(scenario, lang),
                 _provenance(manifest, lang)]
    else:
        from .plots.figures import scenario_of
        from .report_sections import kind_sections

        subject = (" vs ".join(s["name"] for s in manifest.get("scenarios", [])) if manifest["kind"] == "compare"
                   else scenario_of(manifest))
        title = f"{kind_name(manifest, lang, folder)}: {subject}"
        own = [f'<section id="{key}"><h2>{_e(heading)}</h2>{content}</section>'
               for key, heading, content in kind_sections(folder, manifest, lang)]
        parts = [_summary(scenario, manifest, None, lang, folder), *own, _figures(figures, lang)]
        if scenario is not None:
            parts += [_assumptions(scenario, lang), _sources(scenario, lang)]
        parts.append(_provenance(manifest, lang))
    body = "".join(parts)
    html_lang = "zh-CN" if lang == "zh" else "en"
    return (f'<!DOCTYPE html>\n<html lang="{html_lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1"><title>{_e(title)}</title>'
            f"<style>{CSS}</style></head><body><h1>{_e(title)}</h1>{body}</body></html>\n")


def write_report(folder: str | Path, *, lang: str = "zh", pdf: bool = False, redraw: bool = True,
                 workers: int = 1) -> list[Path]:
    """Write ``folder/report.html`` (and ``report.pdf`` when asked and a converter exists); return the paths.

    Raises
    ------
    InputError
        When ``pdf`` is asked for and neither Chromium nor WeasyPrint is installed.
    """
    folder = Path(folder)
    path = folder / "report.html"
    io.write_text(path, build_report(folder, lang=lang, redraw=redraw, workers=workers))
    written = [path]
    if pdf:
        written.append(print_pdf(path, folder / "report.pdf"))
    return written


CHROMIUM = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def print_pdf(html_path: str | Path, pdf_path: str | Path) -> Path:
    """Print an HTML file to PDF with headless Chromium, or WeasyPrint when there is no Chromium."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    browser = next((shutil.which(name) for name in CHROMIUM if shutil.which(name)), None)
    if browser:
        with tempfile.TemporaryDirectory() as profile, io.atomic_path(pdf_path) as tmp:
            subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                            "--disable-background-networking", "--disable-component-update", "--disable-sync",
                            f"--user-data-dir={profile}", "--no-pdf-header-footer", "--print-to-pdf-no-header",
                            f"--print-to-pdf={tmp}", html_path.as_uri()],
                           check=True, capture_output=True, timeout=180)
            if tmp.stat().st_size == 0:
                raise RuntimeError(f"{browser} wrote an empty PDF")
        return pdf_path
    try:
        import weasyprint
    except ImportError:
        raise InputError("no PDF converter: install chromium (apt-get install chromium) or weasyprint "
                         "(pip install weasyprint)", file=str(html_path)) from None
    with io.atomic_path(pdf_path) as tmp:
        weasyprint.HTML(filename=str(html_path)).write_pdf(str(tmp))
    return pdf_path
