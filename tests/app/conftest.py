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
