"""Save and load models as weights and config only. Loading uses `torch.load(..., weights_only=True)`, so a
file a user uploads can never run code: a crafted pickle is refused with `CheckpointError`.

File layout (a plain dict of tensors, strings and numbers):
    {"format": 1, "family": str, "config": dict, "data_shape": list or None, "state": {name: tensor}, "meta": dict}

Shipped checkpoints live in assets/checkpoints/<data>-<family>.pt; each records the command that made it in its
meta["command"] (`python -m gdl checkpoints` prints them), and assets/checkpoints/README.md and
scripts/train_checkpoints.sh list the same commands.
"""
from __future__ import annotations

import dataclasses
import io
import re
from pathlib import Path

import numpy as np

from gdl.models import create

FORMAT = 1
CHECKPOINT_DIR = Path(__file__).resolve().parents[1] / "assets" / "checkpoints"


class CheckpointError(ValueError):
    """A checkpoint that is missing, corrupt, of the wrong kind, or unsafe."""


def save(model, path_or_buffer, meta: dict | None = None) -> None:
    """Write `model`'s config and learned state to a file path or a binary buffer."""
    import torch

    payload = {
        "format": FORMAT,
        "family": model.name,
        "config": dataclasses.asdict(model.config),
        "data_shape": list(getattr(model, "data_shape_", None) or []) or None,
        "state": {k: torch.as_tensor(np.asarray(v)) if not isinstance(v, torch.Tensor) else v
                  for k, v in model.export_state().items()},
        "meta": dict(meta or {}),
    }
    if isinstance(path_or_buffer, (str, Path)):
        Path(path_or_buffer).parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path_or_buffer)


def load(source, map_location: str = "cpu"):
    """Load a model from a path, bytes or a binary buffer. Raises CheckpointError with a readable message."""
    import pickle

    import torch

    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    elif isinstance(source, (str, Path)) and not Path(source).is_file():
        raise CheckpointError(f"checkpoint file not found: {source}")
    try:
        payload = torch.load(source, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as err:
        # torch's own message advises loading with weights_only=False, which must never be done with such a file
        wanted = re.search(r"Unsupported global: GLOBAL ([\w.]+)", str(err))
        raise CheckpointError(
            "this file is not a plain weights checkpoint, so it was refused unopened: "
            + (f"it asks for {wanted.group(1)}, which is not a weight (a file like this can run code)."
               if wanted else "it is damaged, or not a checkpoint at all.")) from None
    except Exception as err:  # truncated, not a zip, random bytes...
        raise CheckpointError(f"this file is not a readable checkpoint ({type(err).__name__}).") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT or "family" not in payload:
        raise CheckpointError("this file is a torch file but not a gdl checkpoint.")
    try:
        model = create(payload["family"], **payload["config"])
        state = {k: (v.numpy() if payload["data_shape"] is None else v) for k, v in payload["state"].items()}
        model.import_state(state, data_shape=payload["data_shape"])
    except Exception as err:
        raise CheckpointError(f"the checkpoint does not match its family: {err}") from None
    model.checkpoint_meta_ = payload.get("meta", {})
    return model


def shipped_path(family: str, data: str) -> Path:
    """Where the pretrained checkpoint of `family` on dataset `data` lives."""
    return CHECKPOINT_DIR / f"{data}-{family}.pt"


def load_shipped(family: str, data: str):
    """Load a shipped pretrained checkpoint (see assets/checkpoints/README.md for how each was made)."""
    return load(shipped_path(family, data))


def shipped() -> list[tuple[str, str]]:
    """(family, data) of every checkpoint present in assets/checkpoints."""
    out = []
    for p in sorted(CHECKPOINT_DIR.glob("*-*.pt")):
        data, family = p.stem.split("-", 1)
        out.append((family, data))
    return out
