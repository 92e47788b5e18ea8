"""The training child process of gdl.ui.jobs: `python -m gdl.ui.trainchild FD`.

It is a fresh interpreter started with subprocess, not multiprocessing's "spawn": spawn re-runs the parent's
`__main__` in the child before anything else, and in a Streamlit server `__main__` is whichever page script a
session happens to be running at that moment. The child would then run that whole page (on the Compare page:
every family's measurements) at full priority before it trained. Here the child imports only what training
needs. It talks to its parent over one end of a socket pair (a multiprocessing Connection on the inherited
descriptor FD): it receives the TrainSpec, sends ("progress", p) as it trains, then ("done", model) or
("error", text); the parent may send "cancel" at any time. No streamlit here.

The model travels as a gdl checkpoint (`to_bytes`, read back by `from_bytes`), not as a pickle of the module:
torch refuses to pickle a module with parametrizations (the energy-based model's spectral normalisation), and the
parent then reads it with weights_only loading like any other checkpoint. The run's record (`history_`: loss
curve, steps, status, message) rides along in the checkpoint's meta.
"""
from __future__ import annotations

import dataclasses
import io
import os
import sys

RUN_KEY = "run"  # the checkpoint meta entry that carries the model's TrainResult as a plain dict


def fit(spec: dict, callback, cancel):
    """A fresh model trained as `spec` says (gdl.ui.jobs' TrainSpec as a dict), returned on the CPU."""
    from gdl import models

    model = models.create(spec["family"], **spec["overrides"])
    model.fit(spec["X"], y=spec["y"], seconds=spec["seconds"], device=spec["device"], seed=spec["seed"],
              callback=callback, cancel=cancel)
    return model.to("cpu")


def to_bytes(model) -> bytes:
    """A trained model as checkpoint bytes, its run record in the meta."""
    from gdl import checkpoints

    run = dataclasses.asdict(model.history_)
    # weights_only loading refuses NumPy scalars: the loss curve travels as plain Python numbers
    run["history"] = [{k: v.item() if hasattr(v, "item") else v for k, v in row.items()} for row in run["history"]]
    buffer = io.BytesIO()
    checkpoints.save(model, buffer, meta={RUN_KEY: run})
    return buffer.getvalue()


def from_bytes(payload: bytes):
    """The model `to_bytes` wrote, with its `history_` restored; it is a live model, not a shipped checkpoint."""
    from gdl import checkpoints
    from gdl.train import TrainResult

    model = checkpoints.load(payload)
    model.history_ = TrainResult(**model.checkpoint_meta_.get(RUN_KEY, {}))
    del model.checkpoint_meta_  # the pages tell a checkpoint from a model trained here by this attribute
    return model


def _import_ahead() -> None:
    """What every training imports, done before the spec arrives (a spare child does it while it waits): torch,
    the models, and torch._dynamo, which torch's optimizers import on their first construction (2.4 s of the
    4.5 s a fresh child spent before its first step)."""
    import torch._dynamo  # noqa: F401

    from gdl import models

    for family in models.NEURAL + ("ae",):
        models.model_class(family)


def main(fd: int) -> None:
    try:
        os.nice(10)  # below the server's pages, before any heavy import
    except OSError:
        pass
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    parent = os.getppid()
    try:
        _import_ahead()
        spec = conn.recv()  # a gdl.ui.jobs.TrainSpec as a dict (a spare child waits here until it is needed)
        from gdl.device import share_cpu

        share_cpu()
        stop = [False]

        def cancel() -> bool:
            while conn.poll():
                stop[0] = stop[0] or conn.recv() == "cancel"
            return stop[0] or os.getppid() != parent  # the server went away: stop too

        model = fit(spec, lambda p: conn.send(("progress", p)), cancel)
        conn.send(("done", to_bytes(model)))
    except Exception as err:  # noqa: BLE001  (reported to the page by the parent)
        try:
            conn.send(("error", f"{type(err).__name__}: {err}"))
        except OSError:
            pass
    finally:
        conn.close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # skip the interpreter's teardown of torch (about 1 s the page would wait for): all is sent
