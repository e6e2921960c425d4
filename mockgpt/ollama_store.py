"""The models an Ollama server has: the configured ones, changed by pull, create, copy, delete.

One ``OllamaModels`` per server (``ServerState.ollama_models``), in memory and bounded like
the other stores: it keeps the models added (``/api/pull``, ``/api/create``, ``/api/copy``),
the configured ones deleted (``/api/delete``) and the digests of the blobs uploaded
(``/api/blobs/<digest>``, their bytes dropped), and forgets them with the stored objects
(``Engine.reset``), when the server lists its configured models again.
"""

from __future__ import annotations

from collections.abc import Sequence

from mockgpt.bounded import Bounded
from mockgpt.render.ollama_models import LocalModel, local_model, tag_name


class OllamaModels:
    """What ``/api/tags`` lists beyond the server's configured models, and the blobs uploaded.

    Args:
        size: the most models added (and the most configured models deleted) kept; the oldest
            is forgotten first.
    """

    def __init__(self, size: int) -> None:
        self._added: Bounded[str, LocalModel] = Bounded(size)
        self._deleted: Bounded[str, bool] = Bounded(size)
        self.blobs: Bounded[str, int] = Bounded(size)
        """The blobs uploaded: size in bytes by digest (``sha256:<64 hex>``)."""

    def listed(self, configured: Sequence[str]) -> list[LocalModel]:
        """The models the server has, most recently modified first (as Ollama lists them).

        Args:
            configured: the server's model names (``--models``), in order; a missing tag
                means ``latest``.
        """
        models = self._added.values()[::-1]  # newest first among equal times
        seen: set[str] = set()
        for name in configured:
            tagged = tag_name(name)
            if tagged not in seen and tagged not in self._deleted and tagged not in self._added:
                models.append(local_model(tagged))
            seen.add(tagged)
        return sorted(models, key=lambda m: -m.modified_ns)

    def find(self, name: str, configured: Sequence[str]) -> LocalModel | None:
        """The model ``name`` (a missing tag means ``latest``), None when the server has none."""
        tagged = tag_name(name)
        added = self._added.get(tagged)
        if added is not None:
            return added
        if tagged in self._deleted or all(tag_name(c) != tagged for c in configured):
            return None
        return local_model(tagged)

    def add(self, model: LocalModel) -> None:
        """Keep ``model`` (pulled, created or copied), replacing one of the same name."""
        self._deleted.pop(model.name)
        self._added.pop(model.name)
        self._added[model.name] = model

    def delete(self, name: str, configured: Sequence[str]) -> bool:
        """Forget the model ``name``; whether the server had it."""
        tagged = tag_name(name)
        if self.find(tagged, configured) is None:
            return False
        self._added.pop(tagged)
        if any(tag_name(c) == tagged for c in configured):
            self._deleted[tagged] = True
        return True

    def clear(self) -> None:
        """Forget every change: the server has its configured models again."""
        self._added.clear()
        self._deleted.clear()
        self.blobs.clear()
