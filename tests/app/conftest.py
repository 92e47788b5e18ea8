"""AppTest helpers: scripts are found from the repository root."""
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def script(name: str) -> str:
    """The absolute path of an app script, e.g. script("pages/world_map.py")."""
    return str(ROOT / name)
