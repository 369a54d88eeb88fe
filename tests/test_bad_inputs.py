"""A corpus of bad inputs: each is refused before any work, with one line naming the file or field,
exit code 2, no traceback, and nothing written.

Every case builds its files in a fresh folder and returns the command line, a text the error
must contain (the field or file it names) and the paths that must not exist afterwards.
"""

from __future__ import annotations

import copy
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from simulation.cli import main

from .conftest import ROOT, ZHENHAI

RAW = yaml.safe_load(ZHENHAI.read_text(encoding="utf-8"))
SWEEP = yaml.safe_load((ROOT / "scenarios" / "sweeps" / "zhenhai_levers.yaml").read_text(encoding="utf-8"))
CALIBRATION = yaml.safe_load((ROOT / "calibration" / "zhenhai.yaml").read_text(encoding="utf-8"))


@dataclass
class Case:
    name: str
    build: Callable[[Path], tuple[list[str], str]]  # folder → (command line, text the error names)


def _scenario(tmp: Path, change: Callable[[dict], None] | None = None, name: str = "s.yaml") -> Path:
    data = copy.deepcopy(RAW)
    if change is not None:
        change(data)
    path = tmp / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _set(path: str, value) -> Callable[[dict], None]:
    """A change setting a dotted path (a cited quantity's value when the node is one)."""
    def change(data: dict) -> None:
        *parents, leaf = path.split(".")
        node = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        key = int(leaf) if isinstance(node, list) else leaf
        if isinstance(node[key], dict) and "value" in node[key]:
            node[key]["value"] = value
        else:
            node[key] = value
    return change


def _run(path: Path, tmp: Path, *extra: str) -> list[str]:
    return ["run", str(path), "-r", "1", "-q", "--no-plots", "-o", str(tmp / "out"), *extra]


def scenario_value(path: str, value, names: str) -> Case:
    """A scenario with one bad value: refused by `run` (and so before any replication)."""
    return Case(f"{path}={value!r}"[:60], lambda tmp: (_run(_scenario(tmp, _set(path, value)), tmp), names))


def _text(tmp: Path, text: str, name: str = "s.yaml") -> Path:
    path = tmp / name
    path.write_text(text, encoding="utf-8")
    return path


def _variant(tmp: Path, body: str) -> Path:
    _scenario(tmp, name="parent.yaml")
    return _text(tmp, "extends: parent.yaml\nname: variant\n" + body, "variant.yaml")


def _alias_bomb(tmp: Path) -> tuple[list[str], str]:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    return _run(_text(tmp, "\n".join(lines) + "\n"), tmp), "nested YAML aliases"


def _many_targets_by_alias(tmp: Path) -> tuple[list[str], str]:
    text = _scenario(tmp).read_text(encoding="utf-8").replace("\ntargets:\n", "\nunused_targets:\n")
    one = ("t: &t {name: x, indicator: tax_per_mu, year: 2025, value: 1, source: abc}\n")
    return _run(_text(tmp, one + text + "targets: [" + ", ".join(["*t"] * 100_000) + "]\n"), tmp), "aliases"


def _deep(tmp: Path) -> tuple[list[str], str]:
    return _run(_text(tmp, "notes: " + "[" * 1500 + "]" * 1500 + "\n"), tmp), "nested"


def _deep_mapping(tmp: Path) -> tuple[list[str], str]:
    body = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n"
    return _run(_text(tmp, body), tmp), "nested more than"


def _long_chain(tmp: Path) -> tuple[list[str], str]:
    _scenario(tmp, name="c1500.yaml")
    for i in range(1, 1500):
        _text(tmp, f"extends: c{i + 1}.yaml\n", f"c{i}.yaml")
    return _run(tmp / "c1.yaml", tmp), "longer than"


def _loop(tmp: Path) -> tuple[list[str], str]:
    _text(tmp, "extends: b.yaml\n", "a.yaml")
    _text(tmp, "extends: a.yaml\n", "b.yaml")
    return _run(tmp / "a.yaml", tmp), "loops back"


def _symlink_loop(tmp: Path) -> tuple[list[str], str]:
    os.symlink(tmp / "s.yaml", tmp / "s.yaml")
    return _run(tmp / "s.yaml", tmp), "s.yaml"


