"""Training for a page runs in a child process at low priority: progress comes back, cancel works, the model
returns, and a failure is reported, not raised in the server's face."""
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from gdl.ui import jobs

X = np.random.default_rng(0).normal(size=(256, 2)).astype(np.float32)


class FakeJob:
    def __init__(self):
        self.cancel = threading.Event()
        self.progress = []

    def on_progress(self, p):
        self.progress.append(p)


def test_a_child_process_trains_reports_progress_and_returns_the_model():
    job = FakeJob()
    model = jobs.fit_model(jobs.TrainSpec("flow", X, seconds=3, device="cpu", seed=0), job)
    assert model.history_.steps > 0 and model.history_.ok
    assert job.progress and job.progress[-1].step == model.history_.steps  # every report came back
    assert model.sample(10, seed=1).shape == (10, 2)


@pytest.mark.parametrize("family", ["ebm", "gan"])
def test_a_model_with_parametrized_layers_comes_back_from_the_child(family):
    """The EBM's layers (and the GAN discriminator's, with spectral_norm) carry torch parametrizations, which
    torch refuses to pickle: the child sends the model as checkpoint bytes, and it must come back whole."""
    overrides = {"spectral_norm": True} if family == "gan" else {}
    job = FakeJob()
    model = jobs.fit_model(jobs.TrainSpec(family, X, overrides, seconds=2, device="cpu", seed=0), job)
    assert model.history_.ok and model.history_.steps == job.progress[-1].step > 0
    assert model.history_.history and not hasattr(model, "checkpoint_meta_")  # a live model, with its loss curve
    assert model.sample(10, seed=1).shape == (10, 2)


def test_a_training_takes_the_spare_child_started_ahead_and_leaves_a_new_one():
    """The child started ahead is the one that trains (its imports done while it waited), and a new spare
    takes its place for the next training."""
    jobs.start_spare()
    spare, other = (proc for proc, _ in jobs._SPARE)
    job, result, seen = FakeJob(), {}, []
    worker = threading.Thread(target=lambda: result.setdefault("model", jobs.fit_model(
        jobs.TrainSpec("flow", X, seconds=120, device="cpu"), job)))
    worker.start()
    try:
        deadline = time.time() + 60
        while not job.progress and time.time() < deadline:
            time.sleep(0.1)
        seen = jobs.training_pids()
        spares = [proc for proc, _ in jobs._SPARE]
    finally:
        job.cancel.set()
        worker.join(timeout=60)
    assert seen == [spare.pid]  # the oldest spare trains
    assert len(spares) == jobs.SPARES and spares[0] is other  # the other one still waits, and a new one
    assert spares[1].pid not in (spare.pid, other.pid) and spares[1].poll() is None  # started behind it
    assert result["model"].history_.status == "cancelled"


def test_a_spare_child_that_died_is_passed_over_and_replaced_and_the_training_still_runs():
    jobs.start_spare()
    dead, alive = (proc for proc, _ in jobs._SPARE)
    dead.kill()
    dead.wait()
    job = FakeJob()
    pids = []
    job.on_progress = lambda p: pids.append(jobs.training_pids())
    model = jobs.fit_model(jobs.TrainSpec("flow", X, seconds=1, device="cpu", seed=0), job)
    assert model.history_.ok and model.history_.steps > 0
    assert pids[0] == [alive.pid]  # the live spare trained, not a cold child
    spares = [proc for proc, _ in jobs._SPARE]
    assert len(spares) == jobs.SPARES and dead not in spares and alive not in spares  # both replaced


def test_a_spare_that_dies_between_being_taken_and_sent_its_spec_is_reaped_and_a_fresh_child_trains(monkeypatch):
    taken = {}

    def take_a_dying_child():
        proc, parent = jobs._new_child()
        proc.kill()  # it dies after being taken: the send of its spec fails
        stat = Path(f"/proc/{proc.pid}/stat")
        deadline = time.time() + 30
        while stat.read_text().rsplit(")", 1)[1].split()[0] != "Z" and time.time() < deadline:
            time.sleep(0.05)  # dead, not yet reaped: a zombie until fit_model waits for it
        taken["proc"] = proc
        return proc, parent

    monkeypatch.setattr(jobs, "_take_child", take_a_dying_child)
    model = jobs.fit_model(jobs.TrainSpec("flow", X, seconds=1, device="cpu", seed=0), FakeJob())
    assert model.history_.ok and model.history_.steps > 0  # a fresh child trained
    assert taken["proc"].returncode is not None  # and the dead one was reaped, not left a zombie


def test_cancel_reaches_the_child_and_it_stops_early():
    class CancelsAfterItsFirstStep(FakeJob):  # a Cancel once the child trains, however long its start took
        def on_progress(self, p):
            super().on_progress(p)
            self.cancel.set()

    job = CancelsAfterItsFirstStep()
    model = jobs.fit_model(jobs.TrainSpec("flow", X, seconds=120, device="cpu", seed=0), job)
    assert model.history_.status == "cancelled"
    assert model.history_.seconds < 60  # the loop stopped early, far short of its 120-s budget


