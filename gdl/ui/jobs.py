"""Training in the page, without blocking the server: each run is a background job with a progress record,
a cancel flag and a time budget.

- A server-wide cap (`MAX_CONCURRENT`) bounds how many trainings run at once; the rest wait in a visible queue.
- A run whose page stops polling it (the tab was closed) cancels itself after `ABANDON_SECONDS`.
- Pages keep only the `Job` handle in their session state; the model it produces is theirs alone.
- `fit_model` trains in a child process at a lower CPU priority (nice 10), not in the server's own threads:
  a training thread would hold the server's interpreter lock for much of its time and slow every page of
  every session (measured: with two trainings running, 30 sessions' page loads went from about 1-2 s to 7-10 s),
  while a low-priority process only uses what the pages leave (the child is gdl.ui.trainchild, started with
  subprocess: see there why not multiprocessing's spawn). GDL_TRAIN_IN_PROCESS=0 trains in the job's
  thread instead (the in-process tests use it to inject faults into the model).
- Children are kept started ahead (`start_spare`: as many as may train at once, from when the server serves its
  first page, and a new one each time a training takes one), their imports done, so that a Retrain's first step
  comes in about 0.1 s instead of 4.5 s (`python -m gdl trainstart`); a child exits without the interpreter's
  teardown, so the model is back about 1 s sooner too.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import streamlit as st

MAX_CONCURRENT = 2  # trainings running at once on this server (2 cores)
ABANDON_SECONDS = 30.0  # a run nobody has looked at for this long is cancelled
MAX_SECONDS = 300.0  # the longest budget a page may ask for
CANCELLED_BY_YOU = "Cancelled by you"  # what a page's Cancel button writes into the job's message
KEPT_NOTE = "The page keeps the model it had; what this run learned is kept too, one click away."  # after a Cancel
TAKEN_NOTE = "What it learned is now the model *trained here*, as you chose."  # once `offer`'s button took it
FIRST_NOTE = "There was no model before it, so what it learned is now the model *trained here*."  # nothing to keep
UNCHANGED = "nothing was trained, and nothing on the page changes."  # a run cancelled before its first step
CANCEL_HELP = ("Stops training now. Where the page already has a model, it stays in use, and what the run learned "
               "so far is kept beside it, one click away; where it has none, what the run learned becomes the model "
               "*trained here*.")


@st.cache_resource(show_spinner=False)
def _slots() -> dict:
    """Server-wide, shared by every session: the waiting jobs in order of arrival, how many run, and the condition
    that guards both (a job starts only from the head of the queue: first come, first served)."""
    return {"queue": [], "running": 0, "cond": threading.Condition()}


@dataclass(eq=False)  # a job is itself: lists of jobs find it by identity
class Job:
    """One training run in the background."""

    label: str
    status: str = "queued"  # queued, running, done, cancelled, failed
    progress: float = 0.0
    step: int = 0
    seconds: float = 0.0
    family: str | None = None  # the family it trains (fit_model sets it), for what its finishing-up does
    budget: float | None = None  # its time budget in seconds (fit_model sets it), for the progress bar
    finishing: bool = False  # the training loop has ended; the model's work after it (and its transfer) goes on
    losses: list[dict] = field(default_factory=list)
    message: str = ""
    result: object = None
    cancel: threading.Event = field(default_factory=threading.Event)
    last_seen: float = field(default_factory=time.monotonic)

    @property
    def finished(self) -> bool:
        return self.status in ("done", "cancelled", "failed")

    def queue_position(self) -> int:
        """1-based place in the server's queue (0 when not waiting)."""
        slots = _slots()
        with slots["cond"]:
            return slots["queue"].index(self) + 1 if self in slots["queue"] else 0

    def touch(self) -> None:
        """Called by the page whenever it shows this job: proof that somebody is still watching."""
        self.last_seen = time.monotonic()

    def on_progress(self, p) -> None:
        """A gdl.train callback: record progress; cancel when abandoned."""
        self.progress, self.step, self.seconds = p.fraction, p.step, p.seconds
        self.finishing = p.finished
        self.losses.append({"step": p.step, **p.losses})
        if time.monotonic() - self.last_seen > ABANDON_SECONDS:
            self.cancel.set()
            self.message = "Stopped: nobody was watching this training (the tab was closed)."