def _extends_symlink_loop(tmp: Path) -> tuple[list[str], str]:
    os.symlink(tmp / "p.yaml", tmp / "p.yaml")
    return _run(_text(tmp, "extends: p.yaml\n"), tmp), "extends"


def _big_file(tmp: Path) -> tuple[list[str], str]:
    path = _scenario(tmp)
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(("# " + "x" * 98 + "\n") * 60_000)  # 6 MB of comments
    return _run(path, tmp), "limited to 5 MB"


def _not_utf8(tmp: Path) -> tuple[list[str], str]:
    path = tmp / "s.yaml"
    path.write_bytes("name: 镇海\n".encode("gb18030"))
    return _run(path, tmp), "UTF-8"


def _sectors(n: int) -> Callable[[dict], None]:
    def change(data: dict) -> None:
        sector = data["population"]["sectors"][0]
        data["population"]["sectors"] = [
            {**sector, "name": f"s{i}", "firm_share": {"value": 1 / n, "assume": "evenly split"}} for i in range(n)]
    return change


def _sweep(tmp: Path, change: dict | Callable[[dict], None], command: str = "sweep") -> tuple[Path, list[str]]:
    spec = copy.deepcopy(SWEEP)
    spec["scenario"] = str(ZHENHAI)
    if callable(change):
        change(spec)
    else:
        spec.update(change)
    path = _text(tmp, yaml.safe_dump(spec, allow_unicode=True), "spec.yaml")
    return path, [command, str(path), "-o", str(tmp / "out"), "-w", "1", "-q"]


def _sweep_case(name: str, change, names: str, command: str = "sweep") -> Case:
    return Case(name, lambda tmp: (_sweep(tmp, change, command)[1], names))


def _long_number(tmp: Path) -> tuple[list[str], str]:
    path, args = _sweep(tmp, {})
    _text(tmp, path.read_text(encoding="utf-8") + "chunk: " + "9" * 5000 + "\n", "spec.yaml")
    return args, "number too long"


def _sobol(tmp: Path) -> tuple[list[str], str]:
    spec = {"scenario": str(ZHENHAI), "method": "sobol", "n": 2 ** 30, "outputs": ["tax_per_mu@2025"],
            "factors": [{"path": "levers.xiaoshenggui.incentive", "range": [0, 1]}]}
    path = _text(tmp, yaml.safe_dump(spec), "spec.yaml")
    return ["sensitivity", str(path), "-o", str(tmp / "out"), "-w", "1", "-q"], "design points would need about"


def _calibration(tmp: Path, change: dict) -> list[str]:
    spec = {**copy.deepcopy(CALIBRATION), "scenario": str(ZHENHAI),
            "data": str(ROOT / "calibration" / "data" / "zhenhai.csv"), **change}
    path = _text(tmp, yaml.safe_dump(spec, allow_unicode=True), "cal.yaml")
    return ["calibrate", str(path), "-o", str(tmp / "out"), "-q", "-w", "1", "--no-plots"]


def _calibrate_parameters_folder(tmp: Path) -> tuple[list[str], str]:
    (tmp / "folder").mkdir()
    return _calibration(tmp, {}) + ["--parameters", str(tmp / "folder")], "--parameters"


def _whole_run(folder: Path, scenario: str = "s") -> Path:
    """A run folder with every file a run writes (one row each): what the damages below start from."""
    folder.mkdir()
    pd.DataFrame({"replication": [0], "year": [2021], "indicator": ["x"], "value": [1.0]}).to_parquet(
        folder / "indicators.parquet")
    pd.DataFrame({"replication": [0], "year": [2021], "source": ["规下"], "target": ["规上"], "count": [1]}).to_parquet(
        folder / "flows.parquet")
    pd.DataFrame([{"indicator": "x", "year": 2021, "op": ">=", "target": 1.0, "p_met": 1.0, "median": 1.0,
                   "p10": 1.0, "p90": 1.0, "modelled": True}]).to_csv(folder / "targets.csv", index=False)
    (folder / "manifest.json").write_text(json.dumps({"kind": "run", "scenario": scenario, "seed": 0, "replications": 1}))
    (folder / "scenario.yaml").write_text(ZHENHAI.read_text(encoding="utf-8"), encoding="utf-8")
    return folder


def _run_folder(tmp: Path, damage: Callable[[Path], object], command: str = "report",
                names: str = "damaged results folder") -> tuple[list[str], str]:
    folder = _whole_run(tmp / "done")
    damage(folder)
    return [command, str(folder)], names


