"""The home and World Map pages in real Chromium: they render with no error, and the N control changes the plot."""
import time

import pytest

from tests.e2e.conftest import error_texts, screenshot_full, wait_for_app

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
    data_map = app_page.locator("img[alt='p_data sample map']")
    data_map.wait_for()
    before = data_map.get_attribute("src")
    assert before.startswith("data:image/png;base64,")
    assert app_page.evaluate("(img) => img.naturalWidth", data_map.element_handle()) > 1000  # drawn, not broken
    screenshot_full(app_page, output_dir / "world_map.png")

    box = app_page.locator("input[aria-label='How many points N']")
    box.fill("250")
    box.press("Enter")
    app_page.wait_for_function("(b) => document.querySelector(\"img[alt='p_data sample map']\")?.src !== b",
                               arg=before)
    wait_for_app(app_page)
    assert error_texts(app_page) == []
    assert "of 250 points" in app_page.inner_text("[data-testid='stMain']")  # the growing box's counter
    screenshot_full(app_page, output_dir / "world_map_n250.png")
