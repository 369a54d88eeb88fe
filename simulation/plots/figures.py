"""Draw every figure a result folder calls for, saved as PNG and SVG."""

from __future__ import annotations

from pathlib import Path

import matplotlib

from .fan import fan_chart


def draw_run(result, out: str | Path) -> list[Path]:
    """One fan chart per targeted indicator and measure; returns the PNG paths."""
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = Path(out) / "figures"
    out.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple, list] = {}
    for target in result.scenario.targets:
        if target.modelled:
            groups.setdefault((target.indicator, target.measure, target.since), []).append(target)
    paths = []
    for (indicator, measure, since), targets in groups.items():
        fig, ax = plt.subplots(figsize=(6.4, 4.0), layout="constrained")
        fan_chart(result.indicators, targets, indicator, measure=measure, since=since, ax=ax)
        stem = out / f"fan_{indicator}" if measure == "level" else out / f"fan_{indicator}_{measure}"
        for ext in ("png", "svg"):
            fig.savefig(stem.with_suffix(f".{ext}"), dpi=150)
        plt.close(fig)
        paths.append(stem.with_suffix(".png"))
    return paths
