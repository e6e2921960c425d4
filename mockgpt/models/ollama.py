"""Ollama's request bodies, and the canonical prompt of ``/api/chat`` and ``/api/generate``.

Spec: Ollama's API reference (``docs/api.md``): ``ChatRequest``, ``GenerateRequest``,
``Message``, ``ToolCall``, ``Options``, ``EmbedRequest``, ``EmbeddingRequest``, ``ShowRequest``,
``PullRequest``, ``CreateRequest``, ``CopyRequest``, ``DeleteRequest``. Ollama's messages
become the canonical ``Prompt`` (tool calls get ids, tool results point at them); ``format``
becomes the output format.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Field

from mockgpt.conversation import TEXT, OutputFormat, Prompt, Tool, messages_from_chat, tools_json
from mockgpt.errors import RequestRejected
from mockgpt.models.common import RequestModel
from mockgpt.sse import dumps
from mockgpt.types import JSONValue


class OllamaFunctionCall(RequestModel):
    """``ToolCallFunction``: ``arguments`` is an object (a JSON text is accepted too)."""

    name: str
    arguments: Union[dict[str, Any], str] = Field(default_factory=dict)
    index: int | None = None


class OllamaToolCall(RequestModel):
    """``ToolCall`` in an assistant message of the conversation; ``id`` in recent Ollama."""

    function: OllamaFunctionCall
    id: str | None = None


class OllamaMessage(RequestModel):
    """``Message``: role ``system`` / ``user`` / ``assistant`` / ``tool``; ``images`` ignored."""

    role: Literal["system", "user", "assistant", "tool"]
    content: str | None = None
    images: list[Any] | None = None
    thinking: str | None = None
    tool_calls: list[OllamaToolCall] | None = None
    tool_name: str | None = None
    tool_call_id: str | None = None


class OllamaFunction(RequestModel):
    """``ToolFunction``: a function the model may call."""

    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class OllamaTool(RequestModel):
    """``Tool``: ``{"type": "function", "function": {...}}``."""

    type: Literal["function"] = "function"
    function: OllamaFunction


class OllamaOptions(RequestModel):
    """``Options`` the mock acts on; the others (``temperature``, ``num_ctx`` ...) are kept."""

    num_predict: int | None = None
    stop: Union[str, list[str], None] = None
    seed: int | None = None


class OllamaRequest(RequestModel):
    """What ``/api/chat`` and ``/api/generate`` bodies share: model, stream, format, options."""

    model: str
    stream: bool | None = None
    format: Union[str, dict[str, Any], None] = None
    options: OllamaOptions | None = None
    keep_alive: Union[int, float, str, None] = None
    think: Union[bool, str, None] = None


class OllamaChatRequest(OllamaRequest):
    """The body of ``POST /api/chat`` ("Generate a chat completion")."""

    messages: list[OllamaMessage] | None = None
    tools: list[OllamaTool] | None = None


class OllamaGenerateRequest(OllamaRequest):
    """The body of ``POST /api/generate`` ("Generate a completion")."""

    prompt: str | None = None
    suffix: str | None = None
    system: str | None = None
    template: str | None = None
    context: list[int] | None = None
    raw: bool | None = None
    images: list[Any] | None = None


def _output(fmt: str | dict[str, Any] | None) -> OutputFormat:
    """``format``: ``json`` -> ``json_object``, a schema -> ``json_schema``, else text.

    Raises:
        RequestRejected: 400 for a value that is neither ``json`` nor a schema.
    """
    if fmt is None or fmt == "":
        return TEXT
    if fmt == "json":
        return OutputFormat("json_object", param="format")
    if isinstance(fmt, dict):
        return OutputFormat("json_schema", fmt, "format", param="format")
    raise RequestRejected(400, f'invalid format: expected "json" or a JSON schema, got {fmt!r}')


def _tools(tools: list[OllamaTool] | None) -> tuple[Tool, ...]:
    """The functions offered."""
    return tuple(
        Tool(
            t.function.name,
            t.function.description,
            t.function.parameters,
            param=f"tools[{index}].function.parameters",
        )
        for index, t in enumerate(tools or ())
    )


def chat_messages(messages: list[OllamaMessage]) -> list[JSONValue]:
    """Ollama messages -> chat messages; tool calls get ids and tool results point at them.

    An assistant tool call without ``id`` (older Ollama) gets ``call_<message>_<call>``. A tool
    result answers, in this order: its ``tool_call_id``; the first unanswered call of its
    ``tool_name``; the first unanswered call; else ``call_<tool_name>``.
    """
    out: list[JSONValue] = []
    pending: list[tuple[str, str]] = []  # (call id, function name) not yet answered
    for position, message in enumerate(messages):
        content = message.content or ""
        if message.role == "assistant" and message.tool_calls:
            calls: list[JSONValue] = []
            pending = []
            for index, call in enumerate(message.tool_calls):
                call_id = call.id or f"call_{position}_{index}"
                arguments = call.function.arguments
                calls.append(
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {
                            "name": call.function.name,
                            "arguments": arguments
                            if isinstance(arguments, str)
                            else dumps(arguments).decode(),
                        },
                    }
                )
                pending.append((call_id, call.function.name))
            out.append({"role": "assistant", "content": content or None, "tool_calls": calls})
        elif message.role == "tool":
            name = message.tool_name
            found = message.tool_call_id
            if found is None:
                named = [p for p in pending if p[1] == name] if name else pending
                found = named[0][0] if named else f"call_{name or 'tool'}"
            pending = [p for p in pending if p[0] != found]
            out.append({"role": "tool", "content": content, "tool_call_id": found})
        else:
            out.append({"role": message.role, "content": content})
    return out


def ollama_stops(options: OllamaOptions | None) -> tuple[str, ...]:
    """``options.stop`` as a tuple of non-empty stop sequences."""
    stop = options.stop if options is not None else None
    stops = [stop] if isinstance(stop, str) else (stop or [])
    return tuple(s for s in stops if s)


def ollama_prompt(
    req: OllamaRequest, messages: list[JSONValue], tools: list[OllamaTool] | None = None
) -> Prompt:
    """The canonical ``Prompt`` of ``messages`` (chat form, see ``chat_messages``) and ``tools``.

    The chat-shaped ``tools`` are offered; ``format`` gives the output format.

    Raises:
        RequestRejected: 400 for a ``format`` that is neither ``json`` nor a schema.
    """
    offered = _tools(tools)
    return Prompt(
        messages=messages_from_chat(messages),
        tools=offered,
        output=_output(req.format),
        tools_text=tools_json(offered),
    )


class OllamaEmbedRequest(RequestModel):
    """The body of ``POST /api/embed`` ("Generate Embeddings").

    ``input`` is one text or a list of texts (read by the route, which answers a wrong type
    with Ollama's ``invalid input type``); ``truncate``, ``options`` and ``keep_alive`` are
    accepted and change nothing; ``dimensions`` shortens the vectors as ``/v1/embeddings``'s does.
    """

    model: str
    input: Any = None
    truncate: bool | None = None
    dimensions: Annotated[int, Field(ge=1)] | None = None
    options: dict[str, Any] | None = None
    keep_alive: Union[int, float, str, None] = None


class OllamaEmbeddingsRequest(RequestModel):
    """The body of ``POST /api/embeddings`` ("Generate Embedding", superseded by ``/api/embed``)."""

    model: str
    prompt: str | None = None
    options: dict[str, Any] | None = None
    keep_alive: Union[int, float, str, None] = None


class OllamaModelRequest(RequestModel):
    """A body naming one model: ``/api/show``, ``/api/pull``, ``/api/delete``.

    ``name`` is the older spelling of ``model``.
    """

    model: str | None = None
    name: str | None = None
    stream: bool | None = None
    insecure: bool | None = None
    verbose: bool | None = None

    @property
    def model_name(self) -> str:
        """``model``, else ``name``; the route has checked that one is given."""
        return self.model or self.name or ""


class OllamaCreateRequest(OllamaModelRequest):
    """The body of ``POST /api/create``: a new model ``from`` another or from ``files``."""

    from_: str | None = Field(default=None, alias="from")
    files: dict[str, str] | None = None
    adapters: dict[str, str] | None = None
    template: str | None = None
    system: str | None = None
    license: Union[str, list[str], None] = None
    parameters: dict[str, Any] | None = None
    messages: list[OllamaMessage] | None = None
    quantize: str | None = None


class OllamaCopyRequest(RequestModel):
    """The body of ``POST /api/copy``."""

    source: str
    destination: str