def _rename_column(folder: Path) -> None:
    table = pd.read_parquet(folder / "indicators.parquet").rename(columns={"indicator": "name"})
    table.to_parquet(folder / "indicators.parquet")


def _export(tmp: Path, into: Callable[[Path, Path], Path], names: str, command: str = "excel") -> tuple[list[str], str]:
    """``excel`` (or ``discover``) of a finished folder into the output folder ``into(tmp, folder)`` names."""
    if command == "excel":
        folder = _whole_run(tmp / "done")
        args = ["excel", str(folder)]
    else:
        args = _discover(tmp, "tax_per_mu@2025")[:-2]  # less its -o
        folder = Path(args[1])
    return [*args, "-o", str(into(tmp, folder))], names


def _another_run(tmp: Path, folder: Path) -> Path:
    return _whole_run(tmp / "other", scenario="other")


def _a_file(tmp: Path) -> Path:
    (tmp / "notes.txt").write_text("keep me")
    return tmp / "notes.txt"


def _under_a_file(tmp: Path, folder: Path) -> Path:
    return _a_file(tmp) / "excel"


def _unfinished(tmp: Path) -> tuple[list[str], str]:
    args = _discover(tmp, "tax_per_mu@2025")
    manifest = json.loads((tmp / "store" / "manifest.json").read_text())
    (tmp / "store" / "manifest.json").write_text(json.dumps({**manifest, "status": "running"}))
    return ["excel", args[1], "-o", str(tmp / "xl")], "unfinished sweep"


def _target_of(indicator: str) -> int:
    """The index of the shipped Zhenhai scenario's first target on ``indicator``."""
    return next(i for i, t in enumerate(RAW["targets"]) if t.get("indicator") == indicator)


def _data(tmp: Path, change: Callable[[pd.DataFrame], object]) -> list[str]:
    """A calibration whose data file is the shipped Zhenhai one, changed."""
    table = pd.read_csv(ROOT / "calibration" / "data" / "zhenhai.csv", dtype=str, keep_default_na=False)
    change(table)
    table.to_csv(tmp / "data.csv", index=False)
    return _calibration(tmp, {"data": str(tmp / "data.csv")})


def _observed(table: pd.DataFrame, column: str, value: str) -> None:
    """``value`` in ``column`` of the row of 规上 value added in 2024 (an observed moment)."""
    row = (table["indicator"] == "value_added_above_scale") & (table["year"] == "2024")
    table.loc[row, column] = value


