"""Pydantic models of the request bodies, written from the OpenAI OpenAPI description.

Validation turns a JSON body into a typed request or raises ``RequestRejected`` with the
``param`` path the OpenAI API would name (``messages[0].role``).
"""

from mockgpt.models.chat import CreateChatCompletionRequest
from mockgpt.models.common import validate_request
from mockgpt.models.completions import CreateCompletionRequest
from mockgpt.models.embeddings import CreateEmbeddingRequest

__all__ = [
    "CreateChatCompletionRequest",
    "CreateCompletionRequest",
    "CreateEmbeddingRequest",
    "validate_request",
]
