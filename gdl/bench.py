"""The benchmark: every family trained on the same data with the same budget, measured the same way.

    python -m gdl bench --data world --n-train 10000 --seconds 60
    python -m gdl bench --data digits --seconds 60 --json results.json

On `world` it reports held-out NLL (exact or a lower bound), its gap to the entropy floor, precision (share of
10,000 samples on land), coverage (share of 20,000 held-out points within 2 degrees of a sample), fit seconds,
steps and device (the VAE's NLL is its importance-weighted bound, its ELBO under the table). On `digits` it
reports sample quality by a classifier trained on the real digits: how confidently samples read as a digit, how
evenly the ten classes appear, and the distance from each sample to its nearest training image (a memorisation
check), beside the same numbers for real held-out digits.
"""
from __future__ import annotations

import contextlib
import json
import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from gdl import data, models
from gdl.data import world
from gdl.metrics import coverage, digit_scores, held_out_nll, precision_on_land

HELD_OUT_SEED = 1_000_003
IWAE_SAMPLES = 100  # draws per point of the VAE's importance-weighted bound (k = 1000 is 0.04 nats tighter, 5x slower)
BASELINE_GRID = {  # scikit-learn baselines, tuned on a validation split of the training points
    "gmm": [{"n_components": k} for k in (10, 30, 60, 100)],
    "kde": [{"bandwidth": h} for h in (0.5, 0.75, 1.0, 1.5, 2.0, 2.5)],
    "histogram": [{"bins": b, "pseudocount": 0.01, "bounds": (-180, -90, 180, 90)} for b in (60, 120, 180, 240)],
}


@dataclass
class Row:
    family: str
    nll: float | None = None
    nll_kind: str = "none"
    gap: float | None = None
    precision: float | None = None
    coverage: float | None = None
    fit_seconds: float = 0.0
    steps: int | None = None
    device: str = "cpu"
    status: str = "ok"
    settings: dict = field(default_factory=dict)
    extra: dict = field(default_factory=dict)


def _tune_baseline(family: str, X: np.ndarray, seed: int) -> tuple[dict, float]:
    """Pick the baseline's setting with the best NLL on a 10% validation split; returns (settings, seconds)."""
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(X))
    cut = len(X) // 10
    val, train = X[idx[:cut]], X[idx[cut:]]
    start = time.perf_counter()
    best, best_nll = BASELINE_GRID[family][0], math.inf
    for settings in BASELINE_GRID[family]:
        nll = held_out_nll(models.create(family, **settings).fit(train).log_prob(val))
        if nll < best_nll:
            best, best_nll = settings, nll
    return best, time.perf_counter() - start


def _fit(family: str, X: np.ndarray, seconds: float, device: str, seed: int):
    """Fit one family with the shared budget (every family sees the same unlabelled data); returns (model, row)."""
    row = Row(family=family)
    start = time.perf_counter()
    if family in models.NEURAL or family == "ae":
        model = models.create(family)
        model.fit(X, seconds=seconds, device=device, seed=seed)
        row.steps = model.history_.steps
        row.device = model.history_.device
        row.status = model.history_.status
    else:
        settings, _ = _tune_baseline(family, X, seed) if family in BASELINE_GRID else ({}, 0.0)
        row.settings = settings
        model = models.create(family, **settings).fit(X)
    row.fit_seconds = time.perf_counter() - start
    return model, row


def bench_world(families, n_train: int = 10_000, seconds: float = 60, device: str = "auto", seed: int = 0,
                progress=print) -> list[Row]:
    """Train each family on the same `n_train` world points and measure it on 20,000 held-out points."""
    X = data.load("world", n=n_train, seed=seed)
    X_test = data.load("world", n=20_000, seed=HELD_OUT_SEED)
    floor = world.entropy()
    rows = []
    for family in families:
        progress(f"[bench] {family}: training for up to {seconds:g} s ...")
        with _failure_becomes_a_row(rows, family):
            rows.append(_measure_world(family, X, X_test, floor, seconds, device, seed))
            progress(f"[bench] {family}: {format_row(rows[-1])}")
    return rows


