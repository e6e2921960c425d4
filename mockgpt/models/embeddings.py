"""``CreateEmbeddingRequest``: the body of ``POST /v1/embeddings``."""

from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import Field

from mockgpt.models.common import RequestModel

EmbeddingInput = Union[
    Annotated[str, Field(min_length=1)],
    Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=2048)],
    Annotated[list[int], Field(min_length=1)],
    Annotated[
        list[Annotated[list[int], Field(min_length=1)]], Field(min_length=1, max_length=2048)
    ],
]


class CreateEmbeddingRequest(RequestModel):
    """The body of ``POST /v1/embeddings`` (``CreateEmbeddingRequest``)."""

    model: str
    input: EmbeddingInput
    encoding_format: Literal["float", "base64"] = "float"
    dimensions: Annotated[int, Field(ge=1)] | None = None
    user: str | None = None

    @property
    def texts(self) -> list[str]:
        """Each input as text, in order; token-id inputs become space-separated numbers."""
        value = self.input
        if isinstance(value, str):
            return [value]
        if all(isinstance(v, str) for v in value):
            return [str(v) for v in value]
        if all(isinstance(v, int) for v in value):
            return [" ".join(str(t) for t in value)]
        return [" ".join(str(t) for t in v) for v in value if isinstance(v, list)]
