"""The home and World Map pages in real Chromium: they render with no error, and the N control changes the plot."""
import time

import pytest

from tests.e2e.conftest import error_texts, wait_for_app

pytestmark = pytest.mark.e2e


def test_home_page_renders_with_no_error(server, page, output_dir):
    page.goto(server + "/")
    wait_for_app(page)
    assert "generative deep learning" in page.inner_text("h1")
    assert error_texts(page) == []
    page.screenshot(path=str(output_dir / "home.png"), full_page=True)


def _n_points_in_first_map(page) -> str:
    return page.evaluate("""() => {
        const plot = document.querySelector('.js-plotly-plot');
        return plot && plot.data ? String(plot.data[0].x.length) : '';
    }""")


def test_world_map_renders_and_the_n_control_changes_the_plot(server, page, output_dir):
    start = time.perf_counter()
    page.goto(server + "/world_map")
    wait_for_app(page)
    print(f"\nWorld Map page usable after {time.perf_counter() - start:.2f} s")
    assert error_texts(page) == []
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')?.data?.length > 0")
    assert _n_points_in_first_map(page) == "1000"
    page.screenshot(path=str(output_dir / "world_map.png"), full_page=True)

    box = page.get_by_label("How many points N")
    box.fill("250")
    box.press("Enter")
    page.wait_for_function("() => document.querySelector('.js-plotly-plot')?.data?.[0]?.x?.length === 250")
    wait_for_app(page)
    assert error_texts(page) == []
    page.screenshot(path=str(output_dir / "world_map_n250.png"), full_page=True)
