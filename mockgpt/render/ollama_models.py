"""Ollama's models as its native API describes them: lists, ``show``, and progress lines.

Spec: Ollama ``docs/api.md``, "List Local Models", "Show Model Information", "List Running
Models", "Pull a Model" and "Create a Model"; field order as in Ollama's ``api/types.go``.
Nothing here is stored: a ``LocalModel`` is the description of one model (its name, the model
its weights come from, its digest and what ``/api/create`` set), and sizes, digests and
details are derived from names, so every answer is reproducible.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from mockgpt.render.ollama import rfc3339_nano
from mockgpt.sse import dumps
from mockgpt.types import JSONObject, JSONValue

MODIFIED_AT_S = 1_700_000_000
"""``modified_at`` of every configured model, Unix seconds: fixed, so answers are reproducible."""


def tag_name(model: str) -> str:
    """The name Ollama lists a model under: ``llama3`` -> ``llama3:latest``.

    Spec: ``docs/api.md`` "Model names": a missing tag defaults to ``latest``.
    """
    return model if ":" in model else f"{model}:latest"


def same_model(a: str, b: str) -> bool:
    """Whether two model names name the same model (a missing tag means ``latest``)."""
    return tag_name(a) == tag_name(b)


def _family(model: str) -> str:
    if "embed" in model:
        return "bert"
    base = model.rsplit("/", 1)[-1].lower()
    found = re.match(r"[a-z]+", base)
    return found.group(0) if found else "llama"


def _parameters(model: str) -> tuple[str, int]:
    """``parameter_size`` (``8B``) and the parameter count, read from the name when it says."""
    found = re.search(r"(?<![\w.])(\d+(?:\.\d+)?)([bm])(?![a-z])", model.lower())
    if found is None:
        return ("137M", 137_000_000) if "embed" in model else ("7B", 7_000_000_000)
    number, unit = found.group(1), found.group(2)
    count = int(float(number) * (1e9 if unit == "b" else 1e6))
    return f"{number}{unit.upper()}", count


def model_details(model: str) -> JSONObject:
    """``ModelDetails`` of ``model``, guessed from its name.

    Shape: ``{parent_model, format, family, families, parameter_size, quantization_level}``.
    """
    family = _family(model)
    return {
        "parent_model": "",
        "format": "gguf",
        "family": family,
        "families": [family],
        "parameter_size": _parameters(model)[0],
        "quantization_level": "Q4_K_M",
    }


def _size_bytes(model: str) -> int:
    # About 4.8 bits per parameter (Q4_K_M), plus a stable per-name offset.
    offset = int(hashlib.sha256(model.encode()).hexdigest()[:5], 16)
    return int(_parameters(model)[1] * 0.6) + offset


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


_TEMPLATE = (
    "{{- if .System }}system: {{ .System }}\n{{ end }}"
    "{{- range .Messages }}{{ .Role }}: {{ .Content }}\n{{ end }}assistant: "
)
_PARAMETERS: tuple[tuple[str, JSONValue], ...] = (("num_ctx", 8192), ("stop", "user:"))


@dataclass(frozen=True)
class LocalModel:
    """One model a server has, as ``/api/tags`` lists it and ``/api/show`` shows it.

    Attributes:
        name: the tag name, e.g. ``llama3:latest``.
        base: the model whose weights it has (itself, unless created or copied); its details,
            size and ``model_info`` are read from this name.
        digest: the manifest's sha256, 64 hex digits.
        modified_ns: when it was pulled, created or copied, Unix nanoseconds.
        parent: ``details.parent_model``: the model ``/api/create`` made it from, or empty.
        system: the system prompt ``/api/create`` set; None for none.
        template: the prompt template ``/api/create`` set; None for the default.
        parameters: the ``PARAMETER`` lines, ``(name, value)`` in order.
    """

    name: str
    base: str
    digest: str
    modified_ns: int = MODIFIED_AT_S * 1_000_000_000
    parent: str = ""
    system: str | None = None
    template: str | None = None
    parameters: tuple[tuple[str, JSONValue], ...] = _PARAMETERS

    @property
    def size_bytes(self) -> int:
        """The size of its layers, bytes (weights, template, parameters, system)."""
        return sum(size for _, _, size in layers(self))

    @property
    def embedding(self) -> bool:
        """Whether it is an embedding model (its base's name says ``embed``)."""
        return "embed" in self.base


def local_model(name: str, modified_ns: int = MODIFIED_AT_S * 1_000_000_000) -> LocalModel:
    """The model ``name`` as pulled from the library (or configured): its own base."""
    tagged = tag_name(name)
    return LocalModel(tagged, tagged, _sha256(tagged), modified_ns)


def _parameters_json(model: LocalModel) -> str:
    return dumps(dict(model.parameters)).decode()


def layers(model: LocalModel) -> list[tuple[str, str, int]]:
    """The model's layers, ``(kind, sha256, size in bytes)``: weights, template, params, system.

    The weights' digest depends on the base only, so a copy or a model created from another
    shares that layer, as Ollama's blobs are shared.
    """
    template = model.template if model.template is not None else _TEMPLATE
    out = [
        ("model", _sha256(f"{model.base}\0model"), _size_bytes(model.base)),
        ("template", _sha256(template), len(template.encode())),
        ("params", _sha256(_parameters_json(model)), len(_parameters_json(model).encode())),
    ]
    if model.system:
        out.append(("system", _sha256(model.system), len(model.system.encode())))
    return out


def list_entry(model: LocalModel) -> JSONObject:
    """One ``models[]`` entry of ``GET /api/tags`` (``ListModelResponse``); size in bytes."""
    return {
        "name": model.name,
        "model": model.name,
        "modified_at": rfc3339_nano(model.modified_ns),
        "size": model.size_bytes,
        "digest": model.digest,
        "details": {**model_details(model.base), "parent_model": model.parent},
    }


def running_entry(model: str, expires_at_ns: int) -> JSONObject:
    """One ``models[]`` entry of ``GET /api/ps`` (``ProcessModelResponse``), all in VRAM."""
    size = _size_bytes(model)
    return {
        "name": tag_name(model),
        "model": tag_name(model),
        "size": size,
        "digest": _sha256(tag_name(model)),
        "details": model_details(model),
        "expires_at": rfc3339_nano(expires_at_ns),
        "size_vram": size,
        "context_length": 8192,
    }


def _go_quoted(value: JSONValue) -> str:
    """A parameter's value as Go's ``%#v`` writes it: strings quoted, numbers bare."""
    return dumps(value).decode()


def show_object(model: LocalModel) -> JSONObject:
    """``POST /api/show``'s ``ShowResponse`` for ``model``.

    Shape: ``{license?, modelfile, parameters, template, system?, details, model_info,
    capabilities, modified_at}``; ``model_info`` holds GGUF metadata keys
    (``general.architecture``, ...); ``parameters`` has one ``name value`` line per parameter.
    """
    family = _family(model.base)
    template = model.template if model.template is not None else _TEMPLATE
    parameters = "\n".join(f"{name:<30} {_go_quoted(v)}" for name, v in model.parameters)
    lines = [
        '# Modelfile generated by "ollama show" (mockgpt)',
        "# To build a new Modelfile based on this, replace FROM with:",
        f"# FROM {model.name}",
        "",
        f"FROM {model.base}",
        f'TEMPLATE """{template}"""',
    ]
    if model.system:
        lines.append(f'SYSTEM """{model.system}"""')
    lines += [f"PARAMETER {name} {_go_quoted(v)}" for name, v in model.parameters]
    shown: JSONObject = {
        "modelfile": "\n".join(lines) + "\n",
        "parameters": parameters,
        "template": template,
    }
    if model.system:
        shown["system"] = model.system
    shown.update(
        details={**model_details(model.base), "parent_model": model.parent},
        model_info={
            "general.architecture": family,
            "general.file_type": 15,
            "general.parameter_count": _parameters(model.base)[1],
            "general.quantization_version": 2,
            f"{family}.context_length": 8192,
            f"{family}.embedding_length": 768 if model.embedding else 4096,
            f"{family}.block_count": 12 if model.embedding else 32,
            "tokenizer.ggml.model": "gpt2",
        },
        capabilities=["embedding"] if model.embedding else ["completion", "tools"],
        modified_at=rfc3339_nano(model.modified_ns),
    )
    return shown


def pull_progress(model: LocalModel) -> list[JSONObject]:
    """The NDJSON objects of ``POST /api/pull``, in order; the last is ``{"status": "success"}``.

    ``pulling manifest``; for each layer ``pulling <12 hex>`` with ``digest``
    (``sha256:<64 hex>``) and ``total`` bytes, then again with ``completed`` = ``total``;
    ``verifying sha256 digest``; ``writing manifest``; ``success``.
    """
    out: list[JSONObject] = [{"status": "pulling manifest"}]
    for _, digest, size in layers(model):
        line: JSONObject = {"status": f"pulling {digest[:12]}", "digest": f"sha256:{digest}"}
        out += [{**line, "total": size}, {**line, "total": size, "completed": size}]
    out += [{"status": s} for s in ("verifying sha256 digest", "writing manifest", "success")]
    return out


def create_progress(model: LocalModel, base: LocalModel | None) -> list[JSONObject]:
    """The NDJSON objects of ``POST /api/create``, in order; the last is ``success``.

    A layer ``base`` (the ``from`` model) also has is ``using existing layer sha256:<hex>``,
    one it does not is ``creating new layer sha256:<hex>``; a model made from ``files``
    (``base`` None) first reads them (``parsing GGUF``). Then ``writing manifest``, ``success``.
    """
    out: list[JSONObject] = [] if base is not None else [{"status": "parsing GGUF"}]
    existing = {digest for _, digest, _ in layers(base)} if base is not None else set()
    for _, digest, _ in layers(model):
        verb = "using existing" if digest in existing else "creating new"
        out.append({"status": f"{verb} layer sha256:{digest}"})
    out += [{"status": "writing manifest"}, {"status": "success"}]
    return out


def manifest_digest(model: LocalModel) -> str:
    """The digest of a manifest listing ``model``'s layers, 64 hex digits."""
    return _sha256(" ".join(digest for _, digest, _ in layers(model)))
