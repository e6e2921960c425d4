"""What a test asserts about its requests: the journal, ``assert_*`` and the strict checks.

``_Assertions`` is the half of ``MockGPT`` (``mockgpt.testing.handle``) that reads the
journal and fails tests; ``MockGPT`` inherits it, and sets up what it reads (``server``,
``strict``, ``fallback``, ``cassette``, ``base_url``, ``stubs``). ``verify`` raises
``UnmatchedRequest`` and ``UnusedStub``, whose messages are built here.

The strict rule: every request the stubs are asked about (chat completions, legacy
completions, embeddings, Responses, Assistants runs, Ollama chat and generate) must be
answered by a stub, whether the test loaded stubs or not, unless the test lets the fallback
answer (``fallback="echo"``) or is not strict. There is no exemption: an embeddings stub
scripts its vectors with ``respond.embedding`` (or takes the deterministic ones with
``respond: {}``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from mockgpt.scenarios.registry import LoadedStub
from mockgpt.testing.calls import ENDPOINTS, Call, StubRef

if TYPE_CHECKING:
    from mockgpt.cassette import Cassette
    from mockgpt.server import MockServer

logger = logging.getLogger(__name__)

IDLE_WAIT_S = 2.0
"""How long the start and end of a test wait for socket requests still in flight, seconds."""

_SHOWN_STUBS = 5

AllowedFallback = Literal["echo", "lorem"]
"""What may answer a test's requests no stub matched (``MockGPT(fallback=...)``, the marker's)."""


def _requests(count: int, endpoint: str | None = None) -> str:
    return f"{count} {endpoint + ' ' if endpoint else ''}request{'s' * (count != 1)}"


class UnmatchedRequest(AssertionError):
    """A request that no stub matched was answered by the fallback (strict mode).

    The message shows each such request, the stub that came closest and why every stub
    missed.
    """

    __module__ = "mockgpt.testing"  # where users import it; failures show this name


class UnusedStub(AssertionError):
    """A stub marked ``expect`` was not used, or not the expected number of times.

    The message names each such stub and why each request missed it.
    """

    __module__ = "mockgpt.testing"  # as for UnmatchedRequest


def _expectation(expect: bool | int) -> str:
    if expect is True:
        return "expected at least 1 call"
    return f"expected exactly {expect} call{'s' if expect != 1 else ''}"


def _expectation_met(loaded: LoadedStub) -> bool:
    expect = loaded.stub.expect
    if expect is None or expect is False:
        return True
    if expect is True:
        return loaded.calls >= 1
    return loaded.calls == expect


class _Assertions:
    """Reading the journal and failing the test: the methods ``MockGPT`` inherits from here."""

    server: MockServer
    strict: bool
    fallback: AllowedFallback | None
    cassette: Cassette | None

    if TYPE_CHECKING:  # defined by MockGPT

        @property
        def base_url(self) -> str: ...

        def stubs(self) -> list[LoadedStub]: ...

        def stub_calls(self, stub: str | StubRef) -> int: ...

    # -- the journal -----------------------------------------------------------------------

    @property
    def journal(self) -> list[Call]:
        """Every request of this test so far, oldest first.

        Over the socket, a response the client has read in full is journalled a moment
        later; this waits for that moment (not for streams still under way).
        """
        self.server.wait_journalled()
        return [Call(e, i) for i, e in enumerate(self.server.engine.journal.entries(), 1)]

    @property
    def calls(self) -> list[Call]:
        """The requests to the API, every family (``Call.endpoint``: one of ``ENDPOINTS``).

        That is chat completions, legacy completions, embeddings, Responses, conversations,
        Assistants (assistants, threads, messages, runs), Ollama's native API (``/api/...``)
        and models; only requests to paths mockgpt does not serve are left out.
        """
        return [c for c in self.journal if c.endpoint is not None]

    @property
    def call_count(self) -> int:
        """How many API requests this test made, every family (as ``calls``)."""
        return len(self.calls)

    @property
    def last_request(self) -> Call:
        """The last API request, whatever its family (as ``calls``).

        Raises:
            AssertionError: no API request reached the mock.
        """
        calls = self.calls
        if not calls:
            journal = self.journal  # requests to paths mockgpt does not serve, if any
            raise AssertionError(
                f"no API request reached mockgpt at {self.base_url}" + self._listing(journal)
                if journal
                else f"no request reached mockgpt at {self.base_url}"
            )
        return calls[-1]

    @property
    def last_messages(self) -> list[dict[str, Any]]:
        """The ``messages`` of the last API request.

        Raises:
            AssertionError: no request reached the mock.
        """
        return self.last_request.messages

    def assert_called(self, times: int | None = None, *, endpoint: str | None = None) -> list[Call]:
        """Assert how many API requests were made.

        Args:
            times: exactly this many; at least one when None.
            endpoint: count only this API family, one of ``ENDPOINTS``: ``chat.completions``,
                ``completions``, ``embeddings``, ``responses``, ``conversations``,
                ``assistants``, ``ollama``, ``models``.

        Returns:
            The requests counted.

        Raises:
            AssertionError: another count; the message says what was counted and lists
                every request received, with the count by endpoint.
            ValueError: ``endpoint`` is not one of ``ENDPOINTS``.
        """
        __tracebackhide__ = True
        if endpoint is not None and endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {', '.join(ENDPOINTS)}, got {endpoint!r}")
        calls = [c for c in self.calls if endpoint is None or c.endpoint == endpoint]
        if (times is None and calls) or len(calls) == times:
            return calls
        expected = (
            f"at least {_requests(1, endpoint)}" if times is None else _requests(times, endpoint)
        )
        raise AssertionError(
            f"expected {expected} to mockgpt, got {len(calls)}" + self._listing(self.journal)
        )

    def assert_tool_result(
        self,
        name: str | None = None,
        *,
        content: str | None = None,
        tool_call_id: str | None = None,
    ) -> dict[str, Any]:
        """Assert that a request sent back a tool result (a ``tool`` message).

        Args:
            name: the function whose call it answers.
            content: text the result must contain.
            tool_call_id: the call it answers.

        Returns:
            The latest such result: ``{"tool_call_id", "name", "content"}``.

        Raises:
            AssertionError: no request holds such a result; the message shows the last
                request's messages.
        """
        __tracebackhide__ = True
        for call in reversed(self.calls):
            for result in call.tool_results[::-1]:
                if name is not None and result["name"] != name:
                    continue
                if content is not None and content not in result["content"]:
                    continue
                if tool_call_id is not None and result["tool_call_id"] != tool_call_id:
                    continue
                return result
        wanted = [
            f"{key}={value!r}"
            for key, value in (("name", name), ("content", content), ("tool_call_id", tool_call_id))
            if value is not None
        ]
        message = "no request sent back a tool result" + (
            f" with {', '.join(wanted)}" if wanted else ""
        )
        calls = self.calls
        if not calls:
            raise AssertionError(f"{message}: no request reached mockgpt")
        last = calls[-1]
        raise AssertionError(
            f"{message}; the last request ({last.index} of {len(calls)}) sent:\n" + last.describe()
        )

    def assert_stub_used(self, stub: str | StubRef, times: int | None = None) -> None:
        """Assert that a stub answered requests.

        Args:
            stub: its id, or the reference ``stub()`` returned.
            times: exactly this many requests; at least one when None.

        Raises:
            AssertionError: another count; the message says why each request missed it.
            KeyError: no stub has that id.
        """
        __tracebackhide__ = True
        stub_id = stub.id if isinstance(stub, StubRef) else stub
        calls = self.stub_calls(stub_id)
        if (times is None and calls) or calls == times:
            return
        expected = "at least 1 call" if times is None else f"{times} call{'s' * (times != 1)}"
        lines = [
            f"stub {stub_id} answered {calls} request{'s' * (calls != 1)}, expected {expected}"
        ]
        lines.extend(self._why_missed(stub_id, self.journal))
        raise AssertionError("\n".join(lines))

    # -- strict checks ---------------------------------------------------------------------

    def verify(self) -> None:
        """Fail on what went wrong during the test (the fixture calls it at teardown).

        Raises:
            Exception: the first exception the server raised while serving this test (a bug
                in mockgpt), re-raised as it was.
            UnmatchedRequest: strict, and the fallback answered a request no stub matched,
                whether the test loaded stubs or none (embeddings too); not when
                ``fallback`` lets it answer, and not while recording a cassette (the
                upstream answers them).
            UnusedStub: strict, and a stub marked ``expect`` was not used as expected.
        """
        __tracebackhide__ = True
        if not self.server.wait_idle(IDLE_WAIT_S):
            logger.warning("mockgpt: requests still in flight after %s s at verify", IDLE_WAIT_S)
        errors = list(self.server.engine.errors)
        self.server.engine.errors.clear()
        if errors:
            first = errors[0]
            if len(errors) > 1 and hasattr(first, "add_note"):
                first.add_note(f"mockgpt raised {len(errors) - 1} more: {errors[1:]!r}")
            raise first
        if not self.strict:
            return
        calls = self.journal
        recording = self.cassette is not None and self.cassette.recording
        allowed = recording or self.fallback is not None
        unmatched = [] if allowed else [c for c in calls if c.unmatched]
        unused = [s for s in self.stubs() if not _expectation_met(s)]
        if unmatched:
            raise UnmatchedRequest(self._unmatched_message(unmatched, calls, unused))
        if unused:
            raise UnusedStub(self._unused_message(unused, calls))

    def _unmatched_message(
        self, unmatched: list[Call], calls: list[Call], unused: list[LoadedStub]
    ) -> str:
        count = len(unmatched)
        lines = [
            f"{count} request{'s' * (count != 1)} matched no stub; "
            f"the fallback answered {'them' if count != 1 else 'it'}."
        ]
        stubs = {s.id: s for s in self.stubs()}
        for call in unmatched:
            lines += [
                "",
                f"request {call.index} of {len(calls)}: {call.method} {call.path} -> {call.status}",
                call.describe(),
            ]
            ranked = []
            for position, stub_id in enumerate(call.misses or stubs):
                loaded = stubs.get(stub_id)
                result = loaded.matcher.check(call._view) if loaded else None
                reason = call.misses.get(stub_id) or (result.reason if result else "")
                closeness = result.closeness if result else 0.0
                held = f"{result.held} of {result.total}" if result else "?"
                ranked.append((-closeness, position, stub_id, reason, held))
            ranked.sort()
            if not ranked:
                lines.append("  no stub is loaded: the test added none and its scenarios have none")
            else:
                _, _, stub_id, reason, held = ranked[0]
                lines += [f"  closest stub: {stub_id} ({held} conditions held)", f"    {reason}"]
                others = sorted(ranked[1:], key=lambda r: r[1])
                if others:
                    lines.append("  other stubs:")
                    lines += [f"    {r[2]}: {r[3]}" for r in others[:_SHOWN_STUBS]]
                    if len(others) > _SHOWN_STUBS:
                        lines.append(f"    ... and {len(others) - _SHOWN_STUBS} more")
        if unused:
            lines += ["", "Also: " + self._unused_message(unused, calls, listing=False)]
        add = "Add a stub that matches, or fix the closest one" if stubs else "Add a stub for it"
        lines += [
            "",
            f'{add}; to let the echo fallback answer, use @pytest.mark.mockgpt(fallback="echo").',
        ]
        if self.cassette is not None:
            lines.append(
                f"The cassette {self.cassette.path} does not hold this request; to record "
                "it again, run pytest --mockgpt-record=all."
            )
        return "\n".join(lines)

    def _unused_message(
        self, unused: list[LoadedStub], calls: list[Call], *, listing: bool = True
    ) -> str:
        count = len(unused)
        lines = [
            f"{count} stub{'s' * (count != 1)} marked `expect` {'was' if count == 1 else 'were'} "
            "not used as expected:"
        ]
        for loaded in unused:
            expect = loaded.stub.expect
            assert expect is not None
            lines.append(f"  {loaded.id}: {_expectation(expect)}, got {loaded.calls}")
            lines.extend("  " + line for line in self._why_missed(loaded.id, calls))
        text = "\n".join(lines)
        return text + self._listing(calls) if listing else text

    def _why_missed(self, stub_id: str, calls: list[Call]) -> list[str]:
        loaded = next((s for s in self.stubs() if s.id == stub_id), None)
        lines = []
        for call in calls:
            if call.stub == stub_id or not (call.stub or call.fallback):
                continue  # the stub answered it, or no stub was asked
            reason = call.misses.get(stub_id)
            if reason is None and loaded is not None:
                result = loaded.matcher.check(call._view)
                reason = (
                    f"it matches, but {call.stub} came first"
                    if result.matched and call.stub
                    else result.reason or "it matches"
                )
            lines.append(f"  request {call.index}: {reason or 'not tried'}")
        return lines

    def _listing(self, calls: list[Call]) -> str:
        """Every request received, after a line counting them by endpoint."""
        if not calls:
            return "\n\nno request reached mockgpt."
        counts: dict[str, int] = {}
        for call in calls:
            family = call.endpoint or "unknown path"
            counts[family] = counts.get(family, 0) + 1
        by_endpoint = ", ".join(f"{family} {count}" for family, count in counts.items())
        lines = [
            f"requests received ({len(calls)}), by endpoint: {by_endpoint}",
            *("  " + c.summary() for c in calls),
        ]
        return "\n\n" + "\n".join(lines)
