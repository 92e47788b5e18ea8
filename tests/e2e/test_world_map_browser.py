"""The home and World Map pages in real Chromium: they render with no error, and the N control changes the plot."""
import time

import pytest

from tests.e2e.conftest import error_texts, screenshot_full, trace_length, wait_for_app

pytestmark = pytest.mark.e2e


def test_home_page_renders_with_no_error(server, app_page, output_dir):
    app_page.goto(server + "/")
    wait_for_app(app_page)
    assert "generative deep learning" in app_page.inner_text("h1")
    assert error_texts(app_page) == []
    screenshot_full(app_page, output_dir / "home.png")


def test_world_map_renders_and_the_n_control_changes_the_plot(server, app_page, output_dir):
    start = time.perf_counter()
    app_page.goto(server + "/world_map")
    wait_for_app(app_page)
    print(f"\nWorld Map page usable after {time.perf_counter() - start:.2f} s")
    assert error_texts(app_page) == []
    app_page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullData?.length > 0")
    assert trace_length(app_page) == 1000
    screenshot_full(app_page, output_dir / "world_map.png")

    box = app_page.locator("input[aria-label='How many points N']")
    box.fill("250")
    box.press("Enter")
    app_page.wait_for_function("() => document.querySelector('.js-plotly-plot')?._fullData?.[0]?._length === 250")
    wait_for_app(app_page)
    assert error_texts(app_page) == []
    screenshot_full(app_page, output_dir / "world_map_n250.png")
