"""AppTest helpers: scripts are found from the repository root."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def script(name: str) -> str:
    """The absolute path of an app script, e.g. script("pages/world_map.py")."""
    return str(ROOT / name)


def settled(at, seconds: float = 600):
    """Once first-time background work (gdl.ui.background) is done, run the page again if it showed a panel still
    pending (⏳), as the page's polling fragment does in a browser; returns the AppTest. Work still running after
    `seconds` fails the test here, with that reason, rather than in the assertions that follow."""
    import time

    from gdl.ui import background

    deadline = time.time() + seconds
    while background.busy() and time.time() < deadline:
        time.sleep(0.3)
    assert not background.busy(), f"the page's background work was still running after {seconds:.0f} s"
    pending = any(background.PENDING_MARK in info.value for info in at.info)
    return at.run() if pending else at


def open_page(name: str, timeout: float = 300, **state):
    """Run the page `name` (e.g. "pages/world_map.py") once in AppTest, with session-state values set first;
    the page is run again once its first-time background work is done. Returns the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(script(name), default_timeout=timeout)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    return settled(at)  # slow panels (Compare, Diffusion) fill in from a background worker
