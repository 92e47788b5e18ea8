"""Warm the server's shared caches once, in the background, as soon as it serves its first page.

The first visit to a page computes what every later visit shares: the shipped models, their samples and fields,
the measurements, the diffusion trajectories (the Compare page alone takes about 18 s from cold on 2 cores).
Rather than make the first students wait for it, the server visits every page itself, in a background thread,
with the load test's websocket client (gdl.wsclient), when the first page is served (the teacher opening it).
Those visits fill exactly the cache entries the pages' default views use, and training children are started ahead
for the first trainings (gdl.ui.jobs.start_spare). GDL_WARM=0 turns both off.
"""
from __future__ import annotations

import asyncio
import logging
import os
import threading

import streamlit as st

log = logging.getLogger("gdl")
PAGES = ["world_map", "compare", "latent", "diffusion"]


def _own_url() -> str:
    address = st.get_option("server.address") or "127.0.0.1"
    if address in ("0.0.0.0", "::", ""):
        address = "127.0.0.1"
    base = (st.get_option("server.baseUrlPath") or "").strip("/")
    return f"http://{address}:{st.get_option('server.port')}" + (f"/{base}" if base else "")


def _visit(url: str) -> None:
    from gdl.wsclient import Session

    async def visit():
        async with Session(url) as session:
            for page in PAGES:
                run = await session.open(page)
                log.info("warmed /%s in %.1f s", page, run.finished_s or 0.0)

    try:
        asyncio.run(visit())
    except Exception as err:  # noqa: BLE001  (warming is a courtesy: the pages work without it)
        log.warning("could not warm the caches: %s", err)


@st.cache_resource(show_spinner=False)
def start_warming() -> threading.Thread | None:
    """Once per server process: start the background visit (None under AppTest or with GDL_WARM=0)."""
    from streamlit import runtime

    if os.environ.get("GDL_WARM", "1") == "0" or not runtime.exists():
        return None
    thread = threading.Thread(target=_visit, args=(_own_url(),), name="gdl-warm", daemon=True)
    thread.start()
    from gdl.ui import jobs

    jobs.start_spare()  # so that the first Retrain starts at once too
    return thread
