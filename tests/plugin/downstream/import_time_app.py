"""An application whose OpenAI clients are built when it is imported, before any fixture runs.

Its tests import it at the top of their module, so pytest imports it while collecting them:
the clients read ``OPENAI_BASE_URL`` and the keys then, and keep what they read.
"""

from __future__ import annotations

import openai
from openai import AsyncAzureOpenAI, AsyncOpenAI, AzureOpenAI, OpenAI

MODEL = "gpt-4o-mini"
AZURE_ENDPOINT = "https://contoso.openai.azure.com"

client = OpenAI(max_retries=0)
async_client = AsyncOpenAI(max_retries=0)
azure_client = AzureOpenAI(azure_endpoint=AZURE_ENDPOINT, api_version="2024-06-01", max_retries=0)
async_azure_client = AsyncAzureOpenAI(
    azure_endpoint=AZURE_ENDPOINT, api_version="2024-06-01", max_retries=0
)


def _messages(question: str) -> list[openai.types.chat.ChatCompletionMessageParam]:
    return [{"role": "user", "content": question}]


def ask(question: str) -> str | None:
    reply = client.chat.completions.create(model=MODEL, messages=_messages(question))
    return reply.choices[0].message.content


async def ask_async(question: str) -> str | None:
    reply = await async_client.chat.completions.create(model=MODEL, messages=_messages(question))
    return reply.choices[0].message.content


def ask_azure(question: str) -> str | None:
    reply = azure_client.chat.completions.create(model=MODEL, messages=_messages(question))
    return reply.choices[0].message.content


async def ask_azure_async(question: str) -> str | None:
    reply = await async_azure_client.chat.completions.create(
        model=MODEL, messages=_messages(question)
    )
    return reply.choices[0].message.content


def stream(question: str) -> str:
    chunks = client.chat.completions.create(model=MODEL, messages=_messages(question), stream=True)
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)


def draw(prompt: str) -> str | None:
    """An endpoint mockgpt does not serve: image edits."""
    edited = client.images.edit(model="gpt-image-1", image=("cat.png", b"png"), prompt=prompt)
    return edited.data[0].url  # type: ignore[index]


async def draw_async(prompt: str) -> str | None:
    images = await async_client.images.edit(
        model="gpt-image-1", image=("cat.png", b"png"), prompt=prompt
    )
    return images.data[0].url  # type: ignore[index]


def draw_or_describe(prompt: str) -> str:
    """Swallows the failure, as applications with a fallback do."""
    try:
        return draw(prompt) or ""
    except openai.APIError:
        return f"(a picture of {prompt})"
