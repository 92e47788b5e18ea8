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

    box = app_page.locator("input[aria-label='How many points N (10–20,000)']")
    box.fill("250")
    box.press("Enter")
    app_page.wait_for_function("(b) => document.querySelector(\"img[alt='p_data sample map']\")?.src !== b",
                               arg=before)
    wait_for_app(app_page)
    assert error_texts(app_page) == []
    assert "of 250 points" in app_page.inner_text("[data-testid='stMain']")  # the growing box's counter
    screenshot_full(app_page, output_dir / "world_map_n250.png")


def test_clicking_the_map_moves_point_c_there_and_the_page_loads_no_plotly(server, app_page, output_dir):
    app_page.goto(server + "/world_map")
    wait_for_app(app_page)
    assert app_page.query_selector_all(".js-plotly-plot") == []  # every figure is a picture: no plotly.js to load
    click_map = app_page.locator("img.cm-map")
    click_map.scroll_into_view_if_needed()
    app_page.wait_for_timeout(500)  # the component lives in a shadow root: read it through the locator
    natural = click_map.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert natural[0] > 500
    # Where on the picture is (longitude 20, latitude 0), in the middle of Africa? The plane spans the
    # world; work it out from the plane's pixel rectangle, which the page sends with the picture.
    x0, y0, x1, y1 = (float(v) for v in click_map.get_attribute("data-plane").split(","))
    box = click_map.bounding_box()
    px, py = x0 + (20 + 180) / 360 * (x1 - x0), y0 + (90 - 0) / 180 * (y1 - y0)
    click_map.click(position={"x": px * box["width"] / natural[0], "y": py * box["height"] / natural[1]})
    point_c = app_page.locator("input[aria-label='Point C: latitude, longitude']")
    app_page.wait_for_function("() => document.querySelector(\"input[aria-label='Point C: latitude, longitude']\")"
                               ".value !== '-25.0, 135.0'")
    lat, lon = (float(v) for v in point_c.input_value().split(","))
    assert abs(lat - 0) < 1.5 and abs(lon - 20) < 1.5, (lat, lon)
    wait_for_app(app_page)
    assert error_texts(app_page) == []
    screenshot_full(app_page, output_dir / "world_map_clicked.png")


def test_play_animates_the_growing_box_and_pause_stops_it(server, app_page, output_dir):
    """Play must keep adding points on its own. It once moved one step and stopped: the section's timer was only
    set up by a full run of the page, and Play reran just the section."""
    app_page.goto(server + "/world_map")
    wait_for_app(app_page)
    main = app_page.locator("[data-testid='stMain']")

    def shown_n() -> int:
        text = main.inner_text()
        return int(text.split("\nn = ", 1)[1].split(" of", 1)[0].replace(",", ""))

    app_page.wait_for_function("() => document.querySelector(\"[data-testid='stMain']\").innerText"
                               ".includes('n = 2 of')", timeout=60_000)  # the section has painted
    app_page.get_by_role("button", name="▶ Play").click()
    app_page.wait_for_function("() => document.querySelector(\"[data-testid='stMain']\").innerText"
                               ".includes('n = 30 of')", timeout=60_000)  # 28 ticks, several seconds apart
    app_page.get_by_role("button", name="⏸ Pause").click()
    app_page.wait_for_selector("button:has-text('▶ Play')", timeout=60_000)
    wait_for_app(app_page)
    paused, deadline = shown_n(), time.time() + 60
    while time.time() < deadline:  # a tick already on its way may still land, however slow the server is
        app_page.wait_for_timeout(1000)
        now = shown_n()
        if now == paused:
            break
        paused = now
    app_page.wait_for_timeout(3000)
    assert shown_n() == paused >= 30  # nothing moves while paused
    assert error_texts(app_page) == []
    screenshot_full(app_page, output_dir / "world_map_played.png")
