"""Small pieces of UI used on several pages."""
from __future__ import annotations

import contextlib
import functools
import logging

import streamlit as st

log = logging.getLogger("gdl")


def through_app() -> None:
    """Make sure this page runs inside app.py's navigation. Call it first thing on every page.

    Streamlit starts a server whose folder has a pages/ directory in its legacy multipage mode, and stays in it
    until app.py has run once: until then a deep link (a teacher's /world_map) runs the page file on its own,
    without app.py's page config, CPU sharing and navigation (the sidebar lists raw file names). Leaving that mode
    and rerunning sends this and every later run through app.py. (Streamlit 1.67 keeps the mode in the class
    attribute PagesManager.uses_pages_directory; where it is missing this does nothing.)"""
    from streamlit.runtime.pages_manager import PagesManager

    if getattr(PagesManager, "uses_pages_directory", None):
        PagesManager.uses_pages_directory = False
        st.rerun()


PAGE, CAME_FROM = "gdl_page", "gdl_came_from"  # session keys: the page on show, and the one shown before it


def remember_page(name: str) -> None:
    """app.py calls this on every full run, before the page: which page is on show, and which one was before it."""
    st.session_state[CAME_FROM] = st.session_state.get(PAGE)
    st.session_state[PAGE] = name


PAGE_PREFIXES = {"world_map": "wm_", "compare": "cmp_", "latent": "lat_", "diffusion": "dif_"}  # url -> prefix
KEPT_TYPES = (int, float, str, list, tuple)  # the values of sliders, number boxes, selects and text boxes
KEPT_TOGGLES = {"wm_show_data", "wm_compare_all", "dif_whole_paths"}  # True/False like a button's, kept by name


def keep_settings(page: str) -> None:
    """app.py calls this on every full run, with the page about to run: the settings of every other page survive.

    Streamlit deletes a widget's value at the end of any run that did not draw it, so leaving a page reset all of
    its settings (N, the family, the points typed). Writing each value back as session state while another page
    shows interrupts that clean-up (Streamlit's guide to widgets in multipage apps). The page on show is left to
    Streamlit: a slider whose range follows another setting (the first k of N points, t up to T) must reset when
    that setting shrinks below it, as it always did, where a written-back value would raise. Only plain values
    are written (buttons and file uploaders refuse writes), and the toggles by name.
    """
    own = PAGE_PREFIXES.get(page)
    others = tuple(prefix for prefix in PAGE_PREFIXES.values() if prefix != own)
    for key in list(st.session_state.keys()):
        if isinstance(key, str) and key.startswith(others):
            value = st.session_state[key]
            if key in KEPT_TOGGLES or (isinstance(value, KEPT_TYPES) and not isinstance(value, bool)):
                st.session_state[key] = value


def arrived_from_another_page() -> bool:
    """Whether this run of the page follows a visit to another page of the app (False on the first visit, on a
    rerun of the same page, and when the page runs without app.py, as in a page's own AppTest)."""
    before = st.session_state.get(CAME_FROM)
    return before is not None and before != st.session_state.get(PAGE)


@st.cache_resource(show_spinner=False)
def _device_sentence() -> str:
    from gdl.device import describe

    return describe("auto")


def device_badge() -> None:
    """Say which device models will use on this server."""
    st.caption(f"Models on this server run on **{_device_sentence()}**.")


_MARKDOWN_PUNCTUATION = frozenset("\\`*_{}[]()<>#!|~$:")  # the characters that start Markdown or Streamlit syntax


def plain(text) -> str:
    """Text to show inside a Markdown message exactly as typed: every character that can start Markdown or
    Streamlit syntax is backslash-escaped (CommonMark allows it for any punctuation), so a user's
    `![](http://host/x.png)`, `**`, `:red[...]` or `$x$` is shown, not rendered (and never makes the browser fetch
    anything); newlines become spaces."""
    return "".join("\\" + ch if ch in _MARKDOWN_PUNCTUATION else " " if ch in "\r\n" else ch for ch in str(text))


@contextlib.contextmanager
def panel_guard(what: str):
    """Run one panel of a page; if it raises, show a clear message in that panel and let the page go on.

    The full traceback goes to the server log, never to the browser.
    """
    try:
        yield
    except Exception as err:  # noqa: BLE001  (the point is to contain anything)
        log.exception("panel %r failed", what)
        st.error(f"**{what}** could not be shown: {plain(err)}", icon="⚠️")


def guarded(what: str):
    """Decorate a fragment's function so that its body runs inside `panel_guard(what)`: a fragment reruns on its
    own, outside any guard around the place where it was first called."""
    def decorate(fn):
        @functools.wraps(fn)
        def run(*args, **kwargs):
            with panel_guard(what):
                return fn(*args, **kwargs)

        return run

    return decorate


def ranged(label: str, low, high) -> str:
    """A number box's label with its range, e.g. "Image number (0–1,999)": Streamlit keeps an out-of-range value in
    the box, outlined, but never applies it, and says why only in a tooltip, so the label says it up front."""
    return f"{label} ({low:,g}–{high:,g})" if isinstance(low, float) or isinstance(high, float) else \
        f"{label} ({low:,}–{high:,})"


def note(text: str) -> None:
    """A 'what to notice' sentence under a figure."""
    st.info(text, icon="👀")


def natural_image(container, image, **kwargs) -> None:
    """st.image at the picture's own pixel width: a caption wider than a small picture would otherwise enlarge
    it, and pictures shown side by side at one scale would come out at different sizes."""
    container.image(image, width=int(getattr(image, "shape", (0, 0))[1]) or "content", **kwargs)