def _truncate(folder: Path) -> None:
    data = (folder / "indicators.parquet").read_bytes()
    (folder / "indicators.parquet").write_bytes(data[: len(data) // 2])


def _no_seed(folder: Path) -> None:
    (folder / "manifest.json").write_text(json.dumps({"kind": "run", "scenario": "s", "replications": 1}))


def _broken_scenario(folder: Path) -> None:
    (folder / "scenario.yaml").write_text("name: [unclosed\n", encoding="utf-8")


def _discover(tmp: Path, target: str) -> list[str]:
    store = tmp / "store"
    store.mkdir()
    (store / "manifest.json").write_text(json.dumps(
        {"kind": "sweep", "spec_hash": "h", "seed": 0, "points": 2, "replications": 1}))
    pd.DataFrame({"point": [0, 1], "x": [0.0, 1.0]}).to_parquet(store / "design.parquet")
    pd.DataFrame({"point": [0, 1], "target": ["规上工业亩均税收"] * 2, "indicator": ["tax_per_mu"] * 2,
                  "year": [2025, 2025], "p_met": [0.1, 0.9], "median": [1.0, 2.0], "p10": [0.5, 1.0],
                  "p90": [2.0, 3.0], "mean": [1.0, 2.0], "n": [1, 1]}).to_parquet(store / "attainment.parquet")
    return ["discover", str(store), "-t", target, "--no-plots", "-o", str(tmp / "out")]


def _occupied(tmp: Path) -> tuple[list[str], str]:
    out = tmp / "out"
    out.mkdir()
    (out / "manifest.json").write_text(json.dumps({"kind": "run", "scenario": "other", "seed": 0, "replications": 1}))
    (out / "figures").mkdir()
    (out / "figures" / "fan_other.png").write_bytes(b"png")
    return _run(ZHENHAI, tmp), "--overwrite"


CASES = [
    # strict, finite numbers
    scenario_value("targets.0.value", float("nan"), "targets.0.value"),
    scenario_value("targets.0.value", float("inf"), "targets.0.value"),
    scenario_value("targets.0.value", True, "targets.0.value"),
    scenario_value("targets.0.value", "80", "targets.0.value"),
    scenario_value("targets.0.year", True, "targets.0"),
    scenario_value("population.above_scale.tax_per_mu", float("nan"), "population.above_scale.tax_per_mu"),
    scenario_value("population.above_scale.tax_per_mu", float("-inf"), "population.above_scale.tax_per_mu"),
    scenario_value("population.above_scale.tax_per_mu", True, "population.above_scale.tax_per_mu"),
    scenario_value("levers.energy.cap", {2024: float("nan")}, "levers.energy.cap"),
    scenario_value("population.above_scale.count", 10**400, "population.above_scale.count"),
    scenario_value("targets.0.value", 10**400, "targets.0.value"),
    # values validate used to accept and run crashed on, or turned into NaN/inf
    scenario_value("population.below_scale.revenue_median", 0, "population.below_scale.revenue_median"),
    scenario_value("parameters.entry.revenue_median", 0, "parameters.entry.revenue_median"),
    scenario_value("parameters.projects.investment_per_mu", 0, "parameters.projects.investment_per_mu"),
    scenario_value("population.above_scale.count", 1e308, "population.above_scale.count"),
    scenario_value("population.below_scale.count", 1e308, "population.below_scale.count"),
    scenario_value("parameters.exit.d_grade_multiplier", 1e308, "parameters.exit.d_grade_multiplier"),
    scenario_value("parameters.certification.innovative_sme.min_revenue", 1e308, "min_revenue"),
    scenario_value("population.above_scale.output", 1, "population.above_scale.output"),
    scenario_value("population.above_scale.count", 0, "population.above_scale.count"),
    scenario_value("population.below_scale.count", 0, "population.below_scale.count"),
    scenario_value("population.above_scale.land", 0, "population.above_scale.land"),
    scenario_value("parameters.statistics.above_scale_threshold", 0, "parameters.statistics.above_scale_threshold"),
    scenario_value("population.below_scale.revenue_per_employee", 0, "population.below_scale.revenue_per_employee"),
    scenario_value("population.below_scale.revenue_sigma", 0, "population.below_scale.revenue_sigma"),
    scenario_value("population.below_scale.energy_intensity", 0, "population.below_scale.energy_intensity"),
    scenario_value("population.rd_intensity_median", 0, "population.rd_intensity_median"),
    # sizes that hang or exhaust memory
    scenario_value("levers.attraction.projects_per_year", 1_000_000, "levers.attraction.projects_per_year"),
    scenario_value("levers.scattered_weak.firms_per_year", 10**7, "levers.scattered_weak.firms_per_year"),
    Case("20,000 sectors", lambda tmp: (_run(_scenario(tmp, _sectors(20_000)), tmp), "values")),
    Case("2,000 sectors", lambda tmp: (_run(_scenario(tmp, _sectors(2_000)), tmp), "population.sectors")),
    Case("1e5 targets by aliases", _many_targets_by_alias),
    Case("alias bomb", _alias_bomb),
    Case("1,500-deep list", _deep),
    Case("200-deep mapping", _deep_mapping),
    Case("1,500-file extends chain", _long_chain),
    Case("6 MB file", _big_file),
    # malformed files
    Case("unhashable list key", lambda tmp: (_run(_text(tmp, "? [a, b]\n: 1\n"), tmp), "key must be a plain")),
    Case("unhashable mapping key", lambda tmp: (_run(_text(tmp, "{a: 1}: x\n"), tmp), "key must be a plain")),
    Case("repeated key", lambda tmp: (_run(_text(tmp, "name: a\nname: b\n"), tmp), "given twice")),
    Case("not UTF-8", _not_utf8),
    Case("a folder", lambda tmp: (_run(tmp, tmp), "is a folder")),
    Case("a device", lambda tmp: (_run(Path("/dev/zero"), tmp), "not a regular file")),
    Case("extends loop", _loop),
    Case("symlink loop", _symlink_loop),
    Case("extends a symlink loop", _extends_symlink_loop),
    # files outside the project
    Case("extends /etc/passwd", lambda tmp: (_run(_text(tmp, "extends: /etc/passwd\n"), tmp), "outside the project")),
    Case("extends /proc/self/environ",
         lambda tmp: (_run(_text(tmp, "extends: /proc/self/environ\n"), tmp), "outside the project")),
    Case("extends ../../etc/shadow",
         lambda tmp: (_run(_text(tmp, "extends: " + "../" * 12 + "etc/shadow\n"), tmp), "outside the project")),
    scenario_value("region_en", "../../../../etc/passwd", "region_en"),
    scenario_value("region_en", "/proc/self/environ", "region_en"),
    # variant rules
    Case("variant re-adds an inherited target", lambda tmp: (_run(_variant(tmp, "targets:\n  - " + json.dumps(
        RAW["targets"][0], ensure_ascii=False) + "\n"), tmp), "already inherited")),
    Case("variant drops an unknown target",
         lambda tmp: (_run(_variant(tmp, "targets: {drop: [规上工业亩均税收@2031]}\n"), tmp), "targets.drop.0")),
    Case("variant targets with an unknown key",
         lambda tmp: (_run(_variant(tmp, "targets: {remove: [x]}\n"), tmp), "targets.remove")),
    Case("variant value without citation", lambda tmp: (_run(_variant(
        tmp, "levers:\n  energy:\n    cap: {value: {2024: 960}}\n"), tmp), "levers.energy.cap")),
    Case("add: in a scenario without extends",
         lambda tmp: (_run(_scenario(tmp, _set("targets", {"add": []})), tmp), "targets")),
    Case("unknown indicator", lambda tmp: (_run(_scenario(tmp, _set("targets.0.indicator", "value_added_rat")), tmp),
                                           "value_added_rate")),
    # targets no run could meet (or miss)
    scenario_value(f"targets.{_target_of('value_added_rate')}.value", 250, f"targets.{_target_of('value_added_rate')}.value"),
    scenario_value(f"targets.{_target_of('single_champions')}.value", -5, "at least 0 家"),
    scenario_value(f"targets.{_target_of('value_added_per_mu')}.value", -120, "at least -100 %"),  # a cagr
    scenario_value("levers.remediation.firms_per_year", "3e4", "write 30000"),  # text to YAML 1.1
    Case("a bare number for a cited quantity", lambda tmp: (_run(_scenario(
        tmp, lambda d: d["levers"]["remediation"].update(firms_per_year=138)), tmp), "must be a cited quantity")),
    Case("run --until 2300", lambda tmp: (_run(ZHENHAI, tmp, "--until", "2300"), "--until: 2300 is after 2100")),
    Case("explain a number that is no lever", lambda tmp: (
        ["explain", str(ZHENHAI), "--lever", "base_year", "--to", "2019", "-r", "2", "-q", "--no-plots",
         "-o", str(tmp / "out")], "--lever")),
    Case("targets --csv under a file", lambda tmp: (["targets", str(ZHENHAI), "--csv", str(_a_file(tmp) / "t.csv")],
                                                    "--csv")),
    # command-line sizes and folders
    Case("run -r 10^9", lambda tmp: (_run(ZHENHAI, tmp, "-r", "1000000000"), "TB of memory")),
    Case("compare -r 10^9", lambda tmp: (
        ["compare", str(ZHENHAI), str(ZHENHAI), "-r", "1000000000", "-q", "-o", str(tmp / "out")], "--replications")),
    Case("run -o ''", lambda tmp: (["run", str(ZHENHAI), "-r", "1", "-o", ""], "--out")),
    Case("run into another run", _occupied),
    Case("compare -o ''", lambda tmp: (["compare", str(ZHENHAI), str(ZHENHAI), "-r", "1", "-o", ""], "--out")),
    Case("sweep -o ''", lambda tmp: (_sweep(tmp, {})[1][:2] + ["-o", ""], "--out")),
    Case("calibrate -o ''", lambda tmp: (_calibration(tmp, {})[:2] + ["-o", ""], "--out")),
    Case("discover -o ''", lambda tmp: (_discover(tmp, "tax_per_mu@2025")[:-2] + ["-o", ""], "--out")),
    # specs
    _sweep_case("points: 1e9", {"points": 1_000_000_000}, "design points"),
    _sweep_case("a 10^10 grid", lambda s: (s.pop("points"), s.update(design="grid"),
                                           [f.update(levels=100) for f in s["factors"]]), "design points"),
    _sweep_case("replications: true", {"replications": True}, "replications"),
    _sweep_case("points: 10^400", {"points": 10**400}, "points"),
    Case("chunk of 5000 digits", _long_number),
    _sweep_case("range with NaN", lambda s: s["factors"][0].update(range=[0, float("nan")]), "factors.0"),
    _sweep_case("scenario: /etc/passwd", {"scenario": "/etc/passwd"}, "outside the project"),
    _sweep_case("unknown output", {"outputs": ["tax_per_m"]}, "tax_per_mu"),
    _sweep_case("output with a year", {"outputs": ["tax_per_mu@2031"]}, "recorded for every year: write 'tax_per_mu'"),
    _sweep_case("unknown factor path", lambda s: s["factors"][0].update(path="levers.remediation.firms_per_yr"),
                "firms_per_year"),
    _sweep_case("typo in set:", {"set": {"levers.remediation.firms_per_yeer": 80}},
                "spec.yaml (set:): levers.remediation.firms_per_yeer"),  # the spec's file, not the scenario's
    Case("Sobol' N = 2^30", _sobol),
    _sweep_case("sensitivity resamples: 10^9", lambda s: (
        s.clear(), s.update(scenario=str(ZHENHAI), method="morris", n=4, outputs=["tax_per_mu@2025"], resamples=10**9,
                            factors=[{"path": "levers.xiaoshenggui.incentive", "range": [0, 1]}])), "resamples",
        command="sensitivity"),
    Case("calibration ABC batch 10^9", lambda tmp: (_calibration(tmp, {"method": "abc", "abc": {"batch": 10**9}}),
                                                    "abc.batch")),
    Case("calibration data: /etc/passwd", lambda tmp: (_calibration(tmp, {"data": "/etc/passwd"}), "data")),
    Case("calibration scenario: /etc/shadow", lambda tmp: (_calibration(tmp, {"scenario": "/etc/shadow"}), "scenario")),
    Case("calibration replications 10^9", lambda tmp: (_calibration(tmp, {"replications": 10**9}), "replications")),
    Case("calibrate --parameters a folder", _calibrate_parameters_folder),
    Case("calibration parameter path unknown", lambda tmp: (_calibration(tmp, {"parameters": [
        {"path": "parameters.growth.above_scale_mea", "bounds": [0, 5]}]}), "parameters.growth.above_scale_mean")),
    Case("a path fitted whole and by year", lambda tmp: (_calibration(tmp, {"parameters": [
        {**CALIBRATION["parameters"][0]}, {"name": "whole", "path": CALIBRATION["parameters"][0]["path"], "bounds": [0, 5]}]}),
        "fitted twice")),
    Case("data: a fractional year", lambda tmp: (_data(tmp, lambda t: _observed(t, "year", "2024.9")), "not a year")),
    Case("data: a year of 20 digits", lambda tmp: (_data(tmp, lambda t: _observed(t, "year", "9" * 20)), "not a year")),
    Case("data: an empty value", lambda tmp: (_data(tmp, lambda t: _observed(t, "value", "")), "value: is empty")),
    Case("data: negative value added", lambda tmp: (_data(tmp, lambda t: _observed(t, "value", "-500")),
                                                    "outside what it can take")),
    _sweep_case("factors that break a rule together", {"factors": [
        {"path": "parameters.grading.share_a", "range": [0.05, 0.18]},
        {"path": "parameters.grading.share_b", "range": [0.30, 0.42]}], "points": 16}, "exceeds 1"),
    _sweep_case("integer factor without a whole number", lambda s: s["factors"][0].update(range=[0.2, 0.8], integer=True),
                "holds no whole number"),
    # damaged result folders and references
    Case("truncated parquet", lambda tmp: _run_folder(tmp, _truncate, names="indicators.parquet is truncated")),
    Case("zero-byte parquet", lambda tmp: _run_folder(tmp, lambda f: (f / "indicators.parquet").write_bytes(b""), "plot",
                                                      names="indicators.parquet is truncated")),
    Case("manifest without seed", lambda tmp: _run_folder(tmp, _no_seed, names="manifest.json has no seed")),
    Case("broken scenario.yaml", lambda tmp: _run_folder(tmp, _broken_scenario, names="scenario.yaml does not load")),
    Case("a run without its indicators", lambda tmp: _run_folder(tmp, lambda f: (f / "indicators.parquet").unlink(),
                                                                 "plot", names="indicators.parquet is missing")),
    Case("a renamed column", lambda tmp: _run_folder(tmp, _rename_column, "plot",
                                                     names="indicators.parquet has no column indicator")),
    Case("targets without p_met", lambda tmp: _run_folder(
        tmp, lambda f: pd.read_csv(f / "targets.csv").drop(columns="p_met").to_csv(f / "targets.csv", index=False),
        names="targets.csv has no column p_met")),
    Case("report of an unknown kind", lambda tmp: _run_folder(
        tmp, lambda f: (f / "manifest.json").write_text(json.dumps({"kind": "frobnicate"})), names="unknown result kind")),
    Case("excel into another run", lambda tmp: _export(tmp, _another_run, "holds run (other) results")),
    Case("excel into its own folder", lambda tmp: _export(tmp, lambda tmp, folder: folder, "is the results folder")),
    Case("excel into the folder above", lambda tmp: _export(tmp, lambda tmp, folder: tmp, "holding the results folder")),
    Case("excel under a file", lambda tmp: _export(tmp, _under_a_file, "which is a file")),
    Case("excel of an unfinished sweep", _unfinished),
    Case("discover into a run", lambda tmp: _export(tmp, _another_run, "holds run (other) results", "discover")),
    Case("discover into its store", lambda tmp: _export(tmp, lambda tmp, store: store, "is the results folder",
                                                        "discover")),
    Case("discover --threshold nan", lambda tmp: (_discover(tmp, "tax_per_mu@2025") + ["--threshold", "nan"],
                                                  "'nan' is not a number")),
    Case("discover unknown target", lambda tmp: (_discover(tmp, "tax_per_m@2025"), "tax_per_mu@2025")),
    Case("discover malformed target", lambda tmp: (_discover(tmp, "tax_per_mu"), "NAME@YEAR")),
    Case("levers of a missing file", lambda tmp: (["levers", str(tmp / "none.yaml")], "not found")),
    Case("schema -o a folder", lambda tmp: (["schema", "-o", str(tmp)], "is a folder")),
    # a file of another kind
    Case("run a sweep spec", lambda tmp: (_run(_sweep(tmp, {})[0], tmp), "is a sweep or sensitivity spec, not a scenario")),
    Case("sweep a scenario", lambda tmp: (["sweep", str(ZHENHAI), "-o", str(tmp / "out")], "is a scenario, not a sweep")),
    Case("calibrate a sweep spec", lambda tmp: (["calibrate", str(_sweep(tmp, {})[0]), "-o", str(tmp / "out")],
                                                "give it to upgrade-sim sweep or sensitivity")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_refused_cleanly(case: Case, tmp_path: Path):
    args, names = case.build(tmp_path)
    before = _listing(tmp_path)
    result = CliRunner().invoke(main, args)
    assert isinstance(result.exception, SystemExit), result.exception  # not an uncaught exception
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert "Traceback" not in result.output and names in lines[0], lines[0]
    assert not result.stdout.strip(), "the command printed its work before refusing"
    assert _listing(tmp_path) == before, "the command wrote files"


def _listing(folder: Path) -> dict[str, int]:
    return {str(p.relative_to(folder)): p.lstat().st_size for p in folder.rglob("*")}


def test_errors_about_foreign_files_do_not_echo_them(tmp_path):
    """A scenario naming a file outside the project learns nothing about its contents."""
    secret = tmp_path / "elsewhere" / "secret.yaml"
    secret.parent.mkdir()
    secret.write_text("password: hunter2\n", encoding="utf-8")
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text("")
    variant = _text(project, f"extends: {secret}\n")
    result = CliRunner().invoke(main, ["validate", str(variant)])
    assert result.exit_code == 2 and "outside the project" in result.stderr and "hunter2" not in result.output
    allowed = CliRunner().invoke(main, ["--allow-path", str(secret.parent), "validate", str(variant)])
    assert allowed.exit_code == 2 and "outside" not in allowed.stderr  # read now: refused for its own content


def test_the_corpus_covers_every_listed_bad_input():
    assert len(CASES) >= 70


def test_an_interrupted_command_exits_with_130(monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("simulation.loader.load_scenario", interrupted)
    result = CliRunner().invoke(main, ["levers", "scenarios/linhai_2023.yaml"])
    assert result.exit_code == 130 and "aborted" in result.output
