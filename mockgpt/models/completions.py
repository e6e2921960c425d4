"""``CreateCompletionRequest``: the legacy ``POST /v1/completions`` body."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field, model_validator

from mockgpt.errors import RequestRejected
from mockgpt.models.chat import Stop
from mockgpt.models.common import GenerationMixin, RequestModel, StreamOptions

Prompt = Union[
    str,
    Annotated[list[str], Field(min_length=1)],
    Annotated[list[int], Field(min_length=1)],
    Annotated[list[Annotated[list[int], Field(min_length=1)]], Field(min_length=1)],
]

DEFAULT_MAX_TOKENS = 16
"""``max_tokens`` when the request gives none (spec default)."""


class CreateCompletionRequest(GenerationMixin, RequestModel):
    """The body of ``POST /v1/completions`` (``CreateCompletionRequest``)."""

    model: str
    prompt: Prompt | None = "<|endoftext|>"
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    n: Annotated[int, Field(ge=1, le=128)] | None = None
    best_of: Annotated[int, Field(ge=0, le=20)] | None = None
    max_tokens: Annotated[int, Field(ge=0)] | None = DEFAULT_MAX_TOKENS
    stop: Stop = None
    echo: bool | None = None
    suffix: str | None = None
    logprobs: Annotated[int, Field(ge=0, le=5)] | None = None
    temperature: Annotated[float, Field(ge=0, le=2)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    logit_bias: dict[str, Annotated[int, Field(ge=-100, le=100)]] | None = None
    seed: int | None = None
    user: str | None = None

    @model_validator(mode="after")
    def _check_combinations(self) -> CreateCompletionRequest:
        self.check_stream_options()
        if self.best_of is not None and self.best_of < self.choice_count:
            raise RequestRejected(
                400,
                "Invalid value for 'best_of': it must be greater than or equal to 'n'.",
                param="best_of",
                code="invalid_value",
            )
        if self.stream and self.best_of is not None and self.best_of > 1:
            raise RequestRejected(
                400,
                "Invalid value for 'best_of': 'best_of' > 1 cannot be used with 'stream'.",
                param="best_of",
                code="invalid_value",
            )
        return self

    @property
    def choice_count(self) -> int:
        """``n``, defaulting to 1."""
        return self.n or 1

    @property
    def prompts(self) -> list[str]:
        """Each prompt as text; token-id prompts become space-separated numbers."""
        prompt = self.prompt
        if prompt is None:
            return [""]
        if isinstance(prompt, str):
            return [prompt]
        if all(isinstance(p, str) for p in prompt):
            return [str(p) for p in prompt]
        if all(isinstance(p, int) for p in prompt):
            return [" ".join(str(t) for t in prompt)]
        return [" ".join(str(t) for t in p) for p in prompt if isinstance(p, list)]
