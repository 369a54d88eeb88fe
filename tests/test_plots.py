"""Figures: every plot type renders from a real run, says what the data say, in Chinese or English."""

import dataclasses
import re
import sys
import types
import warnings

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from matplotlib.figure import Figure

from simulation.cli import main
from simulation.experiments.replicate import run_replications
from simulation.loader import read_yaml
from simulation.plots import fonts
from simulation.plots.balance import balance_figure, land_stock
from simulation.plots.fan import fan_chart, load_history
from simulation.plots.figures import RunFigures, draw_run, fan_groups
from simulation.plots.flows import flow_matrix, statistical_tiers, yearly_flows
from simulation.plots.fonts import find_cjk_font, plot_style
from simulation.plots.overview import likelihood_class, target_overview
from simulation.plots.workers import draw_all
from simulation.results import write_run

from .conftest import ZHENHAI

CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")
MISSING_GLYPH = "missing from font"


@pytest.fixture(scope="session")
def run(zhenhai):
    return run_replications(zhenhai, 5, seed=11)


@pytest.fixture(scope="session")
def drawn(run, tmp_path_factory):
    """The run written and drawn in Chinese, with the warnings raised while drawing."""
    out = tmp_path_factory.mktemp("plots") / "run"
    write_run(run, out)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = draw_run(run, out, lang="zh")
    return out, paths, [str(w.message) for w in caught]


def _texts(fig) -> list[str]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig).draw()  # tick labels get their text when drawn
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text")) if t.get_text()]


@pytest.mark.slow
def test_draw_run_writes_every_figure_as_png_and_svg(drawn, zhenhai):
    out, paths, _ = drawn
    raw = read_yaml(ZHENHAI)["targets"]
    fans = {(t["indicator"], t.get("measure", "level"), t.get("since")) for t in raw if t.get("modelled", True)}
    stems = [p.stem for p in paths]
    assert len(stems) == len(set(stems)) == len(fans) + 4  # overview, tiers, tier flows, balance
    assert {"targets_overview", "tiers", "tier_flows", "balance"} <= set(stems)
    for png in paths:
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        svg = png.with_suffix(".svg").read_text(encoding="utf-8")
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg


@pytest.mark.slow
def test_figures_drawn_in_worker_processes_are_the_same_files(run, tmp_path):
    paths = draw_run(run, tmp_path / "serial", lang="zh")  # not `drawn`'s files: another test redraws them
    side_by_side = draw_run(run, tmp_path / "workers", lang="zh", workers=2)
    assert [p.name for p in side_by_side] == [p.name for p in paths]  # report order kept
    for ours, theirs in zip(side_by_side, paths, strict=True):
        assert ours.read_bytes() == theirs.read_bytes()
        assert ours.with_suffix(".svg").read_bytes() == theirs.with_suffix(".svg").read_bytes()


class _WarnsWhileDrawing(RunFigures):
    def _figure(self, stem):
        warnings.warn(f"drawing {stem}", UserWarning, stacklevel=1)
        return super()._figure(stem)


def test_a_drawing_workers_warnings_reach_the_caller(run, tmp_path):
    figures = _WarnsWhileDrawing.of(run, tmp_path, lang="en")
    figures = dataclasses.replace(figures, fans=dict(list(figures.fans.items())[:1]))  # five figures suffice
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw_all(figures, workers=2)
    drawn = sorted(str(w.message) for w in caught if str(w.message).startswith("drawing "))
    assert drawn == sorted(f"drawing {stem}" for stem in figures.stems())


def test_save_figure_lays_out_once_for_every_format_and_keeps_the_engine(tmp_path, monkeypatch):
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from simulation.plots.save import save_figure

    layouts = []
    execute = ConstrainedLayoutEngine.execute
    monkeypatch.setattr(ConstrainedLayoutEngine, "execute", lambda self, fig: layouts.append(fig) or execute(self, fig))
    fig = Figure(figsize=(4, 3), layout="constrained")
    fig.add_subplot().set_title("标题 title")
    engine = fig.get_layout_engine()
    with plot_style():
        save_figure(fig, tmp_path / "once")
        placed = fig.axes[0].get_position().bounds
    assert len(layouts) == 1  # not once per format
    assert fig.get_layout_engine() is engine  # the figure is laid out again when drawn next
    assert (tmp_path / "once.png").exists() and (tmp_path / "once.svg").exists()
    assert placed == fig.axes[0].get_position().bounds


