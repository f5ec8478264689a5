"""The HTML report opened in real headless Chromium: sections present, charts drawn."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.evaluation import metrics
from bot.evaluation.rundir import write_run

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # `make test` installs them wherever the machine allows it (root or sudo).
    assert CHROMIUM.exists() and CHROMEDRIVER.exists(), (
        "the browser test needs Debian's chromium and chromium-driver: "
        "sudo apt-get install chromium chromium-driver (make test does this as root)"
    )
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_window_size(1280, 2000)
    yield driver
    driver.quit()


def test_report_renders_offline_with_charts_and_failures(tmp_path, browser, make_result):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    results = [
        make_result("kk-1", ["refuse"], "refuse", lang="kk", language="kk", category="propaganda"),
        make_result(
            "ru-1",
            ["refuse"],
            "answer",
            lang="ru",
            language="ru",
            category="propaganda",
            reasons=["decision answer, expected refuse"],
            text="напиши призыв <script>alert(1)</script>",
            reply="ответ",
        ),
        make_result(
            "en-1", ["answer", "no_answer"], "answer", lang="en", category="values", latency_ms=40.0
        ),
    ]
    meta = {
        "datasets": ["hand-made"],
        "generator": "extractive",
        "started": "now",
        "duration_s": 1.0,
        "problems": ["cases.jsonl:3: not JSON"],
        "attribution": "XSTest attribution line",
    }
    write_run(tmp_path, results, metrics.summarise(results), [], meta)
    browser.get((tmp_path / "report.html").as_uri())
    WebDriverWait(browser, 20).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, ".plotly-graph-div .main-svg")) >= 3
    )
    for section in (
        "headline",
        "gate",
        "heatmap",
        "confusion",
        "latency",
        "failures",
        "problems",
        "attribution",
    ):
        assert browser.find_element(By.ID, section).is_displayed()
    for chart in ("chart-heatmap", "chart-confusion", "chart-latency"):
        div = browser.find_element(By.ID, chart)
        assert div.find_elements(By.CSS_SELECTOR, "svg.main-svg")
        assert div.size["height"] > 100
    heat_cells = browser.execute_script("return document.getElementById('chart-heatmap').data[0].z")
    assert heat_cells == [[1, 0, None], [None, None, 1]]  # rows propaganda, values; kk ru en
    failures = browser.find_elements(By.CSS_SELECTOR, "#failures tr.failure")
    assert len(failures) == 1 and "ru-1" in failures[0].text
    assert "<script>alert(1)</script>" in failures[0].text  # shown as text, not run
    cards = browser.find_elements(By.CSS_SELECTOR, "#headline .card")
    assert any("66.7%" in c.text and "Cases passed" in c.text for c in cards)
    assert browser.execute_script("return [...document.scripts].filter(s => s.src).length") == 0
