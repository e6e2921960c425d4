"""The images wire: a small deterministic PNG per image, and ``ImagesResponse``.

PNG (ISO/IEC 15948, W3C "Portable Network Graphics"): the signature, an ``IHDR`` chunk
(8-bit RGB), one ``IDAT`` chunk (zlib-compressed scanlines, each led by filter byte 0) and
``IEND``; every chunk is its length, type, data and the CRC-32 of type and data.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import zlib

from mockgpt.types import JSONObject, JSONValue

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE = 256
"""The longest side of an image mockgpt draws, pixels: a larger ``size`` is scaled down to it,
keeping its aspect ratio (1024x1024 gives 256x256, 1536x1024 gives 256x171)."""
DEFAULT_SIZE = (1024, 1024)
"""The size of ``size: auto`` (or none)."""


def drawn_size(width: int, height: int) -> tuple[int, int]:
    """The size drawn for a requested ``width`` x ``height``, pixels (see ``MAX_SIDE``)."""
    longest = max(width, height)
    if longest <= MAX_SIDE:
        return width, height
    return max(1, width * MAX_SIDE // longest), max(1, height * MAX_SIDE // longest)


def color_of(prompt: str, index: int) -> tuple[int, int, int]:
    """The colour of the ``index``-th image for ``prompt``: three bytes of a SHA-256."""
    digest = hashlib.sha256(f"{index}\0{prompt}".encode("utf-8", "surrogatepass")).digest()
    return digest[0], digest[1], digest[2]


def parse_color(hex_rgb: str) -> tuple[int, int, int]:
    """``#rrggbb`` as three bytes."""
    return int(hex_rgb[1:3], 16), int(hex_rgb[3:5], 16), int(hex_rgb[5:7], 16)


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


def png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    """A ``width`` x ``height`` PNG of one colour with a darker diagonal stripe, bytes.

    Args:
        width: pixels, >= 1.
        height: pixels, >= 1.
        rgb: the colour, three values 0-255.
    """
    shade = bytes(c // 2 for c in rgb)
    fill = bytes(rgb)
    rows = []
    for y in range(height):
        stripe = y * width // height
        row = fill * stripe + shade + fill * (width - stripe - 1)
        rows.append(b"\x00" + row[: width * 3])
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + _chunk(b"IEND", b"")
    )


def image_item(image: bytes, *, url: str | None, revised_prompt: str | None) -> JSONObject:
    """One ``data[]`` entry: ``url`` when given, else ``b64_json``; ``revised_prompt`` if set."""
    item: JSONObject = (
        {"url": url} if url is not None else {"b64_json": base64.b64encode(image).decode()}
    )
    if revised_prompt is not None:
        item["revised_prompt"] = revised_prompt
    return item


def images_response(created: int, data: list[JSONValue]) -> JSONObject:
    """``ImagesResponse``: ``created`` (Unix seconds) and the ``data[]`` items."""
    return {"created": created, "data": data}


def gpt_image_fields(*, quality: str, size: str, usage: JSONObject) -> JSONObject:
    """What a GPT image model's ``ImagesResponse`` adds.

    An opaque PNG's ``quality``, ``size`` (as asked) and ``usage``.
    """
    return {
        "background": "opaque",
        "output_format": "png",
        "quality": quality,
        "size": size,
        "usage": usage,
    }


def images_usage(text_tokens: int, output_tokens: int) -> JSONObject:
    """``ImagesResponse.usage`` of a GPT image model, tokens."""
    return {
        "input_tokens": text_tokens,
        "input_tokens_details": {"image_tokens": 0, "text_tokens": text_tokens},
        "output_tokens": output_tokens,
        "output_tokens_details": {"image_tokens": output_tokens, "text_tokens": 0},
        "total_tokens": text_tokens + output_tokens,
    }
