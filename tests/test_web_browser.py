"""The web app in a real browser: headless Debian Chromium driven by Playwright.

Fills the Assess form for a built-in example patient the way a clinician would (values and the
units of his lab report), submits, and finds the phenotype, a rendered plotly plot and the
disclaimer; a screenshot is kept in tests/artifacts/. The page must not reach beyond the app
(plotly.js is served locally). Skipped only where /usr/bin/chromium is absent.
"""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="Debian chromium (/usr/bin/chromium) is not installed")


def _has_assess() -> bool:
    try:
        import hpgsim.clinic.assess  # noqa: F401
    except ImportError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    import uvicorn

    from hpgsim.web.app import create_app

    app = create_app(db_path=tmp_path_factory.mktemp("browser") / "db.sqlite3")
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    t0 = time.time()
    while not srv.started:
        if time.time() - t0 > 30 or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _page(browser, base: str, outside: list[str]):
    page = browser.new_page(viewport={"width": 1280, "height": 900})

    def guard(route):
        if route.request.url.startswith(base):
            route.continue_()
        else:  # the app must work offline: nothing beyond it is fetched
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    return page


def _keep(path: Path) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    kept = ARTIFACTS / path.name
    shutil.copyfile(path, kept)
    print(f"screenshot: {kept}")
    return kept


@pytest.mark.skipif(not _has_assess(), reason="hpgsim.clinic.assess is not installed")
def test_assess_form_for_a_built_in_example_shows_phenotype_plot_and_disclaimer(server, browser, tmp_path):
    from hpgsim import DISCLAIMER

    outside: list[str] = []
    page = _page(browser, server, outside)
    page.goto(f"{server}/assess")
    # the obese_hyperestrogenic example patient, typed in as on his lab report
    page.fill("#patient-id", "browser test")
    page.fill("#age", "36")
    page.fill("#weight", "118")
    page.fill("#height", "178")
    page.check("#fertility")
    for name, value, unit in [("total_testosterone", "234", "ng/dL"), ("free_testosterone", "68", "pg/mL"),
                              ("estradiol", "176", "pmol/L"), ("lh", "3.1", "mIU/mL"), ("fsh", "3.9", "mIU/mL"),
                              ("shbg", "14", "nmol/L"), ("albumin", "4.2", "g/dL"), ("inhibin_b", "120", "pg/mL")]:
        page.fill(f"#lab-{name}-value", value)
        page.select_option(f"#lab-{name}-unit", unit)
    page.fill("#lab-total_testosterone-drawn_at", "08:40")
    page.click("#assess-submit")
    page.wait_for_url("**/assess/result/**", timeout=120_000)
    page.wait_for_selector("#phenotype", timeout=30_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
    assert page.inner_text("#phenotype").strip()
    assert DISCLAIMER in page.inner_text("body")
    shot = tmp_path / "web_assess_result.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    _keep(shot)
    assert not outside, f"requests beyond the app: {outside}"
    page.close()


def test_explore_draws_the_trajectories_and_redraws_on_a_slider(server, browser, tmp_path):
    outside: list[str] = []
    page = _page(browser, server, outside)
    page.goto(f"{server}/explore")
    page.wait_for_selector("#explore-plot .main-svg", timeout=60_000)
    page.wait_for_function("document.getElementById('explore-status').textContent.startsWith('simulated')",
                           timeout=60_000)
    assert "anastrozole" in page.inner_text("#regimen-text")
    # turn Leydig capacity down: the page asks the API again and redraws
    with page.expect_response(lambda r: r.url.endswith("/api/simulate") and r.status == 200, timeout=60_000):
        page.eval_on_selector("#slider-leydig_capacity", "el => { el.value = 0.2; el.dispatchEvent(new Event('input')); }")
    page.wait_for_function("document.getElementById('explore-status').textContent.startsWith('simulated')",
                           timeout=60_000)
    assert "not a medical device" in page.inner_text("#disclaimer")
    shot = tmp_path / "web_explore.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot)
    assert not outside, f"requests beyond the app: {outside}"
    page.close()


def test_explore_shows_the_dose_table_of_a_titrated_agent(server, browser, tmp_path):
    outside: list[str] = []
    page = _page(browser, server, outside)
    page.goto(f"{server}/explore?phenotype=secondary_hypogonadism")
    page.wait_for_function("document.getElementById('explore-status').textContent.startsWith('simulated')",
                           timeout=60_000)
    assert page.is_hidden("#dose-history")  # no treatment: no titration table
    page.fill("#days", "100")
    page.click("#add-agent")
    row = page.locator(".agent").last
    row.locator(".a-drug").select_option("clomiphene")
    row.locator(".a-dose").fill("25")
    row.locator(".a-frequency").select_option("every other day")
    with page.expect_response(lambda r: r.url.endswith("/api/simulate") and r.status == 200, timeout=60_000):
        row.locator(".a-titrate").fill("to total_testosterone 500-600 ng/dL every 6 weeks up to 50 mg")
        row.locator(".a-titrate").dispatch_event("change")
    page.wait_for_selector("#dose-history:not([hidden])", timeout=60_000)
    assert "titrate to total_testosterone 500-600 ng/dL" in page.inner_text("#regimen-text")
    cells = [[c.strip() for c in r.split("\t")] for r in page.inner_text("#dose-history tbody").strip().splitlines()]
    assert [c[0] for c in cells] == ["0", "6", "12"]  # the start and a check every 6 weeks
    assert cells[0][2] == "start" and cells[0][3] == "25 mg every other day"
    assert all(c[1] == "clomiphene" and c[2].startswith("total_testosterone") for c in cells[1:])
    assert all(c[3] in ("25 mg every other day", "50 mg every other day") for c in cells)
    # a bad titration text: the API's one-line message, the titration box marked
    with page.expect_response(lambda r: r.url.endswith("/api/simulate") and r.status == 422, timeout=60_000):
        row.locator(".a-titrate").fill("to total_testosterone 500-600 ng/dL every 6 weeks up to 20 mg")
        row.locator(".a-titrate").dispatch_event("change")
    page.wait_for_selector("#explore-error:not([hidden])", timeout=30_000)
    assert page.inner_text("#explore-error").startswith("agents[0].titrate:")
    assert row.locator(".a-titrate.invalid").count() == 1
    shot = tmp_path / "web_explore_titration.png"
    page.screenshot(path=str(shot), full_page=True)
    _keep(shot)
    assert not outside, f"requests beyond the app: {outside}"
    page.close()