def test_a_failure_in_the_child_becomes_an_error_with_its_reason():
    with pytest.raises(RuntimeError, match="no_such_setting"):
        jobs.fit_model(jobs.TrainSpec("flow", X, {"no_such_setting": 1}, seconds=1, device="cpu"), FakeJob())


def test_the_child_runs_below_the_servers_priority():
    job, result = FakeJob(), {}
    worker = threading.Thread(target=lambda: result.setdefault("model", jobs.fit_model(
        jobs.TrainSpec("flow", X, seconds=120, device="cpu"), job)))
    worker.start()
    try:
        deadline = time.time() + 30
        while not job.progress and time.time() < deadline:  # the child is training once progress arrives
            time.sleep(0.2)
        children = jobs.training_pids()
        assert children, "no training process"
        stat = open(f"/proc/{children[0]}/stat").read().rsplit(")", 1)[1].split()
        assert int(stat[16]) == os.nice(0) + 10  # field 19 of /proc/PID/stat: its nice value
    finally:
        job.cancel.set()
        worker.join(timeout=60)
    assert result["model"].history_.status == "cancelled"


def test_the_child_never_runs_the_servers_main_script(tmp_path, monkeypatch):
    """In a Streamlit server sys.modules["__main__"] is whichever page a session is running. multiprocessing's
    spawn re-ran that page in the child before training (the Compare page: every family's measurements, at full
    priority); the child must start clean."""
    import sys
    import types

    marker = tmp_path / "page-ran"
    page = tmp_path / "page.py"
    page.write_text(f"open({str(marker)!r}, 'w').close()\n")
    fake_main = types.ModuleType("__main__")
    fake_main.__file__ = str(page)
    monkeypatch.setitem(sys.modules, "__main__", fake_main)
    monkeypatch.setattr(jobs, "_SPARE", [])  # no child started ahead: this training starts one now
    try:
        model = jobs.fit_model(jobs.TrainSpec("flow", X, seconds=1, device="cpu", seed=0), FakeJob())
    finally:
        for proc, _ in jobs._SPARE:  # the spare started in the test's own list, which the server never sees
            proc.kill()
    assert model.history_.steps > 0
    assert not marker.exists()


def test_the_report_of_a_finished_run_says_whether_you_cancelled_it_and_that_the_model_is_kept():
    from types import SimpleNamespace

    from gdl.train import TrainResult

    model = SimpleNamespace(history_=TrainResult(steps=42, status="cancelled", message="Cancelled after 42 steps."))
    job = SimpleNamespace(cancel=threading.Event(), message="")
    assert jobs.report(job, model) is model
    assert job.message == "Cancelled after 42 steps."  # the trainer's own words when nobody pressed Cancel
    job.cancel.set()
    job.message = jobs.CANCELLED_BY_YOU + "."  # what every page's Cancel button writes
    assert jobs.report(job, model) is model
    assert job.message == ("Cancelled by you, after 42 steps. The page keeps the model it had; what this run learned "
                           "is kept too, one click away.")
    finished = SimpleNamespace(history_=TrainResult(steps=99, status="done", message="Trained 99 steps in 5.0 s."))
    job.status, job.message = "running", jobs.CANCELLED_BY_YOU + "."
    assert jobs.report(job, finished) is finished  # Cancel pressed as the budget ran out: it trained in full
    assert job.status == "done" and job.message == "Trained 99 steps in 5.0 s."
    untrained = SimpleNamespace(history_=TrainResult(steps=0, status="cancelled", message="Cancelled after 0 steps."))
    assert jobs.report(job, untrained) is None  # cancelled before its first step: the page keeps its old model
    assert job.message == "Cancelled before the first training step: nothing was trained, and nothing on the page changes."


def test_waiting_trainings_start_first_come_first_served_and_a_cancelled_one_leaves_the_queue(monkeypatch):
    monkeypatch.setattr(jobs, "MAX_CONCURRENT", 1)  # one at a time, so the order they start in is the order they run
    release, started = threading.Event(), []

    def work(job):
        started.append(job.label)
        release.wait(10)
        return job.label

    def wait_until(condition, seconds=20.0):
        deadline = time.time() + seconds
        while not condition() and time.time() < deadline:
            for job in [first] + waiting:
                job.touch()  # the page is watching
            time.sleep(0.05)
        assert condition()

    waiting = []
    first = jobs.start("first", work)
    wait_until(lambda: started == ["first"])
    for i in range(5):
        waiting.append(jobs.start(f"waiting {i}", work))
        time.sleep(0.2)  # they arrive in this order, each after the others have polled for a while
    assert [job.queue_position() for job in waiting] == [1, 2, 3, 4, 5]
    jobs.cancel([waiting[1]])  # as a page's Cancel does
    wait_until(lambda: waiting[1].status == "cancelled")
    assert [job.queue_position() for job in waiting] == [1, 0, 2, 3, 4]
    assert waiting[1].message == ("Cancelled by you while it waited in the queue: nothing was trained, and nothing "
                                  "on the page changes.")
    release.set()
    wait_until(lambda: all(job.finished for job in [first] + waiting))
    assert started == ["first", "waiting 0", "waiting 2", "waiting 3", "waiting 4"]
    assert [job.status for job in waiting] == ["done", "cancelled", "done", "done", "done"]


