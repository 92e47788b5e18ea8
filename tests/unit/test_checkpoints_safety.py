"""Checkpoints hold weights and config only: a crafted pickle that would run code is refused and never runs."""
import io
import pickle

import numpy as np
import pytest
import torch

import gdl
from gdl import checkpoints
from gdl.checkpoints import CheckpointError

RAN = []


class _Exploit:
    def __reduce__(self):
        return (RAN.append, ("the payload ran",))


def test_a_crafted_pickle_is_refused_and_its_code_never_runs(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({"format": 1, "family": "box", "config": {}, "data_shape": None, "state": _Exploit()}, path)
    with pytest.raises(CheckpointError, match="refused") as refusal:
        checkpoints.load(path)
    assert RAN == []
    assert "asks for getattr" in str(refusal.value)  # it names what the file asked for (RAN.append, via getattr)
    assert "weights_only=False" not in str(refusal.value)  # and never passes on torch's advice to allow it
    raw = io.BytesIO()
    pickle.dump(_Exploit(), raw)
    with pytest.raises(CheckpointError):
        checkpoints.load(raw.getvalue())
    assert RAN == []


@pytest.mark.parametrize("content", [b"", b"not a checkpoint at all", b"PK\x03\x04truncated zip"])
def test_corrupt_or_foreign_files_get_a_clear_error(content):
    with pytest.raises(CheckpointError):
        checkpoints.load(content)


def test_a_missing_file_gets_a_clear_error(tmp_path):
    with pytest.raises(CheckpointError, match="not found"):
        checkpoints.load(tmp_path / "nothing.pt")


def test_a_plain_tensor_file_is_not_a_gdl_checkpoint(tmp_path):
    torch.save({"weights": torch.zeros(3)}, tmp_path / "t.pt")
    with pytest.raises(CheckpointError, match="not a gdl checkpoint"):
        checkpoints.load(tmp_path / "t.pt")


def test_a_checkpoint_whose_state_does_not_match_its_family_is_refused(tmp_path):
    m = gdl.models.create("box").fit(np.array([[0.0, 0.0], [1.0, 1.0]]))
    checkpoints.save(m, tmp_path / "box.pt")
    payload = torch.load(tmp_path / "box.pt", weights_only=True)
    payload["family"] = "gaussian"
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="does not match"):
        checkpoints.load(tmp_path / "bad.pt")
