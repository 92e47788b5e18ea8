"""Small pieces of UI used on several pages."""
from __future__ import annotations

import contextlib
import logging

import streamlit as st

log = logging.getLogger("gdl")


@st.cache_resource(show_spinner=False)
def _device_sentence() -> str:
    from gdl.device import describe

    return describe("auto")


def device_badge() -> None:
    """Say which device models will use on this server."""
    st.caption(f"Models on this server run on **{_device_sentence()}**.")


@contextlib.contextmanager
def panel_guard(what: str):
    """Run one panel of a page; if it raises, show a clear message in that panel and let the page go on.

    The full traceback goes to the server log, never to the browser.
    """
    try:
        yield
    except Exception as err:  # noqa: BLE001  (the point is to contain anything)
        log.exception("panel %r failed", what)
        st.error(f"**{what}** could not be shown: {err}", icon="⚠️")


def note(text: str) -> None:
    """A 'what to notice' sentence under a figure."""
    st.info(text, icon="👀")
