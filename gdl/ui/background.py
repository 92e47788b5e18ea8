"""First-time panel work in the background, so that a page renders at once and its slow panels fill in.

The first visit after a server starts computes what every later visit shares: a family's samples and
measurements on the Compare page, the diffusion samplers' race and scores on the Diffusion page. Rather than
hold every student's page until that is done, a slow panel asks for its result here:

    result = background.in_background(key, fn, *args, lane="diffusion")
    if result is None:
        st.info(background.PENDING)        # computed once for everyone; it fills in by itself
    ...
    background.fill_in_when_done()         # at the end of the page: a fragment that polls every second and
                                           # reruns the page when this session's pending panels are ready

`fn(*args)` runs once per key, server-wide, in its lane's worker thread: one thread per lane, at nice 10 so that
the pages students wait for come first (unless NICE says otherwise); torch work runs outside the interpreter lock.
The functions keep their own caches (st.cache_data) as well. Under AppTest the lanes work the same way;
tests/app/conftest.py waits for them as a browser's polling would.
"""
from __future__ import annotations

import queue
import threading
from concurrent.futures import Future

import streamlit as st

PENDING_MARK = "fills in here by itself"  # every pending note says it; test clients look for it (gdl.wsclient)
PENDING = ("⏳ Computing this, once: every later look at the same model and settings reuses it (for a pretrained "
           f"model, anyone's on this server). It {PENDING_MARK}.")
_WAITING = "gdl_background_waiting"  # session state: page -> keys this session's page is waiting for
NICE = {"player": 0}  # lanes whose work a page waits for in the foreground; all others run at nice 10
MAX_FUTURES = 256  # finished futures kept per lane (their results live in the functions' caches)


@st.cache_resource(show_spinner=False)
def _lanes() -> dict:
    """Server-wide: lane name -> {"queue": work for its one worker thread, "futures": key -> Future}, one lock."""
    return {"lanes": {}, "lock": threading.Lock()}


def _worker(work: queue.SimpleQueue, nice: int) -> None:
    """A lane's worker: its nice value (only this thread: Linux schedules threads one by one), then one job at a
    time. It is a daemon thread, so a server that is stopped does not wait for its queue."""
    import os

    try:
        if nice:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), nice)
    except (AttributeError, OSError):
        pass
    while True:
        future, fn, args = work.get()
        if not future.set_running_or_notify_cancel():
            continue
        try:
            future.set_result(fn(*args))
        except BaseException as err:  # noqa: BLE001  (handed to the panel that asked for it)
            future.set_exception(err)


def _lane(name: str) -> dict:
    state = _lanes()
    lane = state["lanes"].get(name)
    if lane is None:
        lane = state["lanes"][name] = {"queue": queue.SimpleQueue(), "futures": {}}
        threading.Thread(target=_worker, args=(lane["queue"], NICE.get(name, 10)), name=f"gdl-{name}",
                         daemon=True).start()
    return lane


def _page() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return getattr(ctx, "page_script_hash", "") if ctx is not None else ""


def _waiting() -> set:
    """The (lane, key) pairs this session's current page is waiting for."""
    return st.session_state.setdefault(_WAITING, {}).setdefault(_page(), set())


def in_background(key: tuple, fn, *args, lane: str = "panels", wait: float = 0.0, prefetch: bool = False):
    """fn(*args), computed once per key in `lane`'s worker thread. Returns its result, or None while it is still
    being computed after waiting up to `wait` seconds when the lane has nothing else to do (a quick answer to a
    changed control shows at once; slow first-time work, or a queue, does not hold the page). A failure is raised
    here, in the panel that asked, and forgotten, so that a later visit tries again. With `prefetch`, the page does
    not wait for it to fill in and a failure gives None (the caller has another way to show the panel meanwhile)."""
    from streamlit import runtime

    if not runtime.exists():
        return fn(*args)
    state = _lanes()
    with state["lock"]:
        one = _lane(lane)
        futures = one["futures"]
        future: Future | None = futures.get(key)
        if future is None:
            future = futures[key] = Future()
            one["queue"].put((future, fn, args))
            finished = [k for k, f in futures.items() if f.done()]
            for old in finished[:max(0, len(futures) - MAX_FUTURES)]:  # keep the table small
                del futures[old]
    if not future.done() and wait > 0 and not _other_work_unfinished(one, future):
        try:
            future.exception(timeout=wait)
        except TimeoutError:
            pass
    if not future.done():
        if not prefetch:
            _waiting().add((lane, key))
        return None
    if future.exception() is not None:
        with state["lock"]:
            futures.pop(key, None)
        if prefetch:  # nobody is looking at it: the caller's own way of showing the panel goes on
            return None
    return future.result()


def _future(lane: str, key: tuple) -> Future | None:
    state = _lanes()
    with state["lock"]:
        return state["lanes"].get(lane, {}).get("futures", {}).get(key)


def ready(key: tuple, lane: str = "panels"):
    """The result for `key` if `lane` has already computed it without error, else None (never starts work)."""
    future = _future(lane, key)
    if future is None or not future.done() or future.exception() is not None:
        return None
    return future.result()


def _other_work_unfinished(lane: dict, future: Future) -> bool:
    """Whether other work in the lane is still unfinished besides `future` (then waiting would not pay off)."""
    return any(f is not future and not f.done() for f in list(lane["futures"].values()))


def busy() -> bool:
    """Whether first-time work is still running in any lane anywhere on this server."""
    state = _lanes()
    with state["lock"]:
        return any(not f.done() for one in state["lanes"].values() for f in one["futures"].values())


def fill_in_when_done(every: float = 1.0) -> None:
    """Call at the end of a page: when any of its panels showed PENDING in this run, a fragment looks again every
    `every` seconds and reruns the page once they are all ready."""
    from streamlit import runtime

    waiting = _waiting()
    keys = set(waiting)
    waiting.clear()  # the page's next run asks again for whatever is still pending
    if not keys or not runtime.exists():
        return

    def _poll() -> None:
        if all(future is None or future.done() for future in (_future(lane, key) for lane, key in keys)):
            st.rerun()

    st.fragment(_poll, run_every=every)()