def test_an_svg_is_the_same_bytes_when_the_layout_differs_in_its_last_bits(tmp_path, monkeypatch):
    """Constrained layout can place an axes a few last bits apart from one draw to the next; the SVG
    names clip rectangles by a hash of their exact bounds, so those bits must not reach it."""
    from matplotlib.layout_engine import ConstrainedLayoutEngine

    from simulation.plots.save import save_figure

    execute, nudge = ConstrainedLayoutEngine.execute, {"by": 0}

    def noisy(self, fig):  # the layout, then each axes moved by `by` units in its last place
        execute(self, fig)
        for ax in fig.get_axes():
            x0, y0, w, h = ax.get_position(original=True).bounds
            for _ in range(nudge["by"]):
                x0, y0 = np.nextafter(x0, 1.0), np.nextafter(y0, 1.0)
            ax.set_position([x0, y0, w, h], which="original")

    monkeypatch.setattr(ConstrainedLayoutEngine, "execute", noisy)
    saved = []
    for by in (0, 3):
        nudge["by"] = by
        fig = Figure(figsize=(4, 3), layout="constrained")
        ax = fig.add_subplot()
        ax.plot([0, 1, 2], [1, 3, 2])
        with plot_style():
            save_figure(fig, tmp_path / f"nudged{by}")
        saved.append((tmp_path / f"nudged{by}.svg").read_bytes())
    assert b"clip-path" in saved[0]
    assert saved[0] == saved[1]


@pytest.mark.slow
def test_no_missing_glyphs_when_a_cjk_font_is_installed(drawn):
    _, _, messages = drawn
    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (apt-get install fonts-noto-cjk)")
    assert not [m for m in messages if MISSING_GLYPH in m]
    assert not [m for m in messages if "English labels" in m]


def test_fan_chart_draws_the_replications_median_and_attainment(run):
    """A money target (亩均税收, 万元/亩) is judged at current prices: the fan is drawn on that basis
    (the constant-price values times the scenario's producer-price level) and the probability
    beside each marker is the target table's."""
    sc = run.scenario
    targets = [t for t in sc.targets if t.indicator == "tax_per_mu"]
    rows = run.indicators[run.indicators["indicator"] == "tax_per_mu"]
    expected = rows.groupby("year")["value"].median() * [sc.price_level(y) for y in sorted(rows["year"].unique())]
    assert any(sc.price_level(t.year) != 1.0 for t in targets)  # else this test could not tell the bases apart
    with plot_style():
        ax = fan_chart(run.indicators, targets, "tax_per_mu", scenario=sc, lang="en", ax=Figure().add_subplot())
    median = next(line for line in ax.get_lines() if line.get_label() == "median")
    np.testing.assert_allclose(median.get_ydata(), expected.to_numpy())
    assert "current prices" in ax.get_ylabel()
    labels = [t.get_text() for t in ax.texts]
    table = run.targets[run.targets["indicator"] == "tax_per_mu"]
    for target, p_met in zip(targets, table["p_met"], strict=True):
        assert any(f"{target.value:g}\nP={p_met:.0%}" in label for label in labels)


def test_fan_chart_cumulative_measure_sums_the_years(run):
    targets = [t for t in run.scenario.targets if t.indicator == "land_freed"]
    rows = run.indicators[(run.indicators["indicator"] == "land_freed") & (run.indicators["year"] > 2020)]
    cumulative = rows.sort_values("year").groupby("replication")["value"].cumsum()
    expected = rows.assign(c=cumulative).groupby("year")["c"].median()
    with plot_style():
        ax = fan_chart(run.indicators, targets, "land_freed", scenario=run.scenario, measure="cumulative", since=2020,
                       lang="en", ax=Figure().add_subplot())
    median = next(line for line in ax.get_lines() if line.get_label() == "median")
    np.testing.assert_allclose(median.get_ydata(), expected.to_numpy())


