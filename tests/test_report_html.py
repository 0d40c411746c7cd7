"""The assessment report: a self-contained HTML page whose figure renders in headless Chromium.

The honest check of "the figure renders" is a real browser: the page is opened from disk in
Debian's Chromium (driven by Playwright) with every network request refused, the plotly figure
must draw its SVG with a real size and one trace per option, the disclaimer must be on the page,
and a screenshot is kept in tests/artifacts/. Skipped only where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from hpgsim import DISCLAIMER
from hpgsim.clinic.assess import assess
from hpgsim.labs import example_patient
from hpgsim.report.files import write_files
from hpgsim.report.html import PLOT_ID, assessment_html, assessment_pdf

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


@pytest.fixture(scope="module")
def assessment():
    return assess(example_patient("obese_hyperestrogenic"), n=12)


@pytest.fixture(scope="module")
def page_file(assessment, tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "assessment.html"
    write_files({path: assessment_html(assessment)})
    return path


def test_the_page_is_self_contained_and_holds_every_section(page_file, assessment):
    text = page_file.read_text(encoding="utf-8")
    outside = re.sub(r"<script.*?</script>", "", text, flags=re.DOTALL)
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", outside)  # nothing fetched from a network
    assert "<style>" in text and "Plotly.newPlot" in text and len(text) > 1_000_000  # plotly.js inlined
    for needle in ("labs-table", "options-table", "monitoring-table", "weights-table", f'id="{PLOT_ID}"',
                   assessment.phenotype, assessment.reasons[0].split(":")[0], assessment.top.name):
        assert needle in outside, needle
    assert outside.count(DISCLAIMER) >= 2  # at the top and at the end


def test_the_pdf_export_is_a_pdf(assessment):
    pdf = assessment_pdf(assessment)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium (/usr/bin/chromium) is not installed")
def test_the_report_opens_in_headless_chromium_and_its_figure_renders(page_file, assessment):
    sync_api = pytest.importorskip("playwright.sync_api")
    ARTIFACTS.mkdir(exist_ok=True)
    outside: list[str] = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})

            def refuse_network(route):
                if route.request.url.startswith(("file:", "data:", "blob:", "about:")):
                    route.continue_()
                else:
                    outside.append(route.request.url)
                    route.abort()

            page.route("**/*", refuse_network)
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(page_file.as_uri())
            page.wait_for_selector(f"#{PLOT_ID} .main-svg", timeout=30_000)
            page.wait_for_function(f"document.querySelectorAll('#{PLOT_ID} .scatterlayer .trace').length > 0",
                                   timeout=30_000)
            box = page.locator(f"#{PLOT_ID}").bounding_box()
            assert box is not None and box["width"] > 600 and box["height"] > 600
            n_traces = page.evaluate(f"document.getElementById('{PLOT_ID}').data.length")
            assert n_traces >= 2 * 3 * (len(assessment.protocols) + 1)  # band + median, 3 panels, options + no treatment
            legend = page.evaluate(f"[...document.querySelectorAll('#{PLOT_ID} .legendtext')].map(e => e.textContent)")
            assert any(assessment.top.name in t for t in legend), legend
            body = page.inner_text("body")
            assert DISCLAIMER in body and assessment.phenotype in body
            page.locator(f"#{PLOT_ID}").screenshot(path=str(ARTIFACTS / "assessment_figure.png"))
            page.screenshot(path=str(ARTIFACTS / "assessment_report.png"), full_page=True)
        finally:
            browser.close()
    assert not errors, errors
    assert not outside, outside
    assert (ARTIFACTS / "assessment_figure.png").stat().st_size > 20_000  # a drawn figure, not a blank box


def test_a_failed_write_leaves_no_file_behind(tmp_path):
    good, bad = tmp_path / "a.html", tmp_path / "missing" / "b.json"
    with pytest.raises(OSError):
        write_files({good: "<html></html>", bad: "{}"})
    assert list(tmp_path.iterdir()) == []
