"""Request bodies of moderations, images and speech, and the transcription form's fields.

``POST /v1/moderations``, ``/v1/images/generations``, ``/v1/audio/speech`` (JSON) and
``/v1/audio/transcriptions`` (multipart).
"""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

from mockgpt.models.common import RequestModel

MAX_MODERATION_INPUTS = 32
"""Inputs one moderations request may hold."""


class ModerationText(RequestModel):
    """A text part of a multimodal moderation input."""

    type: Literal["text"]
    text: str


class ImageURL(RequestModel):
    """``image_url`` of an image part: a URL or a ``data:`` URL."""

    url: str


class ModerationImage(RequestModel):
    """An image part of a multimodal moderation input."""

    type: Literal["image_url"]
    image_url: ImageURL


ModerationPart = Annotated[Union[ModerationText, ModerationImage], Field(discriminator="type")]

ModerationInput = Union[
    str,
    Annotated[list[str], Field(min_length=1, max_length=MAX_MODERATION_INPUTS)],
    Annotated[list[ModerationPart], Field(min_length=1)],
]


class CreateModerationRequest(RequestModel):
    """The body of ``POST /v1/moderations`` (``CreateModerationRequest``)."""

    input: ModerationInput
    model: str = "omni-moderation-latest"

    @property
    def inputs(self) -> list[tuple[str, list[str]]]:
        """Each input as its text and the kinds it holds (``text``, ``image``), in order.

        A list of strings is one input per string; a multimodal list is one input.
        """
        value = self.input
        if isinstance(value, str):
            return [(value, ["text"])]
        if all(isinstance(v, str) for v in value):
            return [(str(v), ["text"]) for v in value]
        texts = [p.text for p in value if isinstance(p, ModerationText)]
        kinds = [
            k
            for k, t in (("text", ModerationText), ("image", ModerationImage))
            if any(isinstance(p, t) for p in value)
        ]
        return [("\n".join(texts), kinds)]


class CreateImageRequest(RequestModel):
    """The body of ``POST /v1/images/generations`` (``CreateImageRequest``)."""

    prompt: Annotated[str, Field(min_length=1, max_length=32_000)]
    model: str = "dall-e-2"
    n: Annotated[int, Field(ge=1, le=10)] | None = 1
    size: Annotated[str, Field(pattern=r"^(auto|[1-9][0-9]{0,3}x[1-9][0-9]{0,3})$")] | None = None
    response_format: Literal["url", "b64_json"] | None = None
    quality: str | None = None
    output_format: Literal["png"] | None = None
    user: str | None = None


class CreateSpeechRequest(RequestModel):
    """The body of ``POST /v1/audio/speech`` (``CreateSpeechRequest``)."""

    model: str
    input: Annotated[str, Field(max_length=4096)]
    voice: Union[str, dict[str, str]]
    response_format: Literal["mp3", "opus", "aac", "flac", "wav", "pcm"] = "mp3"
    speed: Annotated[float, Field(ge=0.25, le=4.0)] = 1.0
    stream_format: Literal["sse", "audio"] = "audio"
    instructions: str | None = None


class TranscriptionForm(BaseModel):
    """The fields of ``POST /v1/audio/transcriptions`` but ``file`` (multipart text fields)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    model: str
    response_format: Literal["json", "text", "srt", "verbose_json", "vtt"] = "json"
    prompt: str | None = None
    language: str | None = None
    stream: bool = False
    timestamp_granularities: tuple[Literal["word", "segment"], ...] = Field(
        default=("segment",), alias="timestamp_granularities[]"
    )