def test_a_flow_s_fan_starts_in_the_first_simulated_year(run):
    """A flow (each year's 腾出用地) has no amount in the base year: its fan does not climb from a 0 there."""
    sc = run.scenario
    with plot_style():
        ax = fan_chart(run.indicators, [], "land_freed", scenario=sc, lang="en", ax=Figure().add_subplot())
    median = next(line for line in ax.get_lines() if line.get_label() == "median")
    assert min(median.get_xdata()) == sc.base_year + 1
    with plot_style():  # a stock keeps its base year
        ax = fan_chart(run.indicators, [], "firms_above_scale", scenario=sc, lang="en", ax=Figure().add_subplot())
    assert min(next(line for line in ax.get_lines() if line.get_label() == "median").get_xdata()) == sc.base_year


def test_history_comes_from_the_regions_observed_data(zhenhai):
    history = load_history(zhenhai)
    observed = pd.read_csv(ZHENHAI.parents[1] / "calibration" / "data" / "zhenhai.csv")
    va = observed[observed["indicator"] == "value_added_above_scale"]
    got = history[history["indicator"] == "value_added_above_scale"]
    assert sorted(got["year"]) == sorted(va["year"]) and len(va) > 0
    assert "value_added_above_scale_jan_nov" not in set(history["indicator"])  # not a modelled indicator


def test_overview_bars_are_the_attainment_probabilities(run):
    with plot_style():
        fig = Figure()
        ax = target_overview(run.targets, lang="zh", ax=fig.add_subplot())
    bars = sorted(p.get_width() for p in ax.patches if p.get_hatch() is None)
    modelled = run.targets[run.targets["modelled"]]
    np.testing.assert_allclose(bars, sorted(np.maximum(modelled["p_met"], 0.004)))
    greyed = [t for t in ax.texts if t.get_text() == "未建模"]  # the targets not modelled share one row
    unmodelled = int((~run.targets["modelled"]).sum())
    assert len(greyed) == 1 and unmodelled > 0
    assert f"其余 {unmodelled} 项目标" in [label.get_text() for label in ax.get_yticklabels()][-1]
    headers = [t.get_text() for t in ax.texts if t.get_fontweight() == "bold"]
    assert headers[:3] == ["企业梯度", "产出", "亩均效益"]


@pytest.mark.parametrize("p, cls", [(0.0, 0), (0.099, 0), (0.1, 1), (0.5, 2), (0.66, 3), (0.9, 4), (1.0, 4)])
def test_likelihood_classes(p, cls):
    assert likelihood_class(p) == cls


def test_yearly_flows_count_a_missing_move_as_zero():
    flows = pd.DataFrame({
        "replication": [0, 0, 0, 1], "year": [2021, 2021, 2021, 2021],
        "source": ["规下", "规下", "新设", "新设"], "target": ["规上", "规上", "规下", "规下"], "count": [3, 1, 10, 20],
    })
    mean = yearly_flows(flows).set_index(["source", "target"])["count"]
    assert mean[("规下", "规上")] == pytest.approx(2.0)  # (3 + 1 + 0) / 2 replications
    assert mean[("新设", "规下")] == pytest.approx(15.0)


def test_flow_matrix_cells_are_mean_flows_per_year(run):
    with plot_style():
        ax = flow_matrix(run.flows, lang="zh", replications=range(5), ax=Figure().add_subplot())
    births = run.flows[run.flows["source"] == "新设"]["count"].sum() / 5 / run.flows["year"].nunique()
    rows = [t.get_text() for t in ax.get_yticklabels()]
    cols = [t.get_text() for t in ax.get_xticklabels()]
    image = ax.get_images()[0].get_array()
    assert float(image[rows.index("新设"), cols.index("规下")]) == pytest.approx(births)
    assert any(t.get_text() == f"{births:.0f}" for t in ax.texts)