def start(label: str, work: Callable[[Job], object]) -> Job:
    """Run `work(job)` in a background thread once a slot is free; `work` returns the result (e.g. a model)
    and should pass `job.on_progress` and `job.cancel` to `model.fit`."""
    job = Job(label=label)
    slots = _slots()
    with slots["cond"]:
        slots["queue"].append(job)

    def wait_for_a_slot() -> bool:
        """Block until this job heads the queue and a slot is free (True), or it is cancelled first (False)."""
        with slots["cond"]:
            while True:
                if job.cancel.is_set() or time.monotonic() - job.last_seen > ABANDON_SECONDS:
                    slots["queue"].remove(job)
                    slots["cond"].notify_all()  # the next in line may now be the head
                    job.status = "cancelled"
                    job.message = (f"{job.message.rstrip('.')} while it waited in the queue: {UNCHANGED}"
                                   if job.message else "Cancelled while waiting in the queue.")
                    return False
                if slots["queue"][0] is job and slots["running"] < MAX_CONCURRENT:
                    slots["queue"].pop(0)
                    slots["running"] += 1
                    slots["cond"].notify_all()  # the next in line may start too if another slot is free
                    return True
                slots["cond"].wait(timeout=0.5)  # also wakes to check the cancel flag and the watcher

    def run():
        if not wait_for_a_slot():
            return
        try:
            job.status = "running"
            job.result = work(job)
            if job.status == "running":
                job.status = "cancelled" if job.cancel.is_set() else "done"
        except Exception as err:  # noqa: BLE001  (the page shows it; the server keeps serving)
            job.status, job.message = "failed", f"Training failed: {err}"
        finally:
            with slots["cond"]:
                slots["running"] -= 1
                slots["cond"].notify_all()

    try:
        threading.Thread(target=run, name=f"gdl-train-{label}", daemon=True).start()
    except RuntimeError as err:  # no thread to be had: leave the queue, or every later job would wait behind it
        with slots["cond"]:
            slots["queue"].remove(job)
            slots["cond"].notify_all()
        job.status, job.message = "failed", f"Training could not start: {err}"
    return job


# What a family's fit does after its training loop, which the progress bar names while it runs.
AFTER_TRAINING = {
    None: "sending the trained model back to the page",
    "diffusion": "fitting the likelihood bound's step variances on the training data, a few seconds",
    "ae": "fitting the Gaussian over the training images' codes that sampling draws from",
}


def show(job: Job, container=None) -> None:
    """Draw one job's state: the queue place, a progress bar, or its final message."""
    where = container or st
    job.touch()
    if job.status == "queued":
        place = job.queue_position()
        where.info(f"⏳ {job.label}: waiting for a free training slot"
                   + (f" (place {place} in the queue)." if place else "."))
    elif job.status == "running" and job.finishing:
        where.progress(1.0, text=f"{job.label}: trained {job.step} steps in {job.seconds:.0f} s; finishing up "
                                 f"({AFTER_TRAINING.get(job.family, AFTER_TRAINING[None])}), then the page "
                                 "redraws…")
    elif job.status == "running" and job.step == 0:
        where.progress(0.0, text=f"{job.label}: starting (the training process loads torch and the data)…")
    elif job.status == "running":
        loss = job.losses[-1].get("loss") if job.losses else None
        of = f" of {job.budget:.0f}" if job.budget else ""
        where.progress(min(job.progress, 1.0), text=f"{job.label}: step {job.step}, {job.seconds:.0f}{of} s"
                       + (f", loss {loss:.3g}" if loss is not None else ""))
    elif job.status == "failed":
        where.error(job.message)
    elif job.status == "cancelled":
        where.warning(f"{job.label}: {job.message or 'cancelled'}")


def keep_watching(runs: dict) -> bool:
    """Mark every unfinished job in a page's `runs` as watched (a page calls this on every run and poll, for all
    its jobs, not only those of the data it shows now, so that switching data does not abandon a training);
    returns whether any is unfinished, i.e. whether the page must keep polling."""
    unfinished = [job for job in runs.values() if not job.finished]
    for job in unfinished:
        job.touch()
    return bool(unfinished)


def follow(key: str, shown: list[Job], runs: dict, polling: bool) -> None:
    """For a page's progress view (a fragment that polls while trainings run; `polling` says whether this run of it
    does), given the jobs it shows now and all the page's `runs` (on any data): mark every unfinished run as
    watched (`keep_watching`); remember, under session-state `key`, each job it sees running; when one of those
    shown has ended, rerun the whole page, whose top (`ended`) then shows the model it made; and when the last
    run of any data has ended, rerun it too, since only a full run stops the polling. A training on other data
    stays remembered, so the page shows its model when you come back to that data."""
    running = keep_watching(runs)
    held = list(runs.values())
    watched = [job for job in st.session_state.get(key, []) if job in held]
    watched += [job for job in shown if not job.finished and job not in watched]
    st.session_state[key] = watched
    if any(job.finished and job in watched for job in shown) or (polling and not running):
        st.rerun()


def ended(key: str, here: list[Job]) -> list[Job]:
    """For a page's top: the jobs among `here` (those of the data shown) that its progress view (`follow`) saw
    running and that have ended since; each is returned once, then forgotten, so a failed run redraws the page
    only once."""
    watched = st.session_state.get(key, [])
    done = [job for job in here if job.finished and job in watched]
    st.session_state[key] = [job for job in watched if job not in done]
    return done


