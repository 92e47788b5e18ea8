"""The training child process of gdl.ui.jobs: `python -m gdl.ui.trainchild FD`.

It is a fresh interpreter started with subprocess, not multiprocessing's "spawn": spawn re-runs the parent's
`__main__` in the child before anything else, and in a Streamlit server `__main__` is whichever page script a
session happens to be running at that moment. The child would then run that whole page (on the Compare page:
every family's measurements) at full priority before it trained. Here the child imports only what training
needs. It talks to its parent over one end of a socket pair (a multiprocessing Connection on the inherited
descriptor FD): it receives the TrainSpec, sends ("progress", p) as it trains, then ("done", pickled model) or
("error", text); the parent may send "cancel" at any time. No streamlit here.
"""
from __future__ import annotations

import os
import pickle
import sys


def fit(spec: dict, callback, cancel):
    """A fresh model trained as `spec` says (gdl.ui.jobs' TrainSpec as a dict), returned on the CPU."""
    from gdl import models

    model = models.create(spec["family"], **spec["overrides"])
    model.fit(spec["X"], y=spec["y"], seconds=spec["seconds"], device=spec["device"], seed=spec["seed"],
              callback=callback, cancel=cancel)
    return model.to("cpu")


def main(fd: int) -> None:
    try:
        os.nice(10)  # below the server's pages, before any heavy import
    except OSError:
        pass
    from multiprocessing.connection import Connection

    conn = Connection(fd)
    parent = os.getppid()
    try:
        spec = conn.recv()  # a gdl.ui.jobs.TrainSpec as a dict
        from gdl.device import share_cpu

        share_cpu()
        stop = [False]

        def cancel() -> bool:
            while conn.poll():
                stop[0] = stop[0] or conn.recv() == "cancel"
            return stop[0] or os.getppid() != parent  # the server went away: stop too

        model = fit(spec, lambda p: conn.send(("progress", p)), cancel)
        # plain pickle bytes: sending the model itself would share its tensors' memory with this process
        conn.send(("done", pickle.dumps(model)))
    except Exception as err:  # noqa: BLE001  (reported to the page by the parent)
        try:
            conn.send(("error", f"{type(err).__name__}: {err}"))
        except OSError:
            pass
    finally:
        conn.close()


if __name__ == "__main__":
    main(int(sys.argv[1]))
