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


def within(key: str, low, high) -> None:
    """Call before drawing a slider whose range follows another setting (the first k of N points, t up to T). Its
    value is kept across pages (persist_state="session"), and Streamlit gives a slider a new identity whenever its
    range changes, carrying over a copy of the value made at the first change and never refreshed. So the current
    value is written back on every run, brought inside the range where that has shrunk below it (Streamlit would
    raise), and the next change of range starts from it, not from the stale copy."""
    value = st.session_state.get(key)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        st.session_state[key] = type(value)(min(max(value, low), high))


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


def number_text(x) -> str:
    """A number as a box's label or message writes it: 20,000 and 0.2, never 2e+04."""
    if isinstance(x, float) and not (x.is_integer() and abs(x) < 1e15):
        return f"{x:,g}"
    return f"{int(x):,}"


def ranged(label: str, low, high) -> str:
    """A number box's label with its range, e.g. "Image number (0–1,999)"."""
    return f"{label} ({number_text(low)}–{number_text(high)})"


def out_of_range_help(which: str = "a number above") -> str:
    """A Train button's help while `number_box` refuses a number that the training would use."""
    return f"Off while {which} is outside its range (the message under it says which)."


def number_box(container, label: str, low, high, value, *, key: str, say_range: bool = True, **kwargs):
    """A number box whose range the page checks, not the browser. Given a min and a max, Streamlit keeps a typed
    value outside them in the box, outlined, with its reason in a tooltip, and never sends it: the page went on
    with the last value in range while the box showed another (and a Retrain beside it trained on that one). Here
    every value reaches the page; one outside [low, high] gets a message under the box, and the page keeps the
    last value that was in range (at first `value`). `say_range` puts the range in the label. Returns (the value
    in use, whether the box's own value is in range): a page's Train button is off while it is not.

    - A range that follows the data (the image numbers of another IDX file) and has changed puts a value left
      outside it back to `value` without a word, as Streamlit does with its own bounds: nobody typed it.
    - A disabled box's value is not used: it gets no message, and counts as in range."""
    if not low <= value <= high:
        raise ValueError(f"number box {key!r}: its default {value} is outside {low}–{high}")
    ranges, kept = key + "__range", key + "__in_range"  # this session's: the range last drawn, the last good value
    if st.session_state.get(ranges, (low, high)) != (low, high):
        st.session_state.pop(kept, None)
        held = st.session_state.get(key)
        if held is not None and not low <= held <= high:
            st.session_state[key] = value
    st.session_state[ranges] = (low, high)
    typed = container.number_input(ranged(label, low, high) if say_range else label, value=value, key=key, **kwargs)
    if typed is not None and low <= typed <= high:
        st.session_state[kept] = typed
        return typed, True
    used = st.session_state.get(kept, value)
    if kwargs.get("disabled"):
        return used, True
    shown = "An empty box" if typed is None else number_text(typed)
    container.error(f"{shown} is outside {number_text(low)}–{number_text(high)}: the page still uses "
                    f"{number_text(used)}.")
    return used, False


def note(text: str) -> None:
    """A 'what to notice' sentence under a figure."""
    st.info(text, icon="👀")


def natural_image(container, image, **kwargs) -> None:
    """st.image at the picture's own pixel width: a caption wider than a small picture would otherwise enlarge
    it, and pictures shown side by side at one scale would come out at different sizes."""
    container.image(image, width=int(getattr(image, "shape", (0, 0))[1]) or "content", **kwargs)


def in_words(items) -> str:
    """'a', 'a and b', 'a, b and c'."""
    items = [str(i) for i in items]
    return " and ".join(items) if len(items) <= 2 else ", ".join(items[:-1]) + " and " + items[-1]


def a_digit(d) -> str:
    """'a 3', but 'an 8'."""
    return f"an {d}" if int(d) == 8 else f"a {d}"
