"""Streamlit sessions without a browser: clients that speak the app's websocket protocol.

A browser session is a websocket to ``/_stcore/stream`` carrying protobufs: the client sends
``BackMsg.rerun_script`` (the query string, the page and the widget states), the server answers with
``ForwardMsg``s (deltas, then ``script_finished``). :class:`ProtocolClient` does the same, so a load
test of N sessions costs the machine almost nothing beyond the server: no layout, no plotly drawing.

What a client measures is *input -> script finished*: from sending a widget change to receiving the
server's ``script_finished`` for that run (the server's share of what a user waits for; the drawing
happens on the user's own machine).
"""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Optional

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

#: ScriptFinishedStatus values that mean the run completed (see streamlit/proto/ForwardMsg.proto)
FINISHED_OK = {ForwardMsg.FINISHED_SUCCESSFULLY, ForwardMsg.FINISHED_FRAGMENT_RUN_SUCCESSFULLY}
#: [s] longest wait for one run before it counts as an error
RUN_TIMEOUT_S = 180.0


class RunError(RuntimeError):
    """A run that raised in the app, finished with an error status, or timed out."""


@dataclass
class Run:
    ms: float  # input -> script finished [ms]
    exceptions: int  # st.exception elements the run drew (an app error shown to the user)


@dataclass
class ProtocolClient:
    """One Streamlit session over the websocket protocol.

    ``url`` is the app's base URL (``http://127.0.0.1:8501`` or a proxy's ``http://host:port/base``).
    """

    url: str
    query_string: str = ""
    widgets: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (element type, label)
    page_script_hash: str = ""
    cookies: str = ""
    _ws: Optional[object] = None

    async def connect(self) -> None:
        ws_url = self.url.replace("http://", "ws://").replace("https://", "wss://").rstrip("/") + "/_stcore/stream"
        headers = {"Cookie": self.cookies} if self.cookies else None
        self._ws = await websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2 ** 27,
                                            additional_headers=headers, open_timeout=60)

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def run(self, widget_states: Optional[list[WidgetState]] = None) -> Run:
        """Send one rerun and wait for its ``script_finished`` [ms]; RunError when it failed."""
        msg = BackMsg()
        msg.rerun_script.query_string = self.query_string
        msg.rerun_script.page_script_hash = self.page_script_hash
        for w in widget_states or ():
            msg.rerun_script.widget_states.widgets.append(w)
        t0 = time.perf_counter()
        await self._ws.send(msg.SerializeToString())
        exceptions = 0
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise RunError(f"no script_finished within {RUN_TIMEOUT_S:.0f} s")
            try:
                raw = await asyncio.wait_for(self._ws.recv(), timeout=remaining)
            except asyncio.TimeoutError:
                raise RunError(f"no script_finished within {RUN_TIMEOUT_S:.0f} s") from None
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "navigation" and fm.navigation.page_script_hash:
                self.page_script_hash = fm.navigation.page_script_hash
            elif kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                el = fm.delta.new_element
                et = el.WhichOneof("type")
                if et == "exception":
                    exceptions += 1
                sub = getattr(el, et) if et else None
                wid = getattr(sub, "id", "") if sub is not None else ""
                if wid:
                    self.widgets[wid] = (et, getattr(sub, "label", ""))
            elif kind == "script_finished":
                ms = (time.perf_counter() - t0) * 1000.0
                if fm.script_finished not in FINISHED_OK:
                    raise RunError(f"script finished with status {fm.script_finished}")
                return Run(ms, exceptions)

    def widget_id(self, key: str, label_prefix: str = "") -> str:
        """The id of the widget whose user key is ``key`` (or whose label starts with ``label_prefix``)."""
        for wid, (_, label) in self.widgets.items():
            if wid.endswith(f"-{key}") or (label_prefix and label.startswith(label_prefix)):
                return wid
        raise KeyError(f"no widget with key '{key}' on the page (seen: {sorted(self.widgets)[:10]} ...)")


def number_state(widget_id: str, value: float) -> WidgetState:
    """A number_input's new value, as the browser sends it."""
    w = WidgetState()
    w.id = widget_id
    w.double_value = float(value)
    return w
