"""The quirk registry: every quirk's name, family, stages and the one way it departs."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Family = Literal[
    "chat",
    "completions",
    "chat+completions",
    "embeddings",
    "models",
    "responses",
    "openai",
    "batches",
    "moderations",
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


# fmt: off
_TABLE: tuple[tuple[str, Family, str, str], ...] = (
    # (name, family, stages separated by spaces, the one way it departs from the spec)
    ("no-done", "chat+completions", "frame", "the stream ends without `data: [DONE]`"),
    ("no-trailing-blank-line", "chat+completions", "frame",
     "the last SSE event ends with one newline, not a blank line"),
    ("chunk-id-changes", "chat+completions", "chunk",
     "every chunk of a stream has a different `id`"),
    ("created-float", "chat+completions", "chunk body", "`created` is a float, not an integer"),
    ("role-every-delta", "chat+completions", "chunk",
     "`delta.role` is repeated in every chunk, not only the first"),
    ("missing-finish-reason", "chat+completions", "chunk body",
     "`finish_reason` is never set (stays null)"),
    ("finish-reason-twice", "chat+completions", "chunk",
     "the chunk with `finish_reason` is sent twice"),
    ("finish-stop-for-tool-calls", "chat", "chunk body",
     "`finish_reason` is `stop` when the answer is tool calls"),
    ("finish-stop-for-length", "chat+completions", "chunk body",
     "`finish_reason` is `stop` when `max_tokens` cut the answer"),
    ("usage-on-content-chunk", "chat+completions", "chunk",
     "usage rides on the last chunk with choices, no `choices: []` chunk"),
    ("usage-always", "chat+completions", "switch",
     "the usage chunk is sent even without `stream_options.include_usage`"),
    ("usage-never", "chat+completions", "chunk",
     "no usage chunk even with `stream_options.include_usage`"),
    ("tool-index-missing", "chat", "chunk", "streamed tool-call fragments have no `index`"),
    ("tool-arguments-object", "chat", "chunk body",
     "tool-call `arguments` is a JSON object, not a JSON string"),
    ("tool-id-missing-stream", "chat", "chunk",
     "the first streamed fragment of a tool call has no `id`"),
    ("tool-name-missing-stream", "chat", "chunk",
     "the first streamed fragment of a tool call has no name"),
    ("error-not-wrapped", "openai", "envelope",
     "error bodies are `{message, type, param, code}` without `error`"),
    ("error-code-int", "openai", "envelope", "`error.code` is the HTTP status as an integer"),
    ("ndjson-content-type", "chat+completions", "switch",
     "streams are sent as `Content-Type: application/x-ndjson`"),
    ("json-when-stream", "chat+completions", "switch",
     "`stream: true` is answered with one JSON object, not SSE"),
    ("response-format-ignored", "chat", "switch",
     "`response_format` is ignored: the answer is plain text"),
    ("embeddings-ignore-encoding-format", "embeddings", "switch",
     "embeddings are floats even when base64 is asked"),
    ("models-owned-by-missing", "models", "body",
     "Model objects in `GET /v1/models` have no `owned_by`"),
    ("model-retrieve-404", "models", "switch",
     "`GET /v1/models/{model}` answers 404 `model_not_found` for every id"),
    ("model-retrieve-any", "models", "switch",
     "`GET /v1/models/{model}` answers 200 with a Model for an unknown id"),
    ("usage-total-wrong", "chat", "chunk body",
     "chat `usage.total_tokens` is prompt + completion + 1"),
    ("stop-ignored", "chat", "request", "a valid `stop` is not applied"),
    ("n-ignored", "chat", "request", "a valid `n` is answered with one choice"),
    ("ping-event", "chat", "frame",
     "chat streams start with `event: ping` and a blank line (no data)"),
    ("usage-chunk-no-choices", "chat", "chunk", "the `include_usage` chunk has no `choices` key"),
    ("created-changes", "chat", "chunk", "in a chat stream, chunk k has `created` + k"),
    ("tool-id-missing", "chat", "body", "non-streamed tool calls have no `id`"),
    ("tool-choice-required-ignored", "chat", "request",
     "`tool_choice: required` is treated as `auto`"),
    ("tool-choice-named-ignored", "chat", "request",
     "a named `tool_choice` calls the first other function"),
    ("tool-choice-none-ignored", "chat", "request", "`tool_choice: none` is treated as `required`"),
    ("tool-parallel-same-index", "chat", "chunk",
     "every streamed tool-call fragment has `index: 0`"),
    ("logprobs-ignored", "chat", "chunk body",
     "`logprobs` is accepted, but `choices[].logprobs` is null"),
    ("top-logprobs-unbounded", "chat", "request", "`top_logprobs` above 20 is answered as if 20"),
    ("completions-object-wrong", "completions", "chunk body",
     'legacy completions say `object: "completion"`'),
    ("completions-stream-finish-empty", "completions", "chunk",
     'streamed legacy chunks carry `finish_reason: ""`'),
    ("embeddings-usage-missing", "embeddings", "body", "embeddings answers have no `usage`"),
    ("embeddings-index-zero", "embeddings", "body", "every embedding has `index: 0`"),
    ("embeddings-dimensions-ignored", "embeddings", "switch", "a valid `dimensions` is ignored"),
    ("validation-422", "openai", "envelope",
     "request validation errors are sent with status 422, not 400"),
    ("unknown-model-400", "openai", "switch",
     "an unknown model (strict model list) gets 400, not 404"),
    ("auth-403", "openai", "envelope", "a wrong or missing API key gets 403, not 401"),
    ("retry-after-missing", "openai", "envelope",
     "429 answers carry no `retry-after` or `retry-after-ms`"),
    ("stream-error-dropped", "chat", "frame",
     "a mid-stream error ends the stream without the error and `[DONE]`"),
    ("content-parts-500", "chat", "request",
     "a message whose content is an array of parts gets a 500"),
    ("invalid-temperature-accepted", "chat", "request",
     "a `temperature` outside 0..2 is answered as if 1"),
    ("responses-fields-missing", "responses", "body",
     "Response objects lack `parallel_tool_calls`, `tool_choice`, `temperature` and `top_p`"),
    ("responses-usage-chat-names", "responses", "body",
     "Responses `usage` is `{prompt_tokens, completion_tokens, total_tokens}`, the chat names"),
    ("responses-input-array-rejected", "responses", "request",
     "`input` given as an array of items gets a 400"),
    ("responses-function-call-output-rejected", "responses", "request",
     "a `function_call_output` input item gets a 400"),
    ("responses-truncation-completed", "responses", "chunk body",
     "a response `max_output_tokens` cut is `completed`, not `incomplete`"),
    ("responses-arguments-object", "responses", "chunk body",
     "function_call `arguments` is a JSON object, not a string"),
    ("responses-previous-id-dropped", "responses", "body",
     "`previous_response_id` is accepted but the Response says null"),
    ("responses-retrieve-stale", "responses", "body",
     "`GET /v1/responses/{id}` returns the response as created: `in_progress`, no output"),
    ("responses-text-format-ignored", "responses", "request",
     "`text.format` is ignored: the answer is plain text"),
    ("responses-json-when-stream", "responses", "switch",
     "Responses `stream: true` is answered with one JSON Response"),
    ("responses-no-event-field", "responses", "frame",
     "Responses stream events have no `event:` line, only `data:`"),
    ("responses-sequence-number-missing", "responses", "chunk",
     "Responses stream events have no `sequence_number`"),
    ("responses-no-created", "responses", "chunk",
     "the Responses stream starts at `response.in_progress`, without `response.created`"),
    ("responses-no-content-part-events", "responses", "chunk",
     "no `response.content_part.added` / `.done` around text deltas"),
    ("responses-id-changes", "responses", "chunk",
     "each lifecycle event of a Responses stream has a different `response.id`"),
    ("responses-completed-output-empty", "responses", "chunk",
     "the streamed `response.completed` has `output: []`"),
    ("responses-chat-error-frame", "responses", "frame",
     'a Responses stream\'s error is a chat-style `data: {"error": {...}}` frame'),
    ("no-request-id", "openai", "switch", "API responses carry no `x-request-id` header"),
    ("models-list-omits-served", "models", "body",
     "`GET /v1/models` lists no model, though the configured models are served"),
    ("stream-buffered", "chat+completions", "switch",
     "a stream is sent in one write with `Content-Length`, once all of it is made"),
    ("completions-usage-never", "completions", "chunk",
     "legacy completion streams send no usage chunk even with `stream_options.include_usage`"),
    ("stream-validation-in-band", "chat+completions", "envelope",
     "an invalid `stream: true` request gets a 200 stream with an error event, not a 400"),
    ("completion-id-fixed", "chat", "switch", "every chat completion has the same `id`"),
    ("chunk-id-empty", "chat", "chunk", 'every chunk of a chat stream has `id: ""`'),
    ("moderations-illicit-missing", "moderations", "body",
     "moderation results lack the `illicit` and `illicit/violent` categories"),
    ("reasoning-content", "chat", "switch",
     "chat answers carry the reasoning text as `reasoning_content` on `delta` and `message`"),
    ("responses-reasoning-summary-events-missing", "responses", "chunk",
     "a reasoning item's summary streams no `response.reasoning_summary_*` events"),
    ("responses-error-nested", "responses", "frame",
     'a Responses stream\'s `error` event nests its fields: `{"type": "error", "error": {...}}`'),
    ("responses-background-at-once", "responses", "switch",
     "a `background: true` response is answered `completed` at once, never `queued`"),
    ("custom-id-dropped", "batches", "body",
     "a batch's output lines have `custom_id: null`, not the input line's"),
)
# fmt: on

REGISTRY: Mapping[str, Quirk] = {
    name: Quirk(name, family, tuple(stages.split()), doc)  # type: ignore[arg-type]
    for name, family, stages, doc in _TABLE
}
"""Every quirk by name."""

QUIRKS: Mapping[str, str] = {name: quirk.doc for name, quirk in REGISTRY.items()}
"""Every quirk by name, with the one way it departs from the spec (``mockgpt quirks``)."""