def test_a_job_whose_thread_cannot_start_fails_and_leaves_the_queue(monkeypatch):
    real_start = threading.Thread.start

    def refuse(self):
        raise RuntimeError("can't start new thread")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    stuck = jobs.start("no thread", lambda job: None)
    monkeypatch.setattr(threading.Thread, "start", real_start)
    assert stuck.status == "failed" and "could not start" in stuck.message
    assert stuck.queue_position() == 0
    after = jobs.start("after it", lambda job: "trained")  # the next job is not stuck behind it
    deadline = time.time() + 10
    while not after.finished and time.time() < deadline:
        after.touch()
        time.sleep(0.05)
    assert after.status == "done" and after.result == "trained"


class Recorder:
    """Stands in for the page (st or a container): records what `jobs.show` draws."""

    def __init__(self):
        self.drawn = []

    def __getattr__(self, name):
        return lambda *args, **kwargs: self.drawn.append((name, args, kwargs))


def test_a_run_past_its_training_loop_says_it_is_finishing_not_a_full_bar_with_no_word():
    """After the last training step a model may still work (diffusion fits its bound's variances) and the model
    travels back: the bar, full, says so instead of repeating the last step's loss."""
    from gdl.train import Progress

    job = jobs.Job(label="Flow", status="running", budget=10.0)
    page = Recorder()
    jobs.show(job, page)  # before the first step (a fresh process starts, 3-4 s): not a silent "step 0"
    assert page.drawn[-1][0] == "progress" and "starting" in page.drawn[-1][2]["text"]
    job.on_progress(Progress(40, 9.6, {"loss": 1.5}, None, 10.0))
    jobs.show(job, page)
    assert page.drawn[-1][0] == "progress" and page.drawn[-1][2]["text"] == "Flow: step 40, 10 of 10 s, loss 1.5"
    job.on_progress(Progress(41, 10.0, {"loss": 1.4}, None, 10.0, finished=True))
    jobs.show(job, page)
    kind, args, kwargs = page.drawn[-1]
    assert kind == "progress" and args[0] == 1.0
    assert "trained 41 steps in 10 s; finishing up (sending the trained model back" in kwargs["text"]
    job.family = "diffusion"  # a family with more to do says what
    jobs.show(job, page)
    assert "finishing up (fitting the likelihood bound's step variances" in page.drawn[-1][2]["text"]


def test_a_finished_run_replaces_the_model_in_use_once_and_a_cancelled_one_leaves_it():
    """Cancel keeps the model the page had (nothing lost): only a run that ended by itself replaces it."""
    from types import SimpleNamespace

    earlier, done, partial, first, beside = object(), object(), object(), object(), object()
    kept = {"a": earlier, "b": earlier}
    stopped = f"Cancelled by you, after 9 steps. {jobs.KEPT_NOTE}"
    runs = {"a": SimpleNamespace(status="done", result=done, message="Trained."),
            "b": SimpleNamespace(status="cancelled", result=partial, message=stopped),
            "c": SimpleNamespace(status="cancelled", result=None, message=""),
            "d": SimpleNamespace(status="running", result=None, message=""),
            "e": SimpleNamespace(status="failed", result=None, message="Training failed"),
            "f": SimpleNamespace(status="cancelled", result=first, message=stopped),  # no model before it at all
            "g": SimpleNamespace(status="cancelled", result=beside, message=stopped)}  # a pretrained one beside it
    assert jobs.keep(kept, runs, pretrained=lambda key: key == "g") == ["a", "f"]
    assert kept == {"a": done, "b": earlier, "f": first}  # the cancelled run's model is not taken where the page
    # had one (trained here, or pretrained); where it had none, there is nothing to keep, and it is taken at once
    assert runs["f"].message == f"Cancelled by you, after 9 steps. {jobs.FIRST_NOTE}"
    assert runs["b"].message == runs["g"].message == stopped
    assert jobs.keep(kept, runs, pretrained=lambda key: key == "g") == []  # once


def test_cancel_writes_its_message_before_the_flag_and_leaves_a_finished_run_alone():
    class Seen(threading.Event):
        def set(self):
            self.message_then = job.message
            super().set()

    job, finished = jobs.Job("running", status="running", cancel=Seen()), jobs.Job("ended", status="done",
                                                                                   message="Trained 5 steps.")
    jobs.cancel([job, finished])
    assert job.cancel.is_set() and job.cancel.message_then == jobs.CANCELLED_BY_YOU + "."
    assert not finished.cancel.is_set() and finished.message == "Trained 5 steps."
