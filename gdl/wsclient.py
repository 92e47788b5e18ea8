"""A minimal Streamlit client over the app's own websocket, for load tests: it asks for a page, reads every
message the server sends until the script run finishes, and can move a slider or press a button as the browser
would. It does the server's half of a visit exactly as a browser tab makes it (the same protocol messages, the
same script runs) while costing the machine next to nothing, so that N of them measure the server, not N
browsers sharing its cores.

    async with Session("http://127.0.0.1:8501") as s:
        run = await s.open("world_map")              # a Run: seconds to first element and to the end, errors
        slider = s.widget("slider", "θ3")            # the last-drawn slider whose label starts with "θ3"
        run = await s.set_value(slider, 150.0)       # a rerun (of the slider's fragment), timed the same way
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from urllib.parse import urlparse


PENDING_MARK = "fills in here by itself"  # gdl.ui.background.PENDING_MARK (a test keeps the two equal): the note
#                                           of a panel still being computed; this client imports nothing of the app


@dataclass
class Widget:
    kind: str  # the element type: "slider", "button", ...
    id: str
    label: str
    fragment_id: str = ""


@dataclass
class Run:
    first_element_s: float | None = None  # seconds from the request to the first element drawn
    finished_s: float | None = None  # seconds to the end of the script run
    errors: list[str] = field(default_factory=list)  # exception elements the run drew (uncaught errors)
    elements: int = 0
    texts: list[str] = field(default_factory=list)  # markdown, metric values and the like, in order


def _element_text(element) -> str | None:
    kind = element.WhichOneof("type")
    if kind == "markdown":
        return element.markdown.body
    if kind == "metric":
        return f"{element.metric.label}: {element.metric.body}"
    if kind == "alert":
        return element.alert.body
    return None


class Session:
    """One browser-like session on a Streamlit server (async context manager)."""

    def __init__(self, url: str, timeout: float = 300.0):
        parts = urlparse(url)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.ws_url = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/_stcore/stream"
        self.timeout = timeout
        self.page_name = ""
        self.page_script_hash = ""
        self.widgets: list[Widget] = []
        self._ws = None

    async def __aenter__(self) -> Session:
        import websockets

        self._ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], origin=self.origin,
                                            max_size=None, open_timeout=self.timeout)
        return self

    async def __aexit__(self, *exc) -> None:
        await self._ws.close()

    # ---- what a browser tab does ----------------------------------------------------------------------------
    async def open(self, page_name: str) -> Run:
        """Ask for a page by its URL path ("" for the home page), as a browser does on load or navigation."""
        self.page_name, self.page_script_hash, self.widgets = page_name, "", []
        return await self._rerun()

    async def fill_in(self, run: Run, timeout: float = 300.0) -> Run:
        """While the page shows a panel still being computed (gdl.ui.background's note), run it again every
        second, as its polling fragment makes the browser do; returns the last run."""
        return await self.rerun_until(run, lambda r: not any(PENDING_MARK in text for text in r.texts), timeout)

    async def rerun_until(self, run: Run, done, timeout: float = 300.0, poll: float = 1.0) -> Run:
        """Until done(run) holds (or `timeout` seconds pass), wait `poll` seconds and run the page again."""
        import asyncio

        start = time.perf_counter()
        while not done(run) and time.perf_counter() - start < timeout:
            await asyncio.sleep(poll)
            run = await self.reload()
        return run

    async def reload(self) -> Run:
        """Run the page again from the top with its defaults (what a panel's fill-in does)."""
        self.widgets = []
        return await self._rerun()

    def widget(self, kind: str, label_start: str) -> Widget:
        """The last-drawn widget of this kind whose label starts with `label_start`."""
        found = [w for w in self.widgets if w.kind == kind and w.label.startswith(label_start)]
        if not found:
            raise LookupError(f"no {kind} labelled {label_start!r} on this page")
        return found[-1]

    async def set_value(self, widget: Widget, value: float) -> Run:
        """Move a numeric widget (slider, number input) to `value`: a rerun of its fragment, or of the page."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=widget.id)
        if widget.kind == "slider":  # a slider's value travels as a list (one number, or two for a range)
            state.double_array_value.data.append(float(value))
        else:
            state.double_value = float(value)
        return await self._rerun([state], widget.fragment_id)

    async def click(self, widget: Widget) -> Run:
        """Press a button: a rerun with its trigger set."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        return await self._rerun([WidgetState(id=widget.id, trigger_value=True)], widget.fragment_id)

    # ---- the protocol ---------------------------------------------------------------------------------------
    async def _rerun(self, states=(), fragment_id: str = "") -> Run:
        import asyncio

        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        msg = BackMsg()
        client = msg.rerun_script
        client.query_string = ""
        client.page_name = self.page_name
        client.page_script_hash = self.page_script_hash
        client.widget_states.widgets.extend(states)
        if fragment_id:
            client.fragment_id = fragment_id
        run = Run()
        start = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        deadline = start + self.timeout
        while True:
            data = await asyncio.wait_for(self._ws.recv(), timeout=max(0.1, deadline - time.perf_counter()))
            fmsg = ForwardMsg()
            fmsg.ParseFromString(data)
            kind = fmsg.WhichOneof("type")
            if kind == "new_session":
                self.page_script_hash = fmsg.new_session.page_script_hash or self.page_script_hash
            elif kind == "page_info_changed" or kind == "navigation":
                hash_ = getattr(getattr(fmsg, kind), "page_script_hash", "")
                self.page_script_hash = hash_ or self.page_script_hash
            elif kind == "delta" and fmsg.delta.WhichOneof("type") == "new_element":
                element = fmsg.delta.new_element
                run.elements += 1
                if run.first_element_s is None:
                    run.first_element_s = time.perf_counter() - start
                el_kind = element.WhichOneof("type")
                if el_kind == "exception":
                    run.errors.append(f"{element.exception.type}: {element.exception.message}"[:300])
                text = _element_text(element)
                if text is not None:
                    run.texts.append(text)
                widget = getattr(element, el_kind, None)
                if widget is not None and getattr(widget, "id", "") and hasattr(widget, "label"):
                    self.widgets.append(Widget(el_kind, widget.id, widget.label, fmsg.delta.fragment_id))
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fmsg.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # the server started the run again (st.rerun): keep reading
                if status == "FINISHED_WITH_COMPILE_ERROR":
                    run.errors.append("the page did not compile")
                run.finished_s = time.perf_counter() - start
                return run
