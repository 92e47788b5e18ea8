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
