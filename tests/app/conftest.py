"""AppTest helpers: scripts are found from the repository root."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def script(name: str) -> str:
    """The absolute path of an app script, e.g. script("pages/world_map.py")."""
    return str(ROOT / name)


def settled(at, seconds: float = 180):
    """Run the page again once the Compare page's first-time background work (gdl.ui.compare) is done, as its
    polling fragment does in a browser; returns the AppTest."""
    import time

    from gdl.ui import compare

    deadline = time.time() + seconds
    while compare.busy() and time.time() < deadline:
        time.sleep(0.3)
    return at.run()


def open_page(name: str, timeout: float = 300, **state):
    """Run the page `name` (e.g. "pages/world_map.py") once in AppTest, with session-state values set first;
    the Compare page is run again once its background work is done. Returns the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(script(name), default_timeout=timeout)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return settled(at) if name == "pages/compare.py" else at  # its slow panels fill in from a background worker
