"""The Compare page in real Chromium: it renders from checkpoints with a panel per family and no error."""
import pytest

from tests.e2e.conftest import error_texts, screenshot_full, wait_for_app

pytestmark = pytest.mark.e2e


def test_compare_page_renders_its_panels(server, app_page, output_dir):
    app_page.goto(server + "/compare")
    wait_for_app(app_page, timeout_ms=180_000)
    # The panels fill in after the title (first visit computes samples and fields into the shared cache).
    app_page.wait_for_function("() => document.querySelectorAll('h3').length >= 6", timeout=240_000)
    wait_for_app(app_page, timeout_ms=180_000)
    assert error_texts(app_page) == []
    headings = [h.inner_text() for h in app_page.query_selector_all("h3")]
    for family in ("Autoregressive", "Normalizing flow", "VAE", "Energy-based", "Diffusion", "GAN"):
        assert any(family in h for h in headings), headings
    # On a fresh server the pictures are computed once in the background and fill in by themselves.
    app_page.wait_for_function("() => document.querySelectorAll(\"img[alt$=' samples']\").length >= 6",
                               timeout=240_000)
    wait_for_app(app_page, timeout_ms=180_000)
    assert len(app_page.query_selector_all("img[alt$=' samples']")) == 6  # each family's samples on the map
    assert len(app_page.query_selector_all("img[alt$=' field']")) >= 5  # and its field over the plane
    assert len(app_page.query_selector_all(".js-plotly-plot")) >= 6  # and its loss curve
    screenshot_full(app_page, output_dir / "compare.png")


def test_a_number_typed_out_of_range_gets_a_message_and_retrain_waits(server, app_page):
    """Given a min and a max, Streamlit's box never sent an out-of-range number, and Retrain trained on the last
    valid one while the box showed another: now the page hears it, says so, and keeps Retrain off."""
    app_page.goto(server + "/compare")
    wait_for_app(app_page, timeout_ms=180_000)
    box = app_page.locator(".st-key-cmp_n input")
    retrain = app_page.locator(".st-key-cmp_retrain button").first
    assert not retrain.is_disabled()
    box.fill("50000")
    box.press("Enter")
    app_page.get_by_text("50,000 is outside 500–20,000: the page still uses 10,000.").wait_for(timeout=60_000)
    assert retrain.is_disabled()
    box.fill("2000")
    box.press("Enter")
    app_page.wait_for_function("() => !document.body.innerText.includes('is outside')", timeout=60_000)
    assert not retrain.is_disabled()
    assert error_texts(app_page) == []
