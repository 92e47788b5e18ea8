"""Real-browser tests: a Streamlit server on a free port, driven by Playwright in Debian's Chromium.

They skip, with the reason, where no Chromium exists; under CI (CI=true) a missing Chromium is a failure.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    if path is None:
        if os.environ.get("CI"):
            pytest.fail("CI must run the browser tests, but no chromium is on the PATH (apt-get install chromium)")
        pytest.skip("no Chromium on this machine: apt-get install chromium to run the browser tests")
    return path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_app(log: Path):
    """Start `streamlit run app.py` on a free loopback port; yield its base URL once healthy; stop it after."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.headless", "true",
         "--server.address", "127.0.0.1"], cwd=ROOT, stdout=open(log, "w"), stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"the app did not start in 120 s; see {log}")
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="session")
def server(chromium, tmp_path_factory):
    """A running app; yields its base URL."""
    with running_app(tmp_path_factory.mktemp("server") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="session")
def chrome(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def app_page(chrome):
    """A fresh browser page; failures and screenshots go to test-results/<test name>/."""
    context = chrome.new_context(viewport={"width": 1400, "height": 1000})
    pg = context.new_page()
    pg.set_default_timeout(90_000)
    yield pg
    context.close()


@pytest.fixture
def output_dir(request) -> Path:
    out = ROOT / "test-results" / request.node.name.replace("[", "-").replace("]", "")
    out.mkdir(parents=True, exist_ok=True)
    return out


def wait_for_app(pg, timeout_ms: int = 90_000) -> None:
    """Wait until Streamlit has finished running the script (no 'Running...' status, content painted)."""
    pg.wait_for_selector("h1", timeout=timeout_ms)
    pg.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')"
        " && document.querySelectorAll('[data-testid=\"stSkeleton\"]').length === 0",
        timeout=timeout_ms)
    pg.wait_for_timeout(500)


def trace_length(pg, plot_index: int = 0, trace_index: int = 0) -> int:
    """How many points Plotly drew in one trace of the plot_index-th chart on the page."""
    return pg.evaluate(f"""() => {{
        const plot = document.querySelectorAll('.js-plotly-plot')[{plot_index}];
        return plot && plot._fullData ? plot._fullData[{trace_index}]._length : -1;
    }}""")


def screenshot_full(pg, path) -> None:
    """Screenshot the whole page: Streamlit scrolls inside its own container, so grow the viewport to fit it."""
    height = pg.evaluate("""() => Math.max(1000, ...[...document.querySelectorAll(
        '[data-testid="stMain"], [data-testid="stAppViewContainer"], section.main')].map(e => e.scrollHeight))""")
    size = pg.viewport_size
    pg.set_viewport_size({"width": size["width"], "height": min(int(height) + 50, 12000)})
    pg.wait_for_timeout(1500)
    pg.screenshot(path=str(path), timeout=120_000)
    pg.set_viewport_size(size)


def error_texts(pg) -> list[str]:
    return [e.inner_text() for e in pg.query_selector_all("[data-testid='stException']")]


def text_cut_short(pg) -> list[str]:
    """The texts on the page that an ellipsis cuts short (a button that reads '✋ Ca…')."""
    return pg.evaluate("""() => [...document.querySelectorAll('[data-testid=stMain] *')].filter(e =>
        getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1 && e.innerText.trim()
    ).map(e => e.innerText.trim().slice(0, 60))""")


def number_boxes_without_buttons(pg) -> list[str]:
    """The labels of the number boxes drawn without their +/- buttons (Streamlit drops them in a narrow box)."""
    return pg.evaluate("""() => [...document.querySelectorAll('[data-testid=stNumberInput]')].filter(e =>
        !e.querySelector('[data-testid=stNumberInputStepUp]')).map(e => e.innerText.split('\\n')[0])""")
