"""The note of a panel still computed in the background carries one mark, and the clients that wait for it
(the websocket load client, AppTest's settling, the browser tests) look for that same mark."""
from gdl import wsclient
from gdl.ui import background, compare


def test_every_pending_note_carries_the_mark_the_websocket_client_waits_for():
    assert wsclient.PENDING_MARK == background.PENDING_MARK
    assert background.PENDING_MARK in background.PENDING
    assert background.PENDING_MARK in compare.PENDING_NOTE
