"""Global sensitivity analysis with SALib: Sobol' (Saltelli sampling) and Morris elementary effects.

The SALib sample becomes a design that runs through the sweep machinery (same executors, store,
seeds and resumability); each output is then read per design point and analysed::

    from simulation import sensitivity
    res = sensitivity("scenarios/sweeps/zhenhai_sobol.yaml", "results/sobol", workers=2)
    res.indices   # output, factor, [factor_2,] index, value, conf

Outputs are written as strings in the spec:

- ``INDICATOR@YEAR``: the indicator in that year, averaged over replications;
- ``attainment:TARGET@YEAR``: the share of replications meeting that target (p_met);
- ``measure:TARGET@YEAR``: the target's own measure (level, cumulative sum or 年均增速),
  averaged over replications.

References: Saltelli et al. (2010), Comput. Phys. Commun. 181:259 (sampling and estimators);
Morris (1991), Technometrics 33:161; Campolongo, Cariboni & Saltelli (2007), Environ. Model.
Softw. 22:1509 (μ*).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..io import write_csv
from .executors import Executor
from .spec import SensitivitySpec, scale_to_factors, spec_hash  # noqa: F401  (spec_hash: API)
from .store import Store
from .sweep import IshigamiModel, SweepResult, _resolve, build_model, run_design

INDEX_COLUMNS = ["output", "factor", "factor_2", "index", "value", "conf"]
_OUTPUT = re.compile(r"^(?:(?P<kind>attainment|measure):(?P<target>.+)|(?P<indicator>[A-Za-z0-9_]+))@(?P<year>-?\d+)$")


@dataclass(frozen=True)
class Output:
    """One analysed output, parsed from its spec string."""

    text: str
    kind: str  # "indicator", "attainment" or "measure"
    name: str  # indicator name or target name
    year: int


@dataclass
class SensitivityResult:
    """Indices (long table), the per-point outputs, and the underlying sweep store."""

    spec: SensitivitySpec
    indices: pd.DataFrame
    outputs: pd.DataFrame
    sweep: SweepResult

    def summary(self) -> str:
        return f"{self.spec.method} indices for {len(self.spec.outputs)} output(s); {self.sweep.summary()}"


def parse_outputs(spec: SensitivitySpec, model, file: str = "<spec>") -> list[Output]:
    """Parse and check the spec's output strings against the model's indicators and targets."""
    from ..indicators import INDICATORS

    parsed = []
    targets = {} if model.base is None else {(t.name, t.year): t for t in model.base.targets if t.modelled}
    known = {"y"} if isinstance(model, IshigamiModel) else set(INDICATORS)
    for i, text in enumerate(spec.outputs):
        m = _OUTPUT.match(text.strip())
        if not m:
            raise InputError("write INDICATOR@YEAR, attainment:TARGET@YEAR or measure:TARGET@YEAR",
                             file=file, field=f"outputs.{i}")
        year = int(m["year"])
        if model.base is not None and not model.base.base_year <= year <= model.base.end_year:
            raise InputError(f"year {year} is outside the run {model.base.base_year}-{model.base.end_year}",
                             file=file, field=f"outputs.{i}")
        if m["indicator"]:
            if m["indicator"] not in known:
                from ..errors import nearest

                raise InputError(f"unknown indicator {m['indicator']!r}{nearest(m['indicator'], known)}",
                                 file=file, field=f"outputs.{i}")
            parsed.append(Output(text, "indicator", m["indicator"], year))
        else:
            if (m["target"], year) not in targets:
                from ..errors import nearest

                hint = nearest(f"{m['target']}@{year}", [f"{n}@{y}" for n, y in targets])
                raise InputError(f"no modelled target {m['target']!r} in {year} in the base scenario{hint}",
                                 file=file, field=f"outputs.{i}")
            parsed.append(Output(text, m["kind"], m["target"], year))
    return parsed


def sample(spec: SensitivitySpec) -> pd.DataFrame:
    """The SALib sample as a design (``point`` then one column per factor)."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    problem = _problem(spec)
    rng = np.random.default_rng(np.random.SeedSequence(spec.seed))
    if spec.method == "sobol":
        x = sobol_sample.sample(problem, spec.n, calc_second_order=spec.second_order, scramble=True, seed=rng)
    else:
        x = morris_sample.sample(problem, spec.n, num_levels=spec.levels, seed=rng)
    return scale_to_factors(x, spec.factors)


def sensitivity(spec: str | Path | SensitivitySpec, out: str | Path, *, executor: Executor | None = None,
                workers: int | None = None, dask_local: int | None = None, scheduler: str | None = None,
                progress: bool = False, base: str | Path | None = None, overwrite: bool = False) -> SensitivityResult:
    """Run (or resume; ``overwrite``: start over) the sensitivity analysis ``spec`` into ``out``; write ``indices.csv``.

    Parameters are as for :func:`simulation.experiments.sweep.sweep`. Returns the indices as a
    long table: ``output, factor, factor_2, index, value, conf`` where ``index`` is S1, ST, S2
    (Sobol') or mu, mu_star, sigma (Morris; ``conf`` is μ*'s).
    """
    spec, base_path, file = _resolve(spec, SensitivitySpec, base)
    model, digest = build_model(spec, base_path, file)
    outputs = parse_outputs(spec, model, file)
    design = sample(spec)
    keep = sorted({o.name for o in outputs if o.kind == "indicator"})
    found: dict[str, pd.DataFrame] = {}

    def indices_of(store: Store) -> None:
        y = output_table(store, outputs, len(design))
        units = output_units(outputs, model)
        indices = analyse(spec, design, y)
        indices["unit"] = indices["output"].map(lambda o: units[o][0])
        indices["basis"] = indices["output"].map(lambda o: units[o][1])
        write_csv(Path(out) / "indices.csv", indices)
        write_csv(Path(out) / "outputs.csv", y.reset_index())
        found.update(indices=indices, y=y)

    result = run_design(spec, model, digest, design, out, executor=executor, workers=workers, dask_local=dask_local,
                        scheduler=scheduler, progress=progress, kind=f"sensitivity-{spec.method}",
                        outputs=keep, targets=frozenset((o.name, o.year) for o in outputs if o.kind != "indicator"),
                        file=file, analyse=indices_of, overwrite=overwrite)
    return SensitivityResult(spec, found["indices"], found["y"], result)