def test_the_flow_matrix_keeps_size_and_certificate_apart(run):
    """Size rows (新设 … 规上) and certificate rows count the same firms: a line between the two
    blocks and a note that they are not to be added."""
    with plot_style():
        ax = flow_matrix(run.flows, lang="zh", replications=range(5), ax=Figure().add_subplot())
    rows = [t.get_text() for t in ax.get_yticklabels()]
    assert "规上" in rows and "未认定" in rows
    lines = [line.get_ydata()[0] for line in ax.get_lines() if len(set(line.get_ydata())) == 1]
    assert rows.index("规上") + 0.5 in lines
    assert any("两块不可相加" in t.get_text() for t in ax.texts)


def test_tier_stack_tops_are_mean_live_firms(run):
    with plot_style():
        ax = statistical_tiers(run.indicators, lang="en", ax=Figure().add_subplot())
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()
    wide = run.indicators[run.indicators["indicator"].isin(["firms_below_scale", "firms_above_scale"])]
    totals = wide.groupby(["replication", "year"])["value"].sum().groupby("year").mean()
    assert top == pytest.approx(totals.max())


def test_land_stack_adds_up_to_the_total(run):
    with plot_style():
        ax = land_stock(run.indicators, lang="en", ax=Figure().add_subplot())
    total = next(line for line in ax.get_lines()).get_ydata()
    stacked_top = ax.collections[2].get_paths()[0].vertices[:, 1].max()  # held, clearing, free
    assert stacked_top == pytest.approx(np.max(total), rel=1e-9)


def test_lost_projects_are_drawn_in_front_of_the_waiting_band(run):
    """The yearly lost-project bars are small beside the waiting projects' band: drawn behind it
    they were hidden, so the figure understated the projects lost."""
    from simulation.plots.balance import project_queue

    with plot_style():
        ax = project_queue(run.indicators, lang="en", ax=Figure().add_subplot())
    band = next(c for c in ax.collections if c.get_label() == "80% band")
    assert ax.patches and all(bar.get_zorder() > band.get_zorder() for bar in ax.patches)


def test_the_energy_flows_show_the_use_above_quota(run):
    """Where rationing starts late in the year the cap shows as use above quota, not only as cuts:
    the energy panel draws the overrun beside what rationing cut, at the replications' mean."""
    from simulation.plots.balance import energy_flows, means

    with plot_style():
        ax = energy_flows(run.indicators, lang="en", ax=Figure().add_subplot())
    labels = [h.get_label() for h in ax.get_legend_handles_labels()[0]]
    assert "Energy use above quota" in labels and "Energy rationed" in labels
    overrun = means(run.indicators, ["energy_overrun"])["energy_overrun"].iloc[1:].to_numpy()
    bars = next(c for c in ax.containers if c.get_label() == "Energy use above quota")
    np.testing.assert_allclose([bar.get_height() for bar in bars], overrun)
    assert overrun.sum() > 0


@pytest.mark.slow
def test_english_figures_have_no_chinese_text(run):
    with plot_style():
        fig = balance_figure(run.indicators, lang="en")
        texts = _texts(fig)
        fig2 = Figure()
        target_overview(run.targets, lang="en", ax=fig2.add_subplot())
        texts += _texts(fig2)
    assert texts and not [t for t in texts if CJK.search(t)]


@pytest.mark.slow
def test_same_run_same_bytes_and_another_seed_another_figure(run, zhenhai, tmp_path):
    from simulation.plots.save import save_figure

    other = run_replications(zhenhai, 5, seed=12)
    targets = [t for t in zhenhai.targets if t.indicator == "value_added_above_scale"]
    for name, result in (("a", run), ("b", run), ("c", other)):
        with plot_style():
            fig = Figure(layout="constrained")
            fan_chart(result.indicators, targets, "value_added_above_scale", scenario=zhenhai, lang="zh",
                      ax=fig.add_subplot())
            save_figure(fig, tmp_path / name)
    for ext in ("png", "svg"):
        a, b, c = ((tmp_path / f"{n}.{ext}").read_bytes() for n in "abc")
        assert a == b
        assert a != c