def _unkept(kept: dict, key, job: Job) -> bool:
    """Whether `job` brought a model that is not (yet) the one in use for `key`."""
    return job.result is not None and kept.get(key) is not job.result


def keep(kept: dict, runs: dict, pretrained: Callable[[object], bool] = lambda key: False) -> list:
    """Settle the page's ended runs into `kept` (the same keys as `runs`: the model *trained here* that the page
    uses for each), given whether the page has a `pretrained` model for a key. A run that ended by itself (its
    budget spent, or stopped by the NaN guard with its last good weights) replaces the model in use. A run you
    cancelled does not: Cancel keeps the model the page had, and what the run learned waits beside it (`offer`);
    unless the page had no model at all for it, trained here or pretrained, when there is nothing to keep. Returns
    the keys whose model was replaced now."""
    new = []
    for key, job in runs.items():
        if not _unkept(kept, key, job):
            continue
        if job.status == "done":
            new.append(key)
        elif job.status == "cancelled" and key not in kept and not pretrained(key):
            job.message = job.message.replace(KEPT_NOTE, FIRST_NOTE)
            new.append(key)
    for key in new:
        kept[key] = runs[key].result
    return new


def cancel(runs: list) -> None:
    """A page's Cancel button: stop these runs, saying that you did (the message first: a run still waiting in
    the queue adds to it as it leaves); a run that has just finished is left as it is."""
    for job in runs:
        if not job.finished:
            job.message = CANCELLED_BY_YOU + "."
            job.cancel.set()


def offer(kept: dict, runs: dict, keys: list, button_key: str, then: Callable[[list], None]) -> None:
    """Under a page's progress view: one button that takes what the cancelled runs among `keys` learned before
    their Cancel (which kept the page's earlier model), in place of the models in use; `then(keys taken)` runs in
    the click's callback, before the page reruns (e.g. to show the *trained here* model)."""
    waiting = [key for key in keys if key in runs and runs[key].status == "cancelled" and _unkept(kept, key, runs[key])]
    if not waiting:
        return

    def take() -> None:
        for key in waiting:
            kept[key] = runs[key].result
            runs[key].message = runs[key].message.replace(KEPT_NOTE, TAKEN_NOTE)
        then(waiting)

    steps = [getattr(getattr(runs[key].result, "history_", None), "steps", runs[key].step) for key in waiting]
    what = (f"the cancelled training learned in {steps[0]} steps" if len(waiting) == 1 else
            f"the {len(waiting)} cancelled trainings learned ({min(steps)} to {max(steps)} steps)")
    st.button(f"Use what {what}", key=button_key, on_click=take,
              help="Cancel kept the model the page had. This button makes what the cancelled training learned the "
                   "model *trained here* instead." if len(waiting) == 1 else
                   "Cancel kept the models the page had. This button makes what each cancelled training learned "
                   "its family's model *trained here* instead.")


# ---- training a model for a job -------------------------------------------------------------------------------
@dataclass
class TrainSpec:
    """Everything a training needs, as plain data (it travels to the child process)."""

    family: str
    X: np.ndarray
    overrides: dict = field(default_factory=dict)
    y: np.ndarray | None = None
    seconds: float = 30.0
    device: str = "auto"
    seed: int = 0


def _in_child_process() -> bool:
    """Whether trainings run in a child process (the default) rather than in the job's own thread."""
    return os.environ.get("GDL_TRAIN_IN_PROCESS", "1") != "0"


def _plain(spec: TrainSpec) -> dict:
    """The spec as plain data, its budget capped (a TrainSpec sent to the child would make it import this module,
    and streamlit with it)."""
    return {**vars(spec), "seconds": min(spec.seconds, MAX_SECONDS)}


_CHILDREN: set = set()  # the training processes running now (their pids are in `training_pids`)
SPARES = MAX_CONCURRENT  # children kept started ahead: as many as may train at once (Compare starts two together)
_SPARE: list = []  # the children started ahead, oldest first, imports done, waiting for a spec: (process, pipe end)
_SPARE_LOCK = threading.Lock()


def _new_child():
    """Start a training child (it imports torch and the models, then waits for its spec); return it and the
    parent's end of its pipe."""
    import subprocess
    import sys
    from multiprocessing import Pipe
    from pathlib import Path

    parent, child = Pipe()  # a socket pair; the child gets its end as an inherited descriptor
    root = str(Path(__file__).resolve().parents[2])  # the directory that holds the gdl package
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen([sys.executable, "-m", "gdl.ui.trainchild", str(child.fileno())],
                            pass_fds=(child.fileno(),), env=env, stdin=subprocess.DEVNULL)
    child.close()
    return proc, parent