def output_units(outputs: list[Output], model) -> dict[str, tuple[str, str]]:
    """Each output's unit and, for money, the prices it is at (``current`` or ``constant``; else
    ""): an indicator at the model's constant prices, a target's measure on the target's basis
    (as the target table judges it), an attainment a probability."""
    from ..indicators import INDICATORS, is_money
    from ..targets import price_basis

    targets = {} if model.base is None else {(t.name, t.year): t for t in model.base.targets if t.modelled}
    units = {}
    for o in outputs:
        if o.kind == "attainment":
            units[o.text] = ("probability", "")
        elif o.kind == "measure":
            t = targets[(o.name, o.year)]
            unit = "%/年" if t.measure == "cagr" else INDICATORS[t.indicator].unit if t.indicator else ""
            units[o.text] = (unit, price_basis(t) if is_money(unit) else "")
        else:
            unit = INDICATORS[o.name].unit if o.name in INDICATORS else ""
            units[o.text] = (unit, "constant" if is_money(unit) else "")
    return units


def output_table(store: Store, outputs: list[Output], points: int) -> pd.DataFrame:
    """One row per design point, one column per output (NaN where every run of a point failed)."""
    table = pd.DataFrame(index=pd.RangeIndex(points, name="point"))
    ind = [o for o in outputs if o.kind == "indicator"]
    if ind:
        frame = store.indicators(sorted({o.name for o in ind}), sorted({o.year for o in ind}))
        means = frame.groupby(["indicator", "year", "point"])["value"].mean().unstack(["indicator", "year"])
        for o in ind:
            table[o.text] = means[(o.name, o.year)] if (o.name, o.year) in means.columns else np.nan
    tgt = [o for o in outputs if o.kind != "indicator"]
    if tgt:
        att = store.attainment().pivot(index="point", columns=["target", "year"], values=["p_met", "mean"])
        for o in tgt:
            key = ("p_met" if o.kind == "attainment" else "mean", o.name, o.year)
            table[o.text] = att[key] if key in att.columns else np.nan
    return table


def analyse(spec: SensitivitySpec, design: pd.DataFrame, y: pd.DataFrame) -> pd.DataFrame:
    """SALib indices of every output column of ``y``, as one long table."""
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze

    problem = _problem(spec)
    names = problem["names"]
    x = design[names].to_numpy(dtype=float)
    rows = []
    for k, column in enumerate(y.columns):
        values = y[column].to_numpy(dtype=float)
        if not np.all(np.isfinite(values)):
            raise InputError(f"output {column!r} is missing at {int((~np.isfinite(values)).sum())} design points "
                             "(failed runs); see failures.parquet", file=str(spec.outputs[k]))
        if spec.method == "sobol":
            si = sobol_analyze.analyze(problem, values, calc_second_order=spec.second_order,
                                       num_resamples=spec.resamples, conf_level=spec.conf_level,
                                       seed=_bootstrap_seed(spec.seed, k))
            rows += _sobol_rows(column, names, si, spec.second_order)
        else:
            si = morris_analyze.analyze(problem, x, values, num_resamples=spec.resamples, conf_level=spec.conf_level,
                                        num_levels=spec.levels, seed=np.random.default_rng(_bootstrap_seed(spec.seed, k)))
            for j, name in enumerate(names):
                rows += [(column, name, None, "mu", si["mu"][j], np.nan),
                         (column, name, None, "mu_star", si["mu_star"][j], si["mu_star_conf"][j]),
                         (column, name, None, "sigma", si["sigma"][j], np.nan)]
    return pd.DataFrame(rows, columns=INDEX_COLUMNS)


def _sobol_rows(column: str, names: list[str], si: dict, second: bool) -> list[tuple]:
    rows: list[tuple] = []
    for j, name in enumerate(names):
        rows.append((column, name, None, "S1", si["S1"][j], si["S1_conf"][j]))
        rows.append((column, name, None, "ST", si["ST"][j], si["ST_conf"][j]))
    if second:
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                rows.append((column, names[i], names[j], "S2", si["S2"][i, j], si["S2_conf"][i, j]))
    return rows


def _problem(spec: SensitivitySpec) -> dict:
    return {"num_vars": len(spec.factors), "names": [f.label for f in spec.factors],
            "bounds": [list(f.bounds) for f in spec.factors]}


def _bootstrap_seed(root: int, output: int) -> int:
    """A non-zero integer seed per output: SALib's Sobol' analysis ignores a seed of 0 (``if seed:``)."""
    return int(np.random.SeedSequence([root, output]).generate_state(1)[0]) | 1
