"""``RemoteMock``: one test's view of a mockgpt running elsewhere (``--mockgpt-url``).

Several pytest-xdist workers, or several CI jobs, can share one running mock (one
``mockgpt serve``, or several replicas with ``--state``): each test sends its own test id
(the ``X-Mockgpt-Test`` header), so the stubs it adds, its sequences and its journal are its
own, and its reset forgets only them. Everything goes over HTTP (the admin API); nothing is
shared with the server's process.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    import openai

TIMEOUT_S = 30.0
"""How long one admin request may take, seconds."""


def remote_test_id(node_id: str, worker: str | None) -> str:
    """A test id for a pytest node: its id, prefixed by the xdist worker (``gw0``) if any."""
    text = f"{worker}:{node_id}" if worker else node_id
    return re.sub(r"[^\x21-\x7e]", "_", text)  # a header value: visible ASCII only


class RemoteMock:
    """One test's view of the mock at ``url`` under ``test_id``.

    Args:
        url: the mock's base URL, ``http://HOST:PORT`` (without ``/v1``).
        test_id: sent with every request in ``header``.
        header: the server's ``--test-header``.
        api_key: the server's ``--api-key`` (and admin token), if it needs one.

    Attributes:
        base_url: the OpenAI base URL, ``<url>/v1``.
        headers: what every request of this test sends (its test id).
    """

    def __init__(
        self, url: str, test_id: str, *, header: str = "X-Mockgpt-Test", api_key: str = "x"
    ) -> None:
        self.url = url.rstrip("/").removesuffix("/v1")
        self.base_url = self.url + "/v1"
        self.test_id = test_id
        self.api_key = api_key
        self.headers = {header: test_id}
        self._http = httpx.Client(
            base_url=self.url,
            headers={**self.headers, "authorization": f"Bearer {api_key}"},
            timeout=TIMEOUT_S,
        )

    def client(self, **options: Any) -> openai.OpenAI:
        """An official client bound to the mock, sending this test's id."""
        import openai

        headers = {**self.headers, **options.pop("default_headers", {})}
        return openai.OpenAI(
            base_url=self.base_url, api_key=self.api_key, default_headers=headers, **options
        )

    def stub(self, *stubs: dict[str, Any], priority: int = 0) -> list[str]:
        """Add stubs (as the admin API takes them) for this test only; their ids.

        Raises:
            httpx.HTTPStatusError: the mock refused them (the body says why).
        """
        answer = self._http.post(
            "/_mockgpt/stubs", json={"stubs": list(stubs), "priority": priority}
        )
        answer.raise_for_status()
        ids: list[str] = answer.json()["ids"]
        return ids

    def journal(self) -> list[dict[str, Any]]:
        """This test's journal entries, oldest first (``GET /_mockgpt/journal``)."""
        answer = self._http.get("/_mockgpt/journal")
        answer.raise_for_status()
        entries: list[dict[str, Any]] = answer.json()["data"]
        return entries

    def reset(self) -> None:
        """Forget this test's stubs, sequences, chaos and journal (others' stay)."""
        self._http.post("/_mockgpt/reset").raise_for_status()

    def close(self) -> None:
        """Reset and close the connection."""
        try:
            self.reset()
        finally:
            self._http.close()
