"""The model check on one sheet: the stylized facts of firm dynamics against their published values."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..facts import THRESHOLD, at_the_years_line, growth_panel, tail_exponent, volatility_by_size
from .fonts import cm, plot_style, resolve_lang
from .save import save_figure

AXES = {
    "zh": {"revenue": "营业收入 (万元)", "growth": "年对数增长率 (减中位数)", "sd": "增长率标准差", "quintile": "规模五分位 (Q1 最小)",
           "age": "企龄", "line": "营业收入 (万元, 当年价); 虚线: 规上标准 2,000万元", "firms": "企业数",
           "ages": ["≤3年", "4-9年", "10-19年", "≥20年"]},
    "en": {"revenue": "revenue (10k yuan)", "growth": "yearly log growth (minus median)", "sd": "s.d. of growth",
           "quintile": "size quintile (Q1 smallest)", "age": "age", "line": "revenue (10k yuan, the year's prices); dashed: the 20m yuan line",
           "firms": "firms", "ages": ["≤3 y", "4-9 y", "10-19 y", "≥20 y"]},
}
TITLES = {
    "zh": ["规上企业规模分布 (互补累积分布)", "年增长率分布 (对数纵轴)", "增长波动与规模", "存活企业增速: 按规模与企龄",
           "退出率: 按规模与企龄", "规上线附近的企业密度"],
    "en": ["Size distribution of above-scale firms (CCDF)", "Growth-rate density (log scale)", "Growth volatility against size",
           "Survivors' growth by size and age", "Exit rate by size and age", "Firms near the 20m yuan line"],
}


def draw_facts(panel: pd.DataFrame, base_year: int, end_year: int, out: str | Path, *, title: str,
               scenario_name: str, replications: int, lang: str = "zh",
               lines: Mapping[int, float] | None = None) -> list[Path]:
    """Six panels: CCDF with Zipf, growth density with a Laplace, σ against size, growth and exit by
    size and age, and the density across the 规上 line; saved as ``out/facts.png`` and ``.svg``.
    ``lines``: each year's 2,000万 line in base-year prices (:func:`simulation.facts.statistical_lines`),
    so that the last panel sets each firm-year against its own year's line, as the statistics do."""
    import matplotlib.pyplot as plt

    lang = resolve_lang(lang)
    names = TITLES[lang]
    pairs = growth_panel(panel)
    survivors = pairs[~pairs["exited_next"]]
    with plot_style():
        fig, axes = plt.subplots(2, 3, figsize=cm(30, 18), constrained_layout=True)
        words = AXES[lang]
        _ccdf(axes[0, 0], panel, end_year, words)
        _density(axes[0, 1], survivors, words)
        _volatility(axes[0, 2], survivors, words)
        _by_size_age(axes[1, 0], survivors, "log_growth", words)
        _by_size_age(axes[1, 1], pairs, "exited_next", words)
        _line(axes[1, 2], panel, base_year, words, lines)
        for ax, name in zip(axes.flat, names):
            ax.set_title(name, fontsize=10)
        fig.suptitle(f"{title} — 模型检验 ({replications} 次模拟)" if lang == "zh"
                     else f"{scenario_name} — model check ({replications} replications)")
        return save_figure(fig, Path(out) / "facts", close=True)


def _ccdf(ax, panel: pd.DataFrame, year: int, words: dict) -> None:
    firms = panel[(panel["year"] == year) & ~panel["exited"] & panel["above_scale"]]
    x = np.sort(firms["revenue"].to_numpy())[::-1]
    ccdf = np.arange(1, len(x) + 1) / len(x)
    ax.loglog(x, ccdf, ".", markersize=2, alpha=0.5, label="model")
    alpha = tail_exponent(x)
    ref = x[: max(len(x) // 5, 10)]
    ax.loglog(ref, (ref / ref[-1]) ** -1.06 * ccdf[len(ref) - 1], "k--", label="Zipf α=1.06 (Axtell 2001)")
    ax.set_xlabel(words["revenue"])
    ax.set_ylabel("P(S > s)")
    ax.legend(fontsize=7, title=rf"$\hat{{\alpha}}$ = {alpha:.2f}", title_fontsize=7)


def _density(ax, survivors: pd.DataFrame, words: dict) -> None:
    z = survivors["log_growth"] - survivors["log_growth"].median()
    counts, edges = np.histogram(z, bins=80, range=(-1.5, 1.5), density=True)
    centres = (edges[:-1] + edges[1:]) / 2
    ax.semilogy(centres, np.where(counts > 0, counts, np.nan), ".", label="model")
    b = np.mean(np.abs(z))  # Laplace scale by maximum likelihood
    ax.semilogy(centres, np.exp(-np.abs(centres) / b) / (2 * b), "k--", label="Laplace")
    ax.set_xlabel(words["growth"])
    ax.legend(fontsize=7)


def _volatility(ax, survivors: pd.DataFrame, words: dict) -> None:
    """The s.d. of growth by size decile against its geometric-mean size, with the table's β."""
    bins = pd.qcut(np.log(survivors["revenue"]), 10, labels=False, duplicates="drop")
    centre, sd, beta = volatility_by_size(survivors, bins)
    size = np.exp(centre)
    ax.loglog(size, sd, "o", label="model")
    level = np.mean(np.log(sd) + 0.2 * centre)  # the β = 0.20 line through the points' centre
    ax.loglog(size, np.exp(level) * size ** -0.2, "k--", label="β = 0.20 (Amaral et al. 1997)")
    ax.set_xlabel(words["revenue"])
    ax.set_ylabel(words["sd"])
    ax.legend(fontsize=7, title=rf"$\hat{{\beta}}$ = {beta:.2f}", title_fontsize=7)


def _by_size_age(ax, frame: pd.DataFrame, column: str, words: dict) -> None:
    quintile = pd.qcut(np.log(frame["revenue"]), 5, labels=["Q1", "Q2", "Q3", "Q4", "Q5"], duplicates="drop")
    age = pd.cut(frame["age"], [-1, 3, 9, 19, 1000], labels=words["ages"])
    table = frame.groupby([quintile, age], observed=True)[column].mean().unstack() * 100.0
    table.plot(ax=ax, marker="o")
    ax.set_xlabel(words["quintile"])
    ax.set_ylabel("%")
    ax.legend(fontsize=7, title=words["age"], title_fontsize=7)


def _line(ax, panel: pd.DataFrame, base_year: int, words: dict, lines: Mapping[int, float] | None) -> None:
    live = panel[~panel["exited"] & (panel["year"] > base_year)]
    revenue = at_the_years_line(live, lines)
    near = revenue[(revenue > 500) & (revenue < 5000)]
    ax.hist(near, bins=np.arange(500, 5001, 250), color="0.6")
    ax.axvline(THRESHOLD, color="k", linestyle="--")
    ax.set_xlabel(words["line"])
    ax.set_ylabel(words["firms"])
