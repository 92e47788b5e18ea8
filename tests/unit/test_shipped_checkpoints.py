"""The shipped checkpoints: one per family on world and digits, each loads safely, records the command that made
it, and all assets together stay under 30 MB."""
from pathlib import Path

import numpy as np
import pytest

from gdl import checkpoints
from gdl.data import world
from gdl.metrics import precision_on_land
from gdl.models import NEURAL

ASSETS = Path(__file__).resolve().parents[2] / "assets"


def test_all_assets_together_stay_under_30_mb():
    total = sum(p.stat().st_size for p in ASSETS.rglob("*") if p.is_file())
    assert total < 30 * 1024 * 1024, f"assets take {total / 2**20:.1f} MiB"


@pytest.mark.parametrize("dataset", ["world", "digits"])
@pytest.mark.parametrize("family", NEURAL)
def test_every_family_ships_a_checkpoint_made_by_one_train_command(family, dataset):
    path = checkpoints.shipped_path(family, dataset)
    assert path.is_file(), f"missing {path.name}"
    model = checkpoints.load(path)
    assert model.name == family
    command = model.checkpoint_meta_["command"]
    assert command.startswith(f"python -m gdl train --family {family} --data {dataset}")
    S = model.sample(64, seed=0)
    assert S.shape == ((64, 2) if dataset == "world" else (64, 8, 8)) and np.isfinite(S).all()


@pytest.mark.parametrize("family", NEURAL)
def test_every_shipped_world_model_lands_more_samples_on_land_than_a_gaussian(family):
    # A single Gaussian fitted to the land puts about 31% of its samples on land.
    model = checkpoints.load_shipped(family, "world")
    assert precision_on_land(model.sample(3000, seed=1)) > 0.5


def test_shipped_exact_density_models_beat_nothing_less_than_the_entropy_floor():
    # No model can have a held-out NLL below the entropy of p_data (up to sampling noise).
    X = world.sample(5000, seed=123)
    for family in ("autoregressive", "flow"):
        nll = -np.mean(checkpoints.load_shipped(family, "world").log_prob(X))
        assert world.entropy() - 0.05 < nll < world.entropy() + 1.0


def test_the_shipped_world_gans_discriminator_reads_as_the_compare_note_says():
    """Compare's note: D is high where real data lies but few samples do, low where samples crowd, and arbitrary
    where neither lies (measured on a 3° grid: 0.95; 0.30 on land and 0.24 at sea near samples; where neither
    lies a mean of 0.48 and a tenth of the cells below 0.01, a tenth above 0.99)."""
    from scipy.spatial import cKDTree

    from gdl.ui.compare import _GAN_FIELD

    gan = checkpoints.load(checkpoints.shipped_path("gan", "world"))
    gx, gy = np.meshgrid(np.arange(-178.5, 180, 3.0), np.arange(-88.5, 90, 3.0))
    grid = np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32)
    d, land = gan.discriminate(grid), world.is_land(grid)
    near_samples = cKDTree(gan.sample(20_000, seed=0)).query(grid)[0] < 3.0
    data_only, samples = d[land & ~near_samples].mean(), d[near_samples].mean()
    spread = np.quantile(d[~land & ~near_samples], [0.1, 0.9])
    assert data_only > 0.8 and samples < 0.4 and spread[0] < 0.2 and spread[1] > 0.8
    assert "high where real data lies but few samples do" in _GAN_FIELD and "where neither lies" in _GAN_FIELD


def test_the_script_and_the_readme_list_the_command_each_shipped_file_records():
    """scripts/train_checkpoints.sh remakes every file with the command the file records, and
    assets/checkpoints/README.md lists each file with that command: neither can drift from the files."""
    import re

    root = ASSETS.parent
    recorded = {checkpoints.shipped_path(f, d).name: checkpoints.load(checkpoints.shipped_path(f, d))
                .checkpoint_meta_["command"] for f, d in checkpoints.shipped()}
    assert len(recorded) == 15
    script = (root / "scripts" / "train_checkpoints.sh").read_text()
    assert sorted(re.findall(r'^\s*"(python -m gdl train [^"]+)"$', script, re.M)) == sorted(recorded.values())
    table = re.findall(r"^\| `([\w-]+\.pt)` \| `(python -m gdl train [^`]+)` \|$",
                       (ASSETS / "checkpoints" / "README.md").read_text(), re.M)
    assert {name for name, _ in table} == set(recorded)
    for name, command in table:
        assert command == recorded[name], name
