"""A map picture that reports clicks: the World Map page's way to place a point, with no Plotly on the page.

The picture is a `gdl.mapimage.Canvas` drawn on the server; a small component (components/click_map/click_map.js,
a plain ES module read from the package) shows it and sends back the longitude and latitude of a click inside
the plane.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from gdl.mapimage import Canvas

JS = Path(__file__).resolve().parent / "components" / "click_map" / "click_map.js"


@st.cache_resource(show_spinner=False)
def _component():
    """Register the component once per server."""
    return st.components.v2.component("gdl_click_map", js=JS.read_text(encoding="utf-8"))


def last_click(value) -> tuple[float, float] | None:
    """(longitude, latitude) of the click held in a click map's state (its session-state value), or None."""
    click = value.get("click") if hasattr(value, "get") else getattr(value, "click", None)
    if not click:
        return None
    return float(click["lon"]), float(click["lat"])


def click_map(canvas: Canvas, key: str, on_click=None) -> tuple[float, float] | None:
    """Show the canvas; `on_click` runs (as a widget callback) after each click inside its plane. Returns the
    last click as (longitude, latitude), or None."""
    x0, y0, x1, y1 = canvas.plane
    data = {"src": canvas.png_uri(), "plane": [x0, y0, x1, y1], "view": list(canvas.view)}
    result = _component()(data=data, key=key, default={"click": None}, on_click_change=on_click or (lambda: None),
                          height="content")
    return last_click(result)
