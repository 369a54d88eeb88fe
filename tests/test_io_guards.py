"""Bad output folders and bad observed data are refused before any work, with one line."""

import json

import pandas as pd
import pytest
from click.testing import CliRunner

from simulation.calibration.spec import read_data
from simulation.cli import _os_error, main
from simulation.errors import InputError
from simulation.io import check_derived_folder, ensure_out_folder

from .conftest import ZHENHAI


def test_an_output_folder_must_be_a_folder_of_the_same_kind(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me")
    with pytest.raises(InputError, match="not a folder"):
        ensure_out_folder(a_file, "run")
    store = tmp_path / "store"
    store.mkdir()
    (store / "manifest.json").write_text(json.dumps({"kind": "sweep", "spec_hash": "abc"}))
    with pytest.raises(InputError, match="holds sweep results"):
        ensure_out_folder(store, "run")
    ensure_out_folder(store, "sweep")  # resuming the same kind is fine
    (store / "manifest.json").write_text(json.dumps({"kind": "calibrate", "fingerprint": "f1"}))
    with pytest.raises(InputError, match="different spec"):
        ensure_out_folder(store, "calibrate", fingerprint="f2")
    ensure_out_folder(tmp_path / "new", "run")  # a folder that does not exist yet


@pytest.mark.slow
def test_run_into_a_sweep_store_is_refused_before_running_and_the_store_is_untouched(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    manifest = json.dumps({"kind": "sweep", "spec_hash": "abc"})
    (store / "manifest.json").write_text(manifest)
    result = CliRunner().invoke(main, ["run", str(ZHENHAI), "-r", "1", "-o", str(store), "-q"])
    assert result.exit_code == 2 and "holds sweep results" in result.stderr
    assert (store / "manifest.json").read_text() == manifest
    into_file = CliRunner().invoke(main, ["run", str(ZHENHAI), "-r", "1", "-o", str(store / "manifest.json"), "-q"])
    assert into_file.exit_code == 2 and "not a folder" in into_file.stderr


ROW = {"region": "r", "year": 2021, "indicator": "value_added_above_scale", "value": 1.0, "unit": "亿元", "source": "s"}


@pytest.mark.parametrize("text, words", [
    ("", "not a readable CSV"),
    ('region,year,indicator,value,unit,source\nr,2021,x,"1,2\n', "not a readable CSV"),
    (pd.DataFrame([{**ROW, "value": "lots"}]).to_csv(index=False), "'lots' is not a number (line 2)"),
    (pd.DataFrame([{**ROW, "year": "twenty"}]).to_csv(index=False), "'twenty' is not a number (line 2)"),
], ids=["empty", "unterminated quote", "text value", "text year"])
def test_unreadable_or_non_numeric_data_is_refused_naming_the_file(tmp_path, text, words):
    data = tmp_path / "obs.csv"
    data.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=words.replace("(", r"\(").replace(")", r"\)")) as err:
        read_data(data, None, spec_file=tmp_path / "spec.yaml")
    assert err.value.file == str(data)


def test_data_in_another_unit_is_refused(tmp_path, zhenhai):
    from simulation.calibration import load_calibration

    from .test_calibration import write_setup

    spec = write_setup(tmp_path, zhenhai)
    data = pd.read_csv(tmp_path / "obs.csv")
    data.loc[data["indicator"] == "value_added_above_scale", "unit"] = "万元"
    data.to_csv(tmp_path / "obs.csv", index=False)
    with pytest.raises(InputError, match="in '万元'; the model's unit is '亿元'") as err:
        load_calibration(spec)
    assert err.value.field == "observed.0.indicator"


def test_a_sensitivity_output_outside_the_run_is_refused_before_running(tmp_path):
    spec = tmp_path / "sens.yaml"
    spec.write_text(f"scenario: {ZHENHAI}\nmethod: morris\nn: 2\noutputs: [tax_per_mu@2030]\n"
                    "factors:\n  - {path: levers.remediation.firms_per_year, range: [30, 90]}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sensitivity", str(spec), "-o", str(tmp_path / "out"), "-w", "1", "-q"])
    assert result.exit_code == 2 and "outputs.0" in result.stderr and "outside the run" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("error, line", [
    (FileNotFoundError("run/indicators.parquet"), "run/indicators.parquet: not found"),  # a library's, path alone
    (FileNotFoundError(2, "No such file or directory", "a.yaml"), "a.yaml: No such file or directory"),
    (PermissionError("out/x"), "out/x: permission denied"),
], ids=["path alone", "errno", "permission"])
def test_an_os_error_is_one_line_with_the_path_and_why(error, line):
    assert _os_error(error) == line


def test_a_folder_to_make_where_a_file_is_is_named_as_a_file(tmp_path):
    (tmp_path / "notes").write_text("keep me")
    with pytest.raises(FileExistsError) as caught:
        (tmp_path / "notes").mkdir(parents=True, exist_ok=True)
    assert _os_error(caught.value) == f"{tmp_path / 'notes'}: is a file, not a folder"


def test_derived_files_go_to_a_folder_of_their_own(tmp_path):
    results = tmp_path / "run"
    results.mkdir()
    (results / "manifest.json").write_text(json.dumps({"kind": "run", "scenario": "a"}))
    other = tmp_path / "other"
    other.mkdir()
    (other / "manifest.json").write_text(json.dumps({"kind": "sweep"}))
    assert check_derived_folder(results / "excel", results) == results / "excel"  # the default place
    assert check_derived_folder(tmp_path / "new" / "xl", results) == tmp_path / "new" / "xl"
    web = tmp_path / "web"  # a manifest.json of something else (a web app's) is not results
    web.mkdir()
    (web / "manifest.json").write_text(json.dumps({"name": "My App"}))
    assert check_derived_folder(web / "data", results) == web / "data"
    for out, words in [(results, "is the results folder"), (tmp_path, "holding the results folder"),
                       (other, "holds sweep results"), (other / "sub", "is inside"), ("", "is empty")]:
        with pytest.raises(InputError, match=words):
            check_derived_folder(out, results)


def test_the_model_code_digest_moves_with_the_model_and_not_with_its_presentation(tmp_path, monkeypatch):
    import simulation.provenance as provenance

    package = tmp_path / "simulation"
    for name in ("model.py", "processes/growth.py", "plots/fan.py", "cli/run.py", "report.py"):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(f"# {name}\n")
    monkeypatch.setattr(provenance, "PACKAGE_DIR", package)
    digest = provenance.model_code.__wrapped__  # uncached: each call reads the sources again
    first = digest()
    for name in ("plots/fan.py", "cli/run.py", "report.py"):
        (package / name).write_text("# drawn another way\n")
    assert digest() == first
    (package / ".#model.py").symlink_to("nobody@host.1234")  # an editor's lock while model.py is edited
    assert digest() == first
    (package / "processes/growth.py").write_text("REFERENCE_AGE = 12\n")
    assert digest() != first
