"""Fonts and the house style: a CJK font for Chinese labels, print sizes, a colour-blind-safe palette.

Chinese labels need a font with CJK glyphs; without one matplotlib draws empty boxes. We look
for one among the fonts matplotlib knows and, since its font cache is built once and does not
notice fonts installed later, also among the system's font files. Where none is found, figures
fall back to English labels with a single warning. On Debian/Ubuntu::

    apt-get install fonts-noto-cjk
    rm -rf ~/.cache/matplotlib   # optional: let matplotlib rebuild its font list
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

# Preferred CJK families, best first (Simplified Chinese faces before the others).
CJK_FAMILIES = (
    "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "Source Han Sans CN", "Noto Sans CJK JP",
    "Source Han Sans", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "Sarasa Gothic SC", "Microsoft YaHei",
    "SimHei", "PingFang SC", "Heiti SC", "Hiragino Sans GB", "AR PL UMing CN", "AR PL UKai CN",
    "Noto Serif CJK SC", "Source Han Serif SC",
)
# Font files that hold such families, for fonts installed after matplotlib built its cache.
CJK_FILE_HINTS = ("notosanscjk", "notoserifcjk", "notosanssc", "sourcehan", "wqy", "wenquanyi", "sarasa",
                  "msyh", "simhei", "pingfang", "uming", "ukai")

# Okabe & Ito (2008) "Color Universal Design": distinguishable with every common colour-vision deficiency.
OKABE_ITO = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
}
GREY = "#9A9A9A"

CM = 1 / 2.54  # inches per centimetre
WIDTH_CM = 16.0  # the text width of an A4 page with 2.5 cm margins
DPI = 200

_warned = False


def cm(width: float, height: float) -> tuple[float, float]:
    """A figure size in inches from centimetres."""
    return width * CM, height * CM


def panel_grid(n: int, *, width: float = 8.5, height: float = 6.0):
    """A figure of ``n`` panels, two to a row (``width`` × ``height`` cm each); the spare panel hidden.

    Returns the figure and the ``n`` axes in reading order. Call inside :func:`plot_style`.
    """
    import matplotlib.pyplot as plt

    ncols = min(n, 2)
    nrows = math.ceil(n / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=cm(width * ncols, height * nrows), squeeze=False)
    for ax in list(axes.flat)[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat)[:n]


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The family name of an installed font with Chinese glyphs, or ``None``."""
    from matplotlib import font_manager

    known = {f.name for f in font_manager.fontManager.ttflist}
    found = next((name for name in CJK_FAMILIES if name in known), None)
    if found:
        return found
    for path in sorted(font_manager.findSystemFonts()):
        if any(hint in Path(path).name.lower() for hint in CJK_FILE_HINTS):
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # an unreadable file is not worth failing a plot
                continue
    known = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in CJK_FAMILIES if name in known), None)


def resolve_lang(lang: str) -> str:
    """``lang`` if it can be drawn; ``"en"`` (with one warning per session) when Chinese cannot."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    if lang == "zh" and find_cjk_font() is None:
        global _warned
        if not _warned:
            warnings.warn("no font with Chinese glyphs found (install one, e.g. `apt-get install fonts-noto-cjk`); "
                          "drawing figures with English labels", UserWarning, stacklevel=2)
            _warned = True
        return "en"
    return lang


def rc_params() -> dict:
    """Matplotlib settings for print: text at 9 pt or more, the CJK font first where there is one."""
    from cycler import cycler

    cjk = find_cjk_font()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": ([cjk] if cjk else []) + ["DejaVu Sans"],
        "font.size": 9,
        "axes.titlesize": 10,
        "axes.labelsize": 9,
        "xtick.labelsize": 9,
        "ytick.labelsize": 9,
        "legend.fontsize": 9,
        "figure.titlesize": 11,
        "axes.unicode_minus": cjk is None,  # some CJK faces lack U+2212; a hyphen always renders
        "axes.prop_cycle": cycler(color=[OKABE_ITO[k] for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "yellow", "black")]),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": False,
        "grid.alpha": 0.35,
        "legend.frameon": False,
        "savefig.dpi": DPI,
        "svg.fonttype": "path",  # glyphs as outlines: the SVG shows the same text with no font installed
        "svg.hashsalt": "upgrade-sim",  # fixed element ids: the same figure gives the same SVG bytes
    }


@contextmanager
def plot_style() -> Iterator[None]:
    """Draw and save figures inside this block to get the house style and the CJK font."""
    import matplotlib

    with matplotlib.rc_context(rc_params()):
        yield
