"""``CreateChatCompletionRequest`` and its parts (spec: ``components.schemas``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import Discriminator, Field, Tag, model_validator

from mockgpt.errors import RequestRejected
from mockgpt.models.common import (
    BAD_TYPE_TAG,
    MISSING_TAG,
    GenerationMixin,
    RequestModel,
    StreamOptions,
)


def _tag_of(key: str, prefix: str) -> Any:
    """A discriminator reading ``value[key]``; tags are ``prefix:value`` (see ``param_path``)."""

    def tag(value: Any) -> str | None:
        if isinstance(value, dict):
            found = value.get(key)
            if found is None:
                return f"{prefix}:{MISSING_TAG}"
            return f"{prefix}:{found}" if isinstance(found, str) else f"{prefix}:{BAD_TYPE_TAG}"
        if isinstance(value, RequestModel):
            return f"{prefix}:{getattr(value, key, None)}"
        return None

    return tag


class TextPart(RequestModel):
    """``ChatCompletionRequestMessageContentPartText``."""

    type: Literal["text"]
    text: str


class ImageURL(RequestModel):
    """The ``image_url`` object of an image part."""

    url: str
    detail: Literal["auto", "low", "high"] | None = None


class ImagePart(RequestModel):
    """``ChatCompletionRequestMessageContentPartImage``."""

    type: Literal["image_url"]
    image_url: ImageURL


class InputAudio(RequestModel):
    """The ``input_audio`` object of an audio part."""

    data: str
    format: str


class AudioPart(RequestModel):
    """``ChatCompletionRequestMessageContentPartAudio``."""

    type: Literal["input_audio"]
    input_audio: InputAudio


class FilePart(RequestModel):
    """``ChatCompletionRequestMessageContentPartFile``."""

    type: Literal["file"]
    file: dict[str, Any]


class RefusalPart(RequestModel):
    """``ChatCompletionRequestMessageContentPartRefusal`` (assistant messages)."""

    type: Literal["refusal"]
    refusal: str


ContentPart = Annotated[
    Annotated[TextPart, Tag("part:text")]
    | Annotated[ImagePart, Tag("part:image_url")]
    | Annotated[AudioPart, Tag("part:input_audio")]
    | Annotated[FilePart, Tag("part:file")]
    | Annotated[RefusalPart, Tag("part:refusal")],
    Discriminator(_tag_of("type", "part")),
]

Content = Union[str, Annotated[list[ContentPart], Field(min_length=1)]]


class FunctionCall(RequestModel):
    """``function`` of an assistant tool call: name and JSON-text arguments."""

    name: str
    arguments: str


class ToolCall(RequestModel):
    """``ChatCompletionMessageToolCall`` in an assistant message of the conversation."""

    id: str
    type: Literal["function"]
    function: FunctionCall


class SystemMessage(RequestModel):
    """``ChatCompletionRequestSystemMessage``."""

    role: Literal["system"]
    content: Content
    name: str | None = None


class DeveloperMessage(RequestModel):
    """``ChatCompletionRequestDeveloperMessage``."""

    role: Literal["developer"]
    content: Content
    name: str | None = None


class UserMessage(RequestModel):
    """``ChatCompletionRequestUserMessage``."""

    role: Literal["user"]
    content: Content
    name: str | None = None


class AssistantMessage(RequestModel):
    """``ChatCompletionRequestAssistantMessage``: content may be null when tool calls are given."""

    role: Literal["assistant"]
    content: Content | None = None
    refusal: str | None = None
    name: str | None = None
    tool_calls: list[ToolCall] | None = None
    function_call: FunctionCall | None = None


class ToolMessage(RequestModel):
    """``ChatCompletionRequestToolMessage``: a tool result, answering ``tool_call_id``."""

    role: Literal["tool"]
    content: Content
    tool_call_id: str


class FunctionMessage(RequestModel):
    """``ChatCompletionRequestFunctionMessage`` (deprecated)."""

    role: Literal["function"]
    content: str | None
    name: str


Message = Annotated[
    Annotated[SystemMessage, Tag("role:system")]
    | Annotated[DeveloperMessage, Tag("role:developer")]
    | Annotated[UserMessage, Tag("role:user")]
    | Annotated[AssistantMessage, Tag("role:assistant")]
    | Annotated[ToolMessage, Tag("role:tool")]
    | Annotated[FunctionMessage, Tag("role:function")],
    Discriminator(_tag_of("role", "role")),
]


class FunctionDefinition(RequestModel):
    """``FunctionObject``: a function the model may call."""

    name: Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]
    description: str | None = None
    parameters: dict[str, Any] | None = None
    strict: bool | None = None


class FunctionTool(RequestModel):
    """``ChatCompletionTool``: ``{"type": "function", "function": {...}}``."""

    type: Literal["function"]
    function: FunctionDefinition


class CustomTool(RequestModel):
    """``CustomToolChatCompletions``: a free-form tool."""

    type: Literal["custom"]
    custom: dict[str, Any]


Tool = Annotated[
    Annotated[FunctionTool, Tag("tool:function")] | Annotated[CustomTool, Tag("tool:custom")],
    Discriminator(_tag_of("type", "tool")),
]


class NamedFunction(RequestModel):
    """The ``function`` of a named tool choice."""

    name: str


class NamedToolChoice(RequestModel):
    """``ChatCompletionNamedToolChoice``: force a call of one function."""

    type: Literal["function"]
    function: NamedFunction


class AllowedToolsChoice(RequestModel):
    """``ChatCompletionAllowedToolsChoice``."""

    type: Literal["allowed_tools"]
    allowed_tools: dict[str, Any]


class CustomToolChoice(RequestModel):
    """``ChatCompletionNamedToolChoiceCustom``."""

    type: Literal["custom"]
    custom: dict[str, Any]


ToolChoice = Union[
    Literal["none", "auto", "required"],
    Annotated[
        Annotated[NamedToolChoice, Tag("choice:function")]
        | Annotated[AllowedToolsChoice, Tag("choice:allowed_tools")]
        | Annotated[CustomToolChoice, Tag("choice:custom")],
        Discriminator(_tag_of("type", "choice")),
    ],
]


class JSONSchemaFormat(RequestModel):
    """``ResponseFormatJsonSchema.json_schema``."""

    name: Annotated[str, Field(pattern=r"^[a-zA-Z0-9_-]{1,64}$")]
    description: str | None = None
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    strict: bool | None = None


class ResponseFormatText(RequestModel):
    """``ResponseFormatText``."""

    type: Literal["text"]


class ResponseFormatJSONObject(RequestModel):
    """``ResponseFormatJsonObject``: the content is a JSON object."""

    type: Literal["json_object"]


class ResponseFormatJSONSchema(RequestModel):
    """``ResponseFormatJsonSchema``: the content follows ``json_schema.schema``."""

    type: Literal["json_schema"]
    json_schema: JSONSchemaFormat


ResponseFormat = Annotated[
    Annotated[ResponseFormatText, Tag("format:text")]
    | Annotated[ResponseFormatJSONObject, Tag("format:json_object")]
    | Annotated[ResponseFormatJSONSchema, Tag("format:json_schema")],
    Discriminator(_tag_of("type", "format")),
]

Stop = Union[str, Annotated[list[str], Field(max_length=4)], None]


class CreateChatCompletionRequest(GenerationMixin, RequestModel):
    """The body of ``POST /v1/chat/completions`` (``CreateChatCompletionRequest``).

    Fields the mock does not act on (``temperature``, ``seed``, ``user`` ...) are still
    type-checked, so a client error gets the same 400 as from the API. Unknown fields are kept.
    """

    model: str
    messages: Annotated[list[Message], Field(min_length=1)]
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    n: Annotated[int, Field(ge=1, le=128)] | None = None
    max_tokens: Annotated[int, Field(ge=1)] | None = None
    max_completion_tokens: Annotated[int, Field(ge=1)] | None = None
    stop: Stop = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    logit_bias: dict[str, Annotated[int, Field(ge=-100, le=100)]] | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, Field(ge=0, le=20)] | None = None
    tools: list[Tool] | None = None
    tool_choice: ToolChoice | None = None
    parallel_tool_calls: bool | None = None
    response_format: ResponseFormat | None = None
    seed: int | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None
    service_tier: str | None = None

    @model_validator(mode="after")
    def _check_combinations(self) -> CreateChatCompletionRequest:
        self.check_stream_options()
        if self.top_logprobs is not None and not self.logprobs:
            raise RequestRejected(
                400,
                "Invalid value for 'top_logprobs': 'logprobs' must be set to true "
                "if 'top_logprobs' is used.",
                param="top_logprobs",
                code="invalid_value",
            )
        return self

    @property
    def choice_count(self) -> int:
        """``n``, defaulting to 1."""
        return self.n or 1

    @property
    def token_limit(self) -> int | None:
        """``max_completion_tokens``, else the deprecated ``max_tokens``, else None."""
        return self.max_completion_tokens or self.max_tokens


def content_text(content: object) -> str:
    """The text of a message's ``content``: the string, or its text parts joined."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part.text if isinstance(part, TextPart) else getattr(part, "refusal", "")
            for part in content
        )
    return ""
