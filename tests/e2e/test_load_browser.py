"""A small classroom load in CI (issue 6): five real browser sessions at once visit every page and move a control;
no session may see an error, and no page may request anything from a host other than the app's own.

It reuses the load script (gdl.loadtest, `python -m gdl loadtest`) against the test server; the full 30-session
run is the script's job. Run with -s to see the report.
"""
from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from gdl import loadtest

pytestmark = pytest.mark.e2e

SESSIONS = 5
STAGGER_S = 1.0  # seconds between session starts: a class arriving, not one synchronised burst


def test_five_concurrent_sessions_visit_every_page_without_errors_or_outside_requests(server):
    start = time.perf_counter()
    # Its own thread and event loop: the async Playwright run must not meet the sync one of other browser tests.
    with ThreadPoolExecutor(max_workers=1) as pool:
        report = pool.submit(asyncio.run, loadtest.run(server, SESSIONS, loadtest.PAGES, False, STAGGER_S)).result()
    seconds = time.perf_counter() - start
    print(f"\n{loadtest.format_report(report, SESSIONS)}\nwall time {seconds:.0f} s")

    assert report.errors == []
    assert {path: len(times) for path, times in report.render.items()} == {p: SESSIONS for p in loadtest.PAGES}
    assert len(report.update) == SESSIONS  # every session moved the world map's θ3 slider and saw the update
    assert report.requests > SESSIONS * len(loadtest.PAGES)  # the request log did record the pages' traffic
    assert report.outside == set(), f"requests to outside hosts: {sorted(report.outside)}"


def test_websocket_clients_move_the_controls_and_see_the_server_answer(server):
    """The load script's default client (gdl.wsclient) against the real server: ten sessions render every page,
    the θ3 slider's fragment rerun shows the new box, and the diffusion player steps, with no error."""
    from gdl.wsclient import Session

    def in_own_loop(coroutine):  # a thread of its own: the sync Playwright of other tests holds this one's loop
        with ThreadPoolExecutor(max_workers=1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    report = in_own_loop(loadtest.run(server, 10, loadtest.PAGES, False, 0.2, client="ws"))
    print(f"\n{loadtest.format_report(report, 10)}")
    assert report.errors == []
    assert {path: len(times) for path, times in report.render.items()} == {p: 10 for p in loadtest.PAGES}
    assert len(report.update) == len(report.step) == 10

    async def move():
        async with Session(server) as s:
            opened = await s.open("world_map")
            before = next(t for t in opened.texts if t.startswith("Box area"))
            moved = await s.set_value(s.widget("slider", "θ3"), 0.0)  # the east edge far inside the points
            return before, moved

    before, moved = in_own_loop(move())
    assert moved.elements < 30  # only the explorer's fragment ran again, not the whole page
    assert "log L(θ | X): −∞" in moved.texts and not any(t == before for t in moved.texts)
