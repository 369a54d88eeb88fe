"""Saving figures: PNG for documents and the report, SVG for editing; each file written atomically."""

from __future__ import annotations

import contextlib
import contextvars
import re
from collections.abc import Iterator
from pathlib import Path

from ..io import atomic_path
from .fonts import DPI

FORMATS = ("png", "svg")

# What every figure saved in this context says about its results: the scenario and the replications.
_STAMP: contextvars.ContextVar[str | None] = contextvars.ContextVar("figure_stamp", default=None)


@contextlib.contextmanager
def stamped(note: str | None) -> Iterator[None]:
    """Within this block, :func:`save_figure` writes ``note`` in the bottom corner of every figure."""
    token = _STAMP.set(note)
    try:
        yield
    finally:
        _STAMP.reset(token)


def stamp_in_force() -> str | None:
    """The note :func:`stamped` has set here (for a figure set that draws in worker processes)."""
    return _STAMP.get()


def _stamp(fig) -> None:
    note = _STAMP.get()
    if not note or getattr(fig, "_upgrade_sim_stamped", False):
        return
    strip = min(0.12, 0.14 / fig.get_figheight())  # about 3.5 mm of the figure's height, below the axes
    engine = fig.get_layout_engine()
    if engine is not None and hasattr(engine, "set") and "rect" in getattr(engine, "get", dict)():
        engine.set(rect=(0, strip, 1, 1 - strip))
    else:
        fig.subplots_adjust(bottom=max(fig.subplotpars.bottom, strip + 0.06))
    fig.text(0.995, 0.004, note, ha="right", va="bottom", fontsize=6, color="0.35")
    fig._upgrade_sim_stamped = True


def _lay_out_once(fig, dpi: float) -> None:
    """Lay the figure out as a save at ``dpi`` would, then keep that layout for every format: no
    layout again, and each axes' place rounded to 10^-12 of the figure. Constrained layout can place
    an axes a few last bits apart from one draw of the same figure to the next; an SVG names each clip
    rectangle by a hash of its exact bounds, and a raster may cross a pixel, so the same figure would
    give other bytes. (The layout is also a third of a save: now made once, not per format.)"""
    engine, shown = fig.get_layout_engine(), fig.dpi
    fig.dpi = dpi
    try:
        engine.execute(fig)
    finally:
        fig.dpi = shown
    fig.set_layout_engine("none")
    for ax in fig.get_axes():
        # the place before any fixed aspect is applied (which is applied again when drawn)
        ax.set_position([round(v, 12) for v in ax.get_position(original=True).bounds], which="original")


_CJK = re.compile(r"^[\u2e80-\u9fff\uf900-\ufaff（）]{1,3}$")


def _upright_short_units(fig) -> None:
    """A y-axis label of one to three Chinese characters (家, 个, 亿元) stands upright: turned on its
    side, as a rotated label is, a lone character reads as a glyph lying down."""
    for ax in fig.get_axes():
        label = ax.yaxis.label
        if _CJK.match(label.get_text()):
            label.set_rotation(0)
            label.set_verticalalignment("center")
            label.set_horizontalalignment("right")
            ax.yaxis.labelpad = max(ax.yaxis.labelpad, 8.0)  # apart from the tick labels beside it


def save_figure(fig, stem: str | Path, *, formats: tuple[str, ...] = FORMATS, dpi: int = DPI, close: bool = False) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.svg``; return the paths in ``formats`` order.

    The figure is laid out once for all formats (see :func:`_lay_out_once`). Files carry no creation
    date, so the same figure gives the same bytes. Inside :func:`stamped`, the figure carries the
    scenario name and replication count in its corner. Save inside
    :func:`~simulation.plots.fonts.plot_style` (tick labels take their font when drawn).
    ``close`` releases a figure made with pyplot.
    """
    stem = Path(stem)
    _stamp(fig)
    _upright_short_units(fig)
    paths = []
    engine = fig.get_layout_engine()
    try:
        if engine is not None:
            _lay_out_once(fig, dpi)
        for fmt in formats:
            path = stem.with_name(f"{stem.name}.{fmt}")
            metadata = {"Date": None} if fmt == "svg" else ({"Software": None} if fmt == "png" else None)
            with atomic_path(path) as tmp:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
            paths.append(path)
    finally:
        if engine is not None:
            fig.set_layout_engine(engine)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return paths
