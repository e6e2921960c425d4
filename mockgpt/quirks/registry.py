"""The quirk registry: every quirk's name, family, stages and the one way it departs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Family = Literal[
    "chat", "completions", "chat+completions", "embeddings", "models", "responses", "openai"
]
"""The API family a quirk belongs to; ``openai`` is every OpenAI path (errors, models)."""

Stage = Literal["request", "chunk", "frame", "body", "envelope", "switch"]
"""Where in the pipeline a quirk acts."""


@dataclass(frozen=True)
class Quirk:
    """One quirk: its name, family, the stages it acts at, and its one departure.

    Attributes:
        name: the name a scenario or ``--quirk`` gives.
        family: the API family whose answers it changes.
        stages: the pipeline stages that apply it.
        doc: the one way the answer departs from the spec.
    """

    name: str
    family: Family
    stages: tuple[Stage, ...]
    doc: str


def _quirk(name: str, family: Family, stages: tuple[Stage, ...], doc: str) -> Quirk:
    return Quirk(name, family, stages, doc)


REGISTRY: Mapping[str, Quirk] = {
    q.name: q
    for q in (
        _quirk("no-done", "chat+completions", ("frame",), "the stream ends without `data: [DONE]`"),
        _quirk(
            "no-trailing-blank-line",
            "chat+completions",
            ("frame",),
            "the last SSE event ends with one newline, not a blank line",
        ),
        _quirk(
            "chunk-id-changes",
            "chat+completions",
            ("chunk",),
            "every chunk of a stream has a different `id`",
        ),
        _quirk(
            "created-float",
            "chat+completions",
            ("chunk", "body"),
            "`created` is a float, not an integer",
        ),
        _quirk(
            "role-every-delta",
            "chat+completions",
            ("chunk",),
            "`delta.role` is repeated in every chunk, not only the first",
        ),
        _quirk(
            "missing-finish-reason",
            "chat+completions",
            ("chunk", "body"),
            "`finish_reason` is never set (stays null)",
        ),
        _quirk(
            "finish-reason-twice",
            "chat+completions",
            ("chunk",),
            "the chunk with `finish_reason` is sent twice",
        ),
        _quirk(
            "finish-stop-for-tool-calls",
            "chat",
            ("chunk", "body"),
            "`finish_reason` is `stop` when the answer is tool calls",
        ),
        _quirk(
            "finish-stop-for-length",
            "chat+completions",
            ("chunk", "body"),
            "`finish_reason` is `stop` when `max_tokens` cut the answer",
        ),
        _quirk(
            "usage-on-content-chunk",
            "chat+completions",
            ("chunk",),
            "usage rides on the last chunk with choices, no `choices: []` chunk",
        ),
        _quirk(
            "usage-always",
            "chat+completions",
            ("switch",),
            "the usage chunk is sent even without `stream_options.include_usage`",
        ),
        _quirk(
            "usage-never",
            "chat+completions",
            ("chunk",),
            "no usage chunk even with `stream_options.include_usage`",
        ),
        _quirk(
            "tool-index-missing", "chat", ("chunk",), "streamed tool-call fragments have no `index`"
        ),
        _quirk(
            "tool-arguments-object",
            "chat",
            ("chunk", "body"),
            "tool-call `arguments` is a JSON object, not a JSON string",
        ),
        _quirk(
            "tool-id-missing-stream",
            "chat",
            ("chunk",),
            "the first streamed fragment of a tool call has no `id`",
        ),
        _quirk(
            "tool-name-missing-stream",
            "chat",
            ("chunk",),
            "the first streamed fragment of a tool call has no name",
        ),
        _quirk(
            "error-not-wrapped",
            "openai",
            ("envelope",),
            "error bodies are `{message, type, param, code}` without `error`",
        ),
        _quirk(
            "error-code-int",
            "openai",
            ("envelope",),
            "`error.code` is the HTTP status as an integer",
        ),
        _quirk(
            "ndjson-content-type",
            "chat+completions",
            ("switch",),
            "streams are sent as `Content-Type: application/x-ndjson`",
        ),
        _quirk(
            "json-when-stream",
            "chat+completions",
            ("switch",),
            "`stream: true` is answered with one JSON object, not SSE",
        ),
        _quirk(
            "response-format-ignored",
            "chat",
            ("switch",),
            "`response_format` is ignored: the answer is plain text",
        ),
        _quirk(
            "embeddings-ignore-encoding-format",
            "embeddings",
            ("switch",),
            "embeddings are floats even when base64 is asked",
        ),
        _quirk(
            "models-owned-by-missing",
            "models",
            ("body",),
            "Model objects in `GET /v1/models` have no `owned_by`",
        ),
        _quirk(
            "model-retrieve-404",
            "models",
            ("switch",),
            "`GET /v1/models/{model}` answers 404 `model_not_found` for every id",
        ),
        _quirk(
            "model-retrieve-any",
            "models",
            ("switch",),
            "`GET /v1/models/{model}` answers 200 with a Model for an unknown id",
        ),
        _quirk(
            "usage-total-wrong",
            "chat",
            ("chunk", "body"),
            "chat `usage.total_tokens` is prompt + completion + 1",
        ),
        _quirk("stop-ignored", "chat", ("request",), "a valid `stop` is not applied"),
        _quirk("n-ignored", "chat", ("request",), "a valid `n` is answered with one choice"),
        _quirk(
            "ping-event",
            "chat",
            ("frame",),
            "chat streams start with `event: ping` and a blank line (no data)",
        ),
        _quirk(
            "usage-chunk-no-choices",
            "chat",
            ("chunk",),
            "the `include_usage` chunk has no `choices` key",
        ),
        _quirk(
            "created-changes", "chat", ("chunk",), "in a chat stream, chunk k has `created` + k"
        ),
        _quirk("tool-id-missing", "chat", ("body",), "non-streamed tool calls have no `id`"),
        _quirk(
            "tool-choice-required-ignored",
            "chat",
            ("request",),
            "`tool_choice: required` is treated as `auto`",
        ),
        _quirk(
            "tool-choice-named-ignored",
            "chat",
            ("request",),
            "a named `tool_choice` calls the first other function",
        ),
        _quirk(
            "tool-choice-none-ignored",
            "chat",
            ("request",),
            "`tool_choice: none` is treated as `required`",
        ),
        _quirk(
            "tool-parallel-same-index",
            "chat",
            ("chunk",),
            "every streamed tool-call fragment has `index: 0`",
        ),
        _quirk(
            "logprobs-ignored",
            "chat",
            ("chunk", "body"),
            "`logprobs` is accepted, but `choices[].logprobs` is null",
        ),
        _quirk(
            "top-logprobs-unbounded",
            "chat",
            ("request",),
            "`top_logprobs` above 20 is answered as if 20",
        ),
        _quirk(
            "completions-object-wrong",
            "completions",
            ("chunk", "body"),
            'legacy completions say `object: "completion"`',
        ),
        _quirk(
            "completions-stream-finish-empty",
            "completions",
            ("chunk",),
            'streamed legacy chunks carry `finish_reason: ""`',
        ),
        _quirk(
            "embeddings-usage-missing",
            "embeddings",
            ("body",),
            "embeddings answers have no `usage`",
        ),
        _quirk("embeddings-index-zero", "embeddings", ("body",), "every embedding has `index: 0`"),
        _quirk(
            "embeddings-dimensions-ignored",
            "embeddings",
            ("switch",),
            "a valid `dimensions` is ignored",
        ),
        _quirk(
            "validation-422",
            "openai",
            ("envelope",),
            "request validation errors are sent with status 422, not 400",
        ),
        _quirk(
            "unknown-model-400",
            "openai",
            ("switch",),
            "an unknown model (strict model list) gets 400, not 404",
        ),
        _quirk("auth-403", "openai", ("envelope",), "a wrong or missing API key gets 403, not 401"),
        _quirk(
            "retry-after-missing",
            "openai",
            ("envelope",),
            "429 answers carry no `retry-after` or `retry-after-ms`",
        ),
        _quirk(
            "stream-error-dropped",
            "chat",
            ("frame",),
            "a mid-stream error ends the stream without the error and `[DONE]`",
        ),
        _quirk(
            "content-parts-500",
            "chat",
            ("request",),
            "a message whose content is an array of parts gets a 500",
        ),
        _quirk(
            "invalid-temperature-accepted",
            "chat",
            ("request",),
            "a `temperature` outside 0..2 is answered as if 1",
        ),
        _quirk(
            "responses-fields-missing",
            "responses",
            ("body",),
            "Response objects lack `parallel_tool_calls`, `tool_choice`, `temperature` and `top_p`",
        ),
        _quirk(
            "responses-usage-chat-names",
            "responses",
            ("body",),
            "Responses `usage` is `{prompt_tokens, completion_tokens, total_tokens}`, "
            "the chat names",
        ),
        _quirk(
            "responses-input-array-rejected",
            "responses",
            ("request",),
            "`input` given as an array of items gets a 400",
        ),
        _quirk(
            "responses-function-call-output-rejected",
            "responses",
            ("request",),
            "a `function_call_output` input item gets a 400",
        ),
        _quirk(
            "responses-truncation-completed",
            "responses",
            ("chunk", "body"),
            "a response `max_output_tokens` cut is `completed`, not `incomplete`",
        ),
        _quirk(
            "responses-arguments-object",
            "responses",
            ("chunk", "body"),
            "function_call `arguments` is a JSON object, not a string",
        ),
        _quirk(
            "responses-previous-id-dropped",
            "responses",
            ("body",),
            "`previous_response_id` is accepted but the Response says null",
        ),
        _quirk(
            "responses-retrieve-stale",
            "responses",
            ("body",),
            "`GET /v1/responses/{id}` returns the response as created: `in_progress`, no output",
        ),
        _quirk(
            "responses-text-format-ignored",
            "responses",
            ("request",),
            "`text.format` is ignored: the answer is plain text",
        ),
        _quirk(
            "responses-json-when-stream",
            "responses",
            ("switch",),
            "Responses `stream: true` is answered with one JSON Response",
        ),
        _quirk(
            "responses-no-event-field",
            "responses",
            ("frame",),
            "Responses stream events have no `event:` line, only `data:`",
        ),
        _quirk(
            "responses-sequence-number-missing",
            "responses",
            ("chunk",),
            "Responses stream events have no `sequence_number`",
        ),
        _quirk(
            "responses-no-created",
            "responses",
            ("chunk",),
            "the Responses stream starts at `response.in_progress`, without `response.created`",
        ),
        _quirk(
            "responses-no-content-part-events",
            "responses",
            ("chunk",),
            "no `response.content_part.added` / `.done` around text deltas",
        ),
        _quirk(
            "responses-id-changes",
            "responses",
            ("chunk",),
            "each lifecycle event of a Responses stream has a different `response.id`",
        ),
        _quirk(
            "responses-completed-output-empty",
            "responses",
            ("chunk",),
            "the streamed `response.completed` has `output: []`",
        ),
        _quirk(
            "responses-chat-error-frame",
            "responses",
            ("frame",),
            'a Responses stream\'s error is a chat-style `data: {"error": {...}}` frame',
        ),
        _quirk(
            "no-request-id",
            "openai",
            ("switch",),
            "API responses carry no `x-request-id` header",
        ),
        _quirk(
            "models-list-omits-served",
            "models",
            ("body",),
            "`GET /v1/models` lists no model, though the configured models are served",
        ),
        _quirk(
            "stream-buffered",
            "chat+completions",
            ("switch",),
            "a stream is sent in one write with `Content-Length`, once all of it is made",
        ),
        _quirk(
            "completions-usage-never",
            "completions",
            ("chunk",),
            "legacy completion streams send no usage chunk even with "
            "`stream_options.include_usage`",
        ),
        _quirk(
            "stream-validation-in-band",
            "chat+completions",
            ("envelope",),
            "an invalid `stream: true` request gets a 200 stream with an error event, not a 400",
        ),
        _quirk(
            "completion-id-fixed",
            "chat",
            ("switch",),
            "every chat completion has the same `id`",
        ),
        _quirk(
            "chunk-id-empty",
            "chat",
            ("chunk",),
            'every chunk of a chat stream has `id: ""`',
        ),
        _quirk(
            "responses-error-nested",
            "responses",
            ("frame",),
            'a Responses stream\'s `error` event nests its fields: `{"type": "error", '
            '"error": {...}}`',
        ),
    )
}
"""Every quirk by name."""

QUIRKS: Mapping[str, str] = {name: quirk.doc for name, quirk in REGISTRY.items()}
"""Every quirk by name, with the one way it departs from the spec (``mockgpt quirks``)."""
