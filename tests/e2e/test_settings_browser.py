"""In real Chromium, through the sidebar: a lesson's settings, and the IDX file uploaded on the Latent page,
are as the user left them after a visit to another page. (Streamlit's AppTest did not see this break: the app's
first way of keeping settings passed there and failed here.)"""
import numpy as np
import pytest

from gdl.data.idx import save_idx
from tests.e2e.conftest import error_texts, screenshot_full, wait_for_app

pytestmark = pytest.mark.e2e


def go(pg, link: str) -> None:
    pg.locator("[data-testid='stSidebarNav'] a", has_text=link).first.click()
    pg.wait_for_timeout(1000)
    wait_for_app(pg)


def test_settings_and_an_upload_survive_a_visit_to_another_page(server, app_page, output_dir, tmp_path):
    pg = app_page
    pg.goto(server + "/world_map")
    wait_for_app(pg)
    box = pg.locator("input[aria-label='How many points N (10–20,000)']")
    box.fill("500")
    box.press("Enter")
    pg.wait_for_timeout(1000)
    wait_for_app(pg)
    go(pg, "Home")
    go(pg, "World map")
    assert pg.locator("input[aria-label='How many points N (10–20,000)']").input_value() == "500"
    assert "of 500 points" in pg.inner_text("[data-testid='stMain']")

    save_idx(np.random.default_rng(0).integers(0, 256, (40, 28, 28), dtype=np.uint8), tmp_path / "mine-idx3-ubyte.gz")
    go(pg, "Latent space")
    pg.locator("[data-testid='stSelectbox']").first.click()
    pg.get_by_role("option", name="Your own IDX file").click()
    pg.wait_for_timeout(1000)
    wait_for_app(pg)
    pg.locator("input[type=file]").first.set_input_files(str(tmp_path / "mine-idx3-ubyte.gz"))
    pg.get_by_text("There is no VAE for this data yet").wait_for()
    go(pg, "Home")
    go(pg, "Latent space")
    main = pg.inner_text("[data-testid='stMain']")
    assert "Where are the files?" in main  # the data is still "your own IDX file"
    assert "Using mine-idx3-ubyte.gz, uploaded earlier" in main
    assert "There is no VAE for this data yet" in main
    assert error_texts(pg) == []
    screenshot_full(pg, output_dir / "latent_idx_after_home.png")