@contextlib.contextmanager
def _failure_becomes_a_row(rows: list, family: str):
    """A family that fails (diverges, samples NaN) gets a row saying so; the benchmark goes on."""
    try:
        yield
    except Exception as err:  # noqa: BLE001
        rows.append(Row(family=family, status=f"failed: {type(err).__name__}: {str(err).splitlines()[0][:80]}"))


def _measure_world(family, X, X_test, floor, seconds, device, seed) -> Row:
    model, row = _fit(family, X, seconds, device, seed)
    samples = model.sample(10_000, seed=seed + 1)
    row.precision = precision_on_land(samples)
    row.coverage = coverage(X_test, samples, radius=2.0)
    _measure_nll(model, X_test, row)
    if row.nll is not None:
        row.gap = row.nll - floor
    return row


def tightest_nll(model, X: np.ndarray) -> float:
    """The NLL of X, exact or the tightest bound the family has: for the VAE, its importance-weighted bound
    (k = IWAE_SAMPLES), not the ELBO it trains on. The benchmark and the Compare page both report this."""
    if hasattr(model, "iwae_log_prob"):
        return held_out_nll(model.iwae_log_prob(X, k=IWAE_SAMPLES))
    return held_out_nll(model.log_prob(X))


def _measure_nll(model, X_test: np.ndarray, row: Row) -> None:
    """The held-out NLL into `row` (`tightest_nll`); a VAE's ELBO goes to extra, for the note under the table."""
    if model.log_prob_kind == "none":
        return
    row.nll_kind = model.log_prob_kind
    row.nll = tightest_nll(model, X_test)
    if hasattr(model, "iwae_log_prob"):
        row.extra["elbo_nll"] = held_out_nll(model.log_prob(X_test))


def _digit_classifier(seed: int = 0):
    """A classifier trained on the real digits (flattened 8x8 in [0, 1]); returns (classifier, test accuracy)."""
    from sklearn.linear_model import LogisticRegression

    X, y = data.load("digits", with_targets=True)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(X))
    train, test = idx[:1400], idx[1400:]
    clf = LogisticRegression(max_iter=2000, C=1.0).fit(X[train].reshape(len(train), -1), y[train])
    return clf, float(clf.score(X[test].reshape(len(test), -1), y[test]))