def test_chinese_falls_back_to_english_with_one_warning(monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fonts.resolve_lang("zh") == "en"
        assert fonts.resolve_lang("zh") == "en"
        assert fonts.resolve_lang("en") == "en"
    assert len([w for w in caught if "fonts-noto-cjk" in str(w.message)]) == 1


def test_fonts_are_print_sized():
    params = fonts.rc_params()
    for key in ("font.size", "axes.labelsize", "xtick.labelsize", "ytick.labelsize", "legend.fontsize"):
        assert params[key] >= 9


@pytest.mark.slow
def test_plot_command_draws_a_run_folder(drawn):
    out, paths, _ = drawn
    for p in paths:
        p.unlink()
    result = CliRunner().invoke(main, ["plot", str(out), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert all(p.is_file() for p in paths)
    assert len(result.output.split()) == len(paths)


def test_plot_command_refuses_a_folder_without_results(tmp_path):
    result = CliRunner().invoke(main, ["plot", str(tmp_path)])
    assert result.exit_code == 2
    assert "manifest.json" in result.output
    (tmp_path / "manifest.json").write_text('{"kind": "nonsense"}', encoding="utf-8")
    result = CliRunner().invoke(main, ["plot", str(tmp_path)])
    assert result.exit_code == 2 and "nonsense" in result.output


def test_plot_command_hands_other_kinds_to_their_module(tmp_path, monkeypatch):
    calls = []
    fake = types.ModuleType("simulation.plots.compare")
    fake.draw = lambda folder, *, lang: calls.append((folder, lang)) or [folder / "figures" / "x.png"]
    monkeypatch.setitem(sys.modules, "simulation.plots.compare", fake)
    (tmp_path / "manifest.json").write_text('{"kind": "compare"}', encoding="utf-8")
    # the tables a comparison is read through, empty (the folder checks find their columns)
    pd.DataFrame(columns=["indicator", "year", "op", "target", "scenario", "p_met"]).to_csv(tmp_path / "compare_targets.csv")
    pd.DataFrame({c: [] for c in ("indicator", "year", "scenario", "median", "p10", "p90")}).to_parquet(
        tmp_path / "compare_indicators.parquet")
    result = CliRunner().invoke(main, ["plot", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert calls == [(tmp_path, "en")]


@pytest.mark.slow
def test_without_a_cjk_font_figures_are_english_and_complete(run, tmp_path, monkeypatch):
    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        paths = draw_run(run, tmp_path, lang="zh")
    messages = [str(w.message) for w in caught]
    assert len([m for m in messages if "English labels" in m]) == 1
    assert not [m for m in messages if MISSING_GLYPH in m]
    assert len(paths) == len(fan_groups(run.scenario)) + 4


# --- sweep response, and `plot` on sweep, sensitivity and calibration folders -----------------


def test_rank_factors_puts_the_deciding_factor_first():
    from simulation.plots.sweep import rank_factors

    rng = np.random.default_rng(0)
    design = pd.DataFrame({"point": range(200), "noise": rng.random(200), "lever": rng.random(200)})
    p_met = pd.Series((design["lever"] > 0.6).astype(float))
    assert list(rank_factors(design, p_met).index) == ["lever", "noise"]


def test_response_heatmap_cells_are_bin_means():
    from simulation.plots.sweep import response_heatmap

    x = np.repeat(np.arange(6.0), 6)
    y = np.tile(np.arange(6.0), 6)
    design = pd.DataFrame({"point": range(36), "a": x, "b": y})
    p_met = pd.Series((x + y) / 10.0)
    ax = Figure().add_subplot()
    response_heatmap(design, p_met, "a", "b", ax=ax)
    cells = np.asarray(ax.collections[0].get_array()).reshape(6, 6)
    np.testing.assert_allclose(cells, (np.arange(6)[:, None] + np.arange(6)[None, :]) / 10.0)


@pytest.mark.slow
def test_plot_draws_sweep_responses_for_targets_that_vary(tmp_path):
    from simulation.experiments.sweep import sweep

    from .test_sweep import write_spec

    store = tmp_path / "store"
    sweep(write_spec(tmp_path, points=8, replications=2), store, workers=1)
    result = CliRunner().invoke(main, ["plot", str(store)])
    assert result.exit_code == 0, result.output
    attainment = pd.read_parquet(store / "attainment.parquet")
    varying = {f"response_{ind}_{year}.png" for (ind, year), g in attainment.groupby(["indicator", "year"])
               if g["p_met"].nunique() > 1}
    assert {p.name for p in (store / "figures").glob("response_*.png")} == varying
    serially = {f.name: f.read_bytes() for f in (store / "figures").iterdir()}
    side_by_side = CliRunner().invoke(main, ["plot", str(store), "--workers", "2"])
    assert side_by_side.exit_code == 0, side_by_side.output
    assert {f.name: f.read_bytes() for f in (store / "figures").iterdir()} == serially  # the same files


@pytest.mark.slow
def test_plot_redraws_a_sensitivity_folder(tmp_path):
    from simulation.experiments.sensitivity import sensitivity

    spec = tmp_path / "spec.yaml"
    spec.write_text("model: ishigami\nmethod: morris\nn: 4\nlevels: 4\nseed: 1\noutputs: ['y@0']\n"
                    "factors:\n" + "".join(f"  - {{path: {x}, range: [-3.14159, 3.14159]}}\n" for x in ("x1", "x2", "x3")),
                    encoding="utf-8")
    sensitivity(spec, tmp_path / "out", workers=1)
    result = CliRunner().invoke(main, ["plot", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "figures" / "morris_y_0.png").is_file()


def test_the_back_test_figures_speak_the_readers_language(tmp_path):
    """The rolling back-test's figures: Chinese words in Chinese (methods, observed, bands, horizon,
    the order of a year's forecasts), English in English; every figure is drawn."""
    import matplotlib.pyplot as plt

    from simulation.plots.skill import coverage_figure, draw_skill, forecast_figure, pit_figure

    rows = []
    for origin, horizon in ((2019, 2), (2020, 1)):
        for method in ("model", "naive"):
            rows.append({"region": "r", "indicator": "value_added_above_scale", "unit": "亿元", "origin": origin,
                         "horizon": horizon, "year": 2021, "method": method, "observed": 100.0, "median": 98.0 + horizon,
                         "lo50": 95.0, "hi50": 101.0, "lo80": 90.0, "hi80": 110.0, "lo95": 85.0, "hi95": 115.0,
                         "covered50": True, "covered80": True, "covered95": True, "pit": 0.4})
    skill = pd.DataFrame(rows)

    def words(fig):
        texts = [t.get_text() for t in fig.findobj(plt.Text)]
        plt.close(fig)
        return " ".join(texts)

    zh = " ".join(words(f) for f in (forecast_figure(skill, "r", lang="zh"), pit_figure(skill, lang="zh"),
                                      coverage_figure(skill, lang="zh")))
    en = " ".join(words(f) for f in (forecast_figure(skill, "r", lang="en"), pit_figure(skill, lang="en"),
                                      coverage_figure(skill, lang="en")))
    for chinese, english in (("观测值", "observed"), ("模型", "model"), ("朴素漂移", "naive drift"),
                             ("80% 区间", "80% band"), ("预测提前年数", "horizon"), ("自左至右", "left to right")):
        assert chinese in zh and english not in zh
        assert english in en
    assert len(draw_skill(skill, tmp_path, lang="zh")) == 3


def test_a_short_chinese_unit_on_the_y_axis_stands_upright(tmp_path):
    """家 or 亿元 on a y-axis is set upright when saved (rotated, a lone character lies on its side);
    a longer label, or one that is not Chinese, keeps the usual rotation."""
    from matplotlib.figure import Figure

    from simulation.plots.fonts import plot_style
    from simulation.plots.save import save_figure

    fig = Figure()
    axes = fig.subplots(1, 4)
    for ax, label in zip(axes, ("家", "亿元", "亿元（当年价）", "%")):
        ax.set_ylabel(label)
    with plot_style():
        save_figure(fig, tmp_path / "f", formats=("png",))
    assert [ax.yaxis.label.get_rotation() for ax in axes] == [0.0, 0.0, 90.0, 90.0]