def start_spare() -> None:
    """Have children ready for the next trainings (`SPARES` of them), so that they start at once: a fresh process
    spends about 4.5 s on its imports (torch, and torch._dynamo, which the optimizer pulls in) before its first
    step. Idle, each waits on its pipe (about 360 MB), and it exits when the server does."""
    with _SPARE_LOCK:
        while len(_SPARE) < SPARES:
            _SPARE.append(_new_child())


def _take_child():
    """The oldest spare child that is alive, else a new child; a new spare starts in the place of each one taken or
    found dead, for the next trainings (with none started ahead, just one: on 2 cores, every missing spare's
    imports at once would slow this training's start and those running)."""
    with _SPARE_LOCK:
        taken, popped = None, 0
        while _SPARE and taken is None:
            proc, parent = _SPARE.pop(0)
            popped += 1
            if proc.poll() is None:
                taken = proc, parent
            else:
                parent.close()
        for _ in range(max(popped, 1)):
            _SPARE.append(_new_child())
    return taken or _new_child()


def fit_model(spec: TrainSpec, job: Job):
    """Train a fresh model as `spec` says, reporting to `job` (progress, cancel, abandonment); return it on the
    CPU. Runs in a child process at low priority (see the module's docstring), started ahead when it can be."""
    job.family, job.budget = spec.family, min(spec.seconds, MAX_SECONDS)
    if not _in_child_process():
        from gdl.ui.trainchild import fit

        return fit(_plain(spec), job.on_progress, job.cancel)
    proc, parent = _take_child()
    try:
        parent.send(_plain(spec))
    except OSError:  # the spare died just now: reap it, and start afresh
        parent.close()
        _end_child(proc, wait=0)
        proc, parent = _new_child()
        parent.send(_plain(spec))
    _CHILDREN.add(proc)
    told = False
    try:
        while True:
            if job.cancel.is_set() and not told:
                parent.send("cancel")
                told = True
            if parent.poll(0.2):
                kind, payload = parent.recv()
                if kind == "progress":
                    job.on_progress(payload)
                elif kind == "done":
                    from gdl.ui.trainchild import from_bytes

                    return from_bytes(payload)
                else:
                    raise RuntimeError(payload)
            elif proc.poll() is not None:
                raise RuntimeError(f"the training process stopped unexpectedly (exit code {proc.returncode})")
    except EOFError:
        raise RuntimeError("the training process stopped unexpectedly") from None
    finally:
        parent.close()  # a child still training sees its pipe closed and stops
        _end_child(proc, wait=10)
        _CHILDREN.discard(proc)


def _end_child(proc, wait: float) -> None:
    """Reap a child whose pipe is closed, killing it if it has not ended within `wait` seconds."""
    import subprocess

    try:
        proc.wait(timeout=wait)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def report(job: Job, model):
    """Set `job.message` for a finished training and return what the page should keep: the model, or None for a
    run cancelled before its first step (an untrained network must not replace the model the page had). The
    message is the trainer's own, or, when the run was stopped (by you, or because nobody was watching), why and
    how far it got. A run that used its whole budget is done, whatever was pressed at the last moment (its model
    is stored before it is marked done, so a page that sees it done finds its model)."""
    history = model.history_
    if history.status == "cancelled" and history.steps == 0:
        job.message = f"Cancelled before the first training step: {UNCHANGED}"
        return None
    if history.status == "cancelled" and job.message:  # stopped from outside: keep the reason, add the count
        job.message = f"{job.message.rstrip('.')}, after {history.steps} steps. {KEPT_NOTE}"
    else:
        job.message = history.message
        if history.status == "done":
            job.result = model
            job.status = "done"
    return model


def training_pids() -> list[int]:
    """The process ids of the trainings running now on this server."""
    return [p.pid for p in list(_CHILDREN)]


class _TimedJob(Job):
    """A job that notes when its first progress report came."""

    first: float | None = None

    def on_progress(self, p) -> None:
        self.first = self.first or time.perf_counter()
        super().on_progress(p)


def time_starts(runs: int = 4, seconds: float = 1.0) -> list[tuple[float, float]]:
    """`python -m gdl trainstart`: train a flow on 256 points `runs` times, one after another as a page's Retrain
    would, and return for each the seconds from the call to its first progress report and to the model's return
    (the first run starts a child from nothing; the later ones find the spare child ready)."""
    rng = np.random.default_rng(0)
    times = []
    for _ in range(runs):
        job = _TimedJob(label="timing")
        start = time.perf_counter()
        fit_model(TrainSpec("flow", rng.normal(size=(256, 2)).astype(np.float32), seconds=seconds, device="cpu"),
                  job)
        times.append((job.first - start, time.perf_counter() - start))
        time.sleep(8.0)  # as a learner would look at the result, which leaves the spare time to get ready
    return times
