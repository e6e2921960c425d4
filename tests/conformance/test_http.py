"""The raw client never charges a dropped connection to the next request."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest

from conformance.failures import Violation
from conformance.http import RawClient

OK = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}"
ERROR = (
    b"HTTP/1.1 500 Internal Server Error\r\ncontent-type: application/json\r\n"
    b"content-length: 2\r\n\r\n{}"
)


def _read_request(conn: socket.socket) -> bool:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = conn.recv(65536)
        if not piece:
            return False
        data += piece
    return True


@contextmanager
def raw_server(answer: Callable[[int, int], bytes | None]) -> Iterator[tuple[str, list[int]]]:
    """A keep-alive HTTP server: ``answer(connection number, request number on it)`` gives the
    bytes to send, or None to close the connection without answering."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    connections: list[int] = []

    def serve(conn: socket.socket, number: int) -> None:
        with conn:
            request = 0
            while _read_request(conn):
                request += 1
                reply = answer(number, request)
                if reply is None:
                    return
                conn.sendall(reply)

    def accept() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            connections.append(len(connections) + 1)
            threading.Thread(target=serve, args=(conn, len(connections)), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1", connections
    finally:
        listener.close()


def client(url: str) -> RawClient:
    return RawClient(url, None, timeout_s=5, stream_timeout_s=5)


@pytest.mark.parametrize("stream", [False, True], ids=["whole", "stream"])
def test_raw_client_retries_once_when_a_reused_connection_is_reset(stream: bool) -> None:
    """The server answers one request per connection and drops the next without a word."""
    with raw_server(lambda _, request: OK if request == 1 else None) as (url, connections):
        raw = client(url)
        first = raw.exchange("GET", "/models")
        assert raw.send(first).status == 200
        again = raw.exchange("POST", "/chat/completions", {}, stream=stream)
        result = raw.send_stream(again) if stream else raw.send(again)
        raw.close()
    assert result.status == 200
    assert len(connections) == 2


def test_raw_client_does_not_retry_a_reset_on_a_fresh_connection() -> None:
    with raw_server(lambda _, __: None) as (url, connections):
        raw = client(url)
        with pytest.raises(Violation) as caught:
            raw.send(raw.exchange("GET", "/models"))
        raw.close()
    assert caught.value.path == "<connection>"
    assert len(connections) == 1


def test_raw_client_opens_a_fresh_connection_after_a_5xx() -> None:
    """A server that answers a 500 and then drops that connection costs the next request
    nothing: it goes out on a new connection, and no retry is needed."""
    replies = {(1, 1): ERROR, (2, 1): OK}
    with raw_server(lambda c, r: replies.get((c, r))) as (url, connections):
        raw = client(url)
        assert raw.send(raw.exchange("POST", "/chat/completions", {})).status == 500
        assert raw.send(raw.exchange("GET", "/models")).status == 200
        raw.close()
    assert connections == [1, 2]
    assert raw.reconnects == 1


def test_raw_client_reuses_a_healthy_connection() -> None:
    with raw_server(lambda _, __: OK) as (url, connections):
        raw = client(url)
        for _ in range(3):
            assert raw.send(raw.exchange("GET", "/models")).status == 200
        raw.close()
    assert connections == [1]
