"""The HTML report: self-contained, every section, every figure, every assumption; renders in a browser."""

import base64
import json
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from simulation.cli import main
from simulation.errors import InputError
from simulation.experiments.replicate import run_replications
from simulation.loader import read_yaml
from simulation.report import OPTIONAL_SECTIONS, SECTIONS, assumptions, print_pdf, sources, write_report
from simulation.results import write_run

from .conftest import ZHENHAI

CHROMIUM = Path("/usr/bin/chromium")


class _Collect(HTMLParser):
    """Tags with their attributes, section ids, and table rows of the target table."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.sections: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "section":
            self.sections.append(attrs.get("id"))

    def handle_data(self, data):
        self.text.append(data)


@pytest.fixture(scope="session")
def report(zhenhai, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "run"
    write_run(run_replications(zhenhai, 5, seed=3), out, scenario_file=str(ZHENHAI))
    result = CliRunner().invoke(main, ["report", str(out), "--workers", "2"])  # figures drawn side by side
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    parser = _Collect()
    parser.feed(html)
    return out, html, parser


def _assumed_paths(node, prefix=""):
    """Dotted paths of every mapping with an ``assume:`` key in raw YAML (targets excluded)."""
    if isinstance(node, dict):
        if "assume" in node:
            yield prefix.rstrip(".")
            return
        for key, value in node.items():
            if not prefix and key == "targets":
                continue
            yield from _assumed_paths(value, f"{prefix}{key}.")
    elif isinstance(node, list):
        for i, item in enumerate(node):
            yield from _assumed_paths(item, f"{prefix}{i}.")


@pytest.mark.slow
def test_every_section_is_present_in_order(report):
    _, _, parser = report
    assert [s for s in parser.sections if s not in OPTIONAL_SECTIONS] == list(SECTIONS)


@pytest.mark.slow
def test_every_figure_is_embedded_and_nothing_is_fetched(report):
    out, html, parser = report
    images = [attrs for tag, attrs in parser.tags if tag == "img"]
    drawn = sorted((out / "figures").glob("*.png"))
    assert len(images) == len(drawn) > 0
    for attrs in images:
        head, data = attrs["src"].split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data)[:8] == b"\x89PNG\r\n\x1a\n"
    embedded = {base64.b64decode(a["src"].split(",", 1)[1]) for a in images}
    assert embedded == {p.read_bytes() for p in drawn}
    for tag, attrs in parser.tags:
        assert tag not in ("script", "link", "iframe")
        for name, value in attrs.items():
            if name in ("src", "href", "srcset", "style", "action", "data"):
                assert not str(value).lower().startswith(("http:", "https:", "//")), (tag, name, value)
    assert "url(" not in html


@pytest.mark.slow
def test_target_table_has_a_row_per_target(report, zhenhai):
    _, html, parser = report
    rows = [attrs for tag, attrs in parser.tags if tag == "tr"]
    themes = [attrs for attrs in rows if attrs.get("class") == "theme"]
    greyed = [attrs for attrs in rows if attrs.get("class") == "off"]
    target_rows = html.split('<section id="targets">')[1].split("</section>")[0].count("<tr") - 1 - len(themes)
    assert target_rows == len(zhenhai.targets)
    assert len(greyed) == sum(not t.modelled for t in zhenhai.targets)


@pytest.mark.slow
def test_assumptions_list_every_assumed_quantity(report, zhenhai):
    _, html, _ = report
    expected = set(_assumed_paths(read_yaml(ZHENHAI)))
    listed = assumptions(zhenhai)
    assert set(listed["path"]) == expected
    assert listed["reason"].str.len().min() >= 3
    section = html.split('<section id="assumptions">')[1].split("</section>")[0]
    assert all(f">{path}<" in section for path in expected)
    # and the cited ones are the rest of the scenario's quantities
    assert not set(sources(zhenhai)["path"]) & expected
    assert (listed.set_index("path").loc["levers.energy.cap", "value"]).startswith("2020: 820")


@pytest.mark.slow
def test_provenance_matches_the_manifest(report):
    out, html, _ = report
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    section = html.split('<section id="provenance">')[1].split("</section>")[0]
    for key in ("scenario_hash", "seed", "replications", "written"):
        assert f">{manifest[key]}<" in section
    assert manifest["versions"]["numpy"] in section


@pytest.mark.slow
def test_english_report(report):
    out, _, _ = report
    write_report(out, lang="en", redraw=False)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "Target attainment" in html and "Assumptions" in html


@pytest.mark.slow
def test_pdf_needs_a_converter(report, monkeypatch):
    out, _, _ = report
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # an import of it fails
    with pytest.raises(InputError, match="chromium"):
        print_pdf(out / "report.html", out / "report.pdf")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
def test_chromium_renders_the_report(report, tmp_path):
    from PIL import Image

    out, _, _ = report
    alone = tmp_path / "alone" / "report.html"  # nothing beside it: the report must carry everything
    alone.parent.mkdir()
    shutil.copy(out / "report.html", alone)
    shot = tmp_path / "shot.png"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2000",
                    alone.as_uri()], check=True, capture_output=True, timeout=120)
    assert shot.stat().st_size > 0
    with Image.open(shot) as image:
        colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours is None or len(colours) > 50  # text, tables and colours, not a blank page


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium (apt-get install chromium)")
def test_report_command_prints_a_pdf(report):
    out, _, _ = report
    result = CliRunner().invoke(main, ["report", str(out), "--pdf", "--no-redraw", "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert (out / "report.pdf").read_bytes()[:5] == b"%PDF-"