def digit_split(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The benchmark's split of the 1,797 digits: 1,500 to train on, the other 297 held out (the same permutation
    as `_digit_classifier`'s, so the classifier never saw the held-out ones either)."""
    X = data.load("digits")
    idx = np.random.default_rng(seed).permutation(len(X))
    return X[idx[:1500]], X[idx[1500:]]


def real_digit_scores(clf, seed: int = 0) -> dict:
    """The yardstick for `digit_scores`: real held-out digits, scored against the 1,500 training digits."""
    train, test = digit_split(seed)
    return digit_scores(test, clf, train)


def bench_digits(families, seconds: float = 60, device: str = "auto", seed: int = 0, progress=print) -> list[Row]:
    """Train each family on the digits and score 1,000 samples with a classifier trained on the real digits."""
    train, test = digit_split(seed)
    clf, accuracy = _digit_classifier(seed)
    reference = Row(family="real held-out digits", extra=real_digit_scores(clf, seed))
    reference.extra["classifier_accuracy"] = accuracy
    rows = [reference]
    for family in families:
        if family in models.CLASSICAL:
            continue  # the classical baselines model 2-D points, not 64-dimensional images
        progress(f"[bench] {family}: training for up to {seconds:g} s ...")
        with _failure_becomes_a_row(rows, family):
            model, row = _fit(family, train, seconds, device, seed)
            row.extra = digit_scores(model.sample(1000, seed=seed + 1), clf, train)
            _measure_nll(model, test, row)
            rows.append(row)
            progress(f"[bench] {family}: {format_row(row)}")
    return rows


def _fmt(value, spec):
    return "-" if value is None else format(value, spec)


def format_row(row: Row) -> str:
    nll = "-" if row.nll is None else (f"{row.nll:.3f}" + ("≥" if row.nll_kind == "lower_bound" else ""))
    return (f"nll {nll}  gap {_fmt(row.gap, '.3f')}  precision {_fmt(row.precision, '.3f')}  "
            f"coverage {_fmt(row.coverage, '.3f')}  {row.fit_seconds:.1f}s  steps {row.steps or '-'}  {row.status}")


def table(rows: list[Row], dataset: str) -> str:
    """The benchmark's printed table."""
    if dataset == "world":
        header = (f"{'family':<16}{'held-out NLL':>14}{'gap to floor':>14}{'precision':>11}{'coverage':>10}"
                  f"{'fit s':>8}{'steps':>8}  {'device':<6} status")
        lines = [f"entropy floor log A = {world.entropy():.4f} nats (per square degree)", header, "-" * len(header)]
        for r in rows:
            nll = "-" if r.nll is None else ("≤ " if r.nll_kind == "lower_bound" else "") + f"{r.nll:.4f}"
            lines.append(f"{r.family:<16}{nll:>14}{_fmt(r.gap, '.4f'):>14}{_fmt(r.precision, '.3f'):>11}"
                         f"{_fmt(r.coverage, '.3f'):>10}{r.fit_seconds:>8.1f}{str(r.steps or '-'):>8}  "
                         f"{r.device:<6} {r.status}")
        lines.append("NLL marked ≤ is an upper bound on the true NLL (the family reports a lower bound on log p).")
        lines += _elbo_lines(rows, lambda r: f"≤ {r.extra['elbo_nll']:.4f}, gap "
                                             f"{r.extra['elbo_nll'] - world.entropy():.4f}")
        return "\n".join(lines)
    header = (f"{'family':<22}{'confidence':>11}{'evenness':>10}{'nearest train':>15}{'held-out NLL':>14}"
              f"{'fit s':>8}{'steps':>8}  status")
    lines = [header, "-" * len(header)]
    for r in rows:
        e = r.extra
        nll = "-" if r.nll is None else ("≤ " if r.nll_kind == "lower_bound" else "") + f"{r.nll:.1f}"
        lines.append(f"{r.family:<22}{e.get('confidence', 0):>11.3f}{e.get('evenness', 0):>10.3f}"
                     f"{e.get('nearest_train_distance', 0):>15.3f}{nll:>14}{r.fit_seconds:>8.1f}"
                     f"{str(r.steps or '-'):>8}  {r.status}")
    lines += _elbo_lines(rows, lambda r: f"≤ {r.extra['elbo_nll']:.1f}")
    acc = rows[0].extra.get("classifier_accuracy")
    lines.append(f"confidence: mean top class probability of a logistic-regression classifier trained on real digits "
                 f"(test accuracy {acc:.3f}); evenness: entropy of the predicted class shares / log 10 (1 = all ten "
                 "equally); nearest train: mean L2 distance to the closest training image (0 = copies).")
    return "\n".join(lines)


def _elbo_lines(rows: list[Row], value) -> list[str]:
    """The note under a table for each VAE row: its NLL is the importance-weighted bound; the ELBO beside it."""
    return [f"{r.family}: NLL from the importance-weighted bound (Burda et al., k = {IWAE_SAMPLES}); its ELBO, the "
            f"looser bound it trains on, reads {value(r)}." for r in rows if "elbo_nll" in r.extra]


def to_json(rows: list[Row], dataset: str, **run) -> str:
    out = {"dataset": dataset, "run": run, "rows": [asdict(r) for r in rows]}
    if dataset == "world":
        out["entropy_floor"] = world.entropy()
    return json.dumps(out, indent=2, default=lambda v: None if isinstance(v, float) and not math.isfinite(v) else v)
