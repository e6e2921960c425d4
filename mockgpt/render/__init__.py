"""Renderers: the only code that knows wire field names.

Each renderer turns canonical events (``mockgpt.events``) into the wire objects of one API
family: ``chat`` (``ChatCompletion`` / ``ChatCompletionChunk``), ``completions`` (legacy
``text_completion``) and ``embeddings``.
"""
