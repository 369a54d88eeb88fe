"""Saving figures: PNG for documents and the report, SVG for editing; each file written atomically."""

from __future__ import annotations

from pathlib import Path

from ..io import atomic_path
from .fonts import DPI

FORMATS = ("png", "svg")


def save_figure(fig, stem: str | Path, *, formats: tuple[str, ...] = FORMATS, dpi: int = DPI, close: bool = False) -> list[Path]:
    """Write ``fig`` as ``stem.png`` and ``stem.svg``; return the paths in ``formats`` order.

    Files carry no creation date, so the same figure gives the same bytes. Save inside
    :func:`~simulation.plots.fonts.plot_style` (tick labels take their font when drawn).
    ``close`` releases a figure made with pyplot.
    """
    stem = Path(stem)
    paths = []
    for fmt in formats:
        path = stem.with_name(f"{stem.name}.{fmt}")
        metadata = {"Date": None} if fmt == "svg" else ({"Software": None} if fmt == "png" else None)
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format=fmt, dpi=dpi, metadata=metadata)
        paths.append(path)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return paths
