"""AppTest: the home page and the navigation."""
from streamlit.testing.v1 import AppTest

from tests.app.conftest import script


def test_home_page_introduces_the_families_and_names_the_device():
    at = AppTest.from_file(script("app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    text = " ".join(m.value for m in at.markdown)
    for word in ("p_data", "p_model", "discriminative", "Autoregressive", "Normalizing flow", "GAN"):
        assert word in text
    from gdl.device import describe  # after the run: the app has set this process's torch threads

    assert f"Models on this server run on **{describe('auto')}**." in [c.value for c in at.caption]
    assert describe("auto").startswith("CPU (1 thread per model)") or "GPU" in describe("auto")
