"""A link straight to a lesson on a freshly started server (what a teacher hands out after a restart) must open
that lesson inside the app's own navigation, not Streamlit's legacy listing of the pages/ folder."""
import pytest

from tests.e2e.conftest import error_texts, running_app, wait_for_app

pytestmark = pytest.mark.e2e


def test_a_deep_link_to_a_fresh_server_opens_the_lesson_in_the_apps_navigation(chromium, chrome, tmp_path):
    with running_app(tmp_path / "streamlit.log") as url:  # its own server: no visit to "/" has happened yet
        context = chrome.new_context(viewport={"width": 1400, "height": 1000})
        try:
            pg = context.new_page()
            pg.goto(url + "/world_map")
            wait_for_app(pg)
            assert "Hello World" in pg.inner_text("h1")
            nav = pg.inner_text("[data-testid='stSidebarNav']")
            assert "World map: Hello World" in nav and "Lessons" in nav, nav  # app.py's titles and sections
            assert "world map\n" not in nav.lower().replace("world map: hello world", "")  # no raw file names
            assert pg.url.rstrip("/").endswith("/world_map")
            assert error_texts(pg) == []
        finally:
            context.close()
