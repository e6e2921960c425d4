"""The HTTP route of every method of the installed ``openai`` client, read from its source.

The walk starts at ``openai.OpenAI``'s resource properties (``client.chat``, ``client.beta``, ...)
and goes down through each resource's sub-resources; the async client mirrors the sync one, so it
is not walked. Each public method's source is parsed with :mod:`ast`:

- ``self._get / _post / _patch / _put / _delete (path, ...)`` and ``self._get_api_list(path, ...,
  method="get")`` are the HTTP calls the method makes itself; ``path`` is a string, an f-string
  (``f"/responses/{response_id}"``) or ``path_template("/responses/{response_id}", ...)``.
- A class built by the method that has a ``_prepare_url`` (the ``...ConnectionManager`` of
  ``client.realtime.connect``) opens a WebSocket at the path its ``_prepare_url`` appends
  (``b"/realtime"``): the route's method is ``WEBSOCKET``.
- ``self.create`` / ``self.with_raw_response.retrieve`` / ``self._client.files.create`` are calls
  of other SDK methods, named as users call them. A private method of the resource, and a module
  function given ``self`` (``runs_create_and_poll(self, ...)``), are read as part of the method.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import openai
from openai._resource import SyncAPIResource

VERBS = {"_get": "GET", "_post": "POST", "_patch": "PATCH", "_put": "PUT", "_delete": "DELETE"}
"""The resource's HTTP call methods and the HTTP method each sends (``_get_api_list``: its
``method=`` argument, ``GET`` by default)."""

WEBSOCKET = "WEBSOCKET"
"""The method of a WebSocket route, in the SDK's routes and in mockgpt's route table."""

_WRAPPERS = {"with_raw_response", "with_streaming_response"}


@dataclass(frozen=True, order=True)
class Route:
    """One call on the wire.

    ``method`` is ``GET``, ``POST``, ..., or ``WEBSOCKET``; ``path`` a template relative to the
    base URL (``/responses/{response_id}``; ``?`` when unreadable).
    """

    method: str
    path: str

    def __str__(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class SdkMethod:
    """A public method of a resource as users call it (``client.chat.completions.create``).

    ``routes`` are the calls it makes itself, ``uses`` the other SDK methods it calls (names).
    """

    name: str
    routes: set[Route] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)


def path_of(node: ast.expr) -> str | None:
    """The path template an expression builds, or None when it builds none.

    ``"/files"`` and ``b"/realtime"`` as they are; ``f"/files/{file_id}"`` with each replacement
    field named after its variable or attribute (``{self.__session_id}`` -> ``{session_id}``);
    ``path_template("/x/{id}", id=...)`` and ``"...".encode()`` by their first argument.
    """
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        text = node.value.decode() if isinstance(node.value, bytes) else node.value
        return text if text.startswith("/") and text != "/" else None
    if isinstance(node, ast.JoinedStr):
        parts: list[str] = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                parts.append("{" + _field_name(value.value) + "}")
        text = "".join(parts)
        return text if text.startswith("/") else None
    if isinstance(node, ast.Call) and node.args:
        func = node.func
        if _callee_name(func) == "path_template":
            return path_of(node.args[0])
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "encode"
    ):
        return path_of(node.func.value)
    return None


def _field_name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr.strip("_")
    return ast.unparse(node)


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _chain(node: ast.expr) -> list[str]:
    """``self.a.b`` -> ``["self", "a", "b"]``; ``[]`` when the root is not a plain name."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return []
    names.append(node.id)
    return names[::-1]


def http_calls(tree: ast.AST, self_name: str = "self") -> list[Route]:
    """The HTTP calls ``self_name._get(path, ...)`` etc. under ``tree``, in source order.

    Args:
        tree: a parsed function (or any AST).
        self_name: the name the resource goes by (``resource`` in the SDK's ``lib`` helpers).
    """
    found: list[tuple[int, int, Route]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func, args = node.func, node.args
        if _callee_name(func) == "partial" and args:  # partial(self._post, path, ...)
            func, args = args[0], args[1:]
        chain = _chain(func)
        if len(chain) != 2 or chain[0] != self_name:
            continue
        verb = chain[1]
        if verb in VERBS:
            method = VERBS[verb]
        elif verb == "_get_api_list":
            method = "GET"
            for keyword in node.keywords:
                if keyword.arg == "method" and isinstance(keyword.value, ast.Constant):
                    method = str(keyword.value.value).upper()
        else:
            continue
        path = path_of(args[0]) if args else None
        route = Route(method, path.partition("?")[0] if path else "?")  # the query is no route
        found.append((node.lineno, node.col_offset, route))
    return [route for _, _, route in sorted(found)]


def websocket_path(cls: type) -> str | None:
    """The path a connection manager's ``_prepare_url`` appends to the WebSocket base URL.

    ``/realtime`` for ``client.realtime.connect``'s manager; None when ``cls`` has no
    ``_prepare_url`` or it appends no path.
    """
    prepare = getattr(cls, "_prepare_url", None)
    if prepare is None:
        return None
    for node in ast.walk(_parse(prepare)):
        if isinstance(node, ast.expr):
            path = path_of(node)
            if path is not None:
                return path
    return None


def _parse(func: Callable[..., Any]) -> ast.Module:
    return ast.parse(textwrap.dedent(inspect.getsource(func)))


def _is_property(value: object) -> bool:
    return isinstance(value, (cached_property, property))


def resources(client: openai.OpenAI) -> dict[str, SyncAPIResource]:
    """Every resource reachable from ``client`` by its properties, sorted by name.

    The names are those users write: ``client.chat.completions``.
    """
    found: dict[str, SyncAPIResource] = {}

    def visit(owner: object, name: str) -> None:
        for attr in sorted(dir(type(owner))):
            if attr.startswith("_") or attr in _WRAPPERS:
                continue
            if not _is_property(inspect.getattr_static(type(owner), attr)):
                continue
            child = getattr(owner, attr)
            if isinstance(child, SyncAPIResource):
                found[f"{name}.{attr}"] = child
                visit(child, f"{name}.{attr}")

    visit(client, "client")
    return dict(sorted(found.items()))


def public_methods(resource: SyncAPIResource) -> list[str]:
    """The names of a resource's public methods (its properties and sub-resources excluded)."""
    cls = type(resource)
    return sorted(
        attr
        for attr in dir(cls)
        if not attr.startswith("_") and inspect.isfunction(inspect.getattr_static(cls, attr))
    )


class _Reader:
    """Reads one method's source (and what it delegates to) into an :class:`SdkMethod`."""

    def __init__(self, client: openai.OpenAI, names: dict[int, str]) -> None:
        self.client = client
        self.names = names  # id(resource) -> its name

    def read(self, name: str, resource: SyncAPIResource, attr: str) -> SdkMethod:
        method = SdkMethod(name)
        func = inspect.getattr_static(type(resource), attr)
        self._read(func, "self", resource, method, set())
        return method

    def _read(
        self,
        func: Callable[..., Any],
        self_name: str,
        resource: SyncAPIResource,
        into: SdkMethod,
        seen: set[int],
    ) -> None:
        func = inspect.unwrap(func)
        if id(func) in seen:
            return
        seen.add(id(func))
        tree = _parse(func)
        into.routes.update(http_calls(tree, self_name))
        scope = func.__globals__
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute):
                chain = _chain(node)
                if chain[:1] == [self_name] and len(chain) > 1:
                    self._follow(chain[1:], resource, into, seen)
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                target = scope.get(node.func.id)
                if isinstance(target, type):
                    path = websocket_path(target)
                    if path is not None:
                        into.routes.add(Route(WEBSOCKET, path))
                    elif _passes(node, self_name):
                        self._read_holder(target, resource, into, seen)
                elif inspect.isfunction(target) and _passes(node, self_name):
                    first = next(iter(inspect.signature(target).parameters))
                    self._read(target, first, resource, into, seen)

    def _read_holder(
        self, cls: type, resource: SyncAPIResource, into: SdkMethod, seen: set[int]
    ) -> None:
        """Read a helper object built with the resource (``AgentSessionStream(self, ...)``).

        Its ``__init__`` keeps the resource as ``self.<attr>``; its methods call
        ``self.<attr>.*``.
        """
        init = vars(cls).get("__init__")
        if not inspect.isfunction(init) or id(cls) in seen:
            return
        seen.add(id(cls))
        parameters = list(inspect.signature(init).parameters)
        if len(parameters) < 2:
            return
        kept = parameters[1]  # (self, resource, ...)
        attrs = {
            target.attr
            for node in ast.walk(_parse(init))
            if isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Name)
            and node.value.id == kept
            for target in node.targets
            if isinstance(target, ast.Attribute)
        }
        for func in vars(cls).values():
            if not inspect.isfunction(func):
                continue
            for node in ast.walk(_parse(func)):
                chain = _chain(node) if isinstance(node, ast.Attribute) else []
                if len(chain) > 2 and chain[0] == "self" and chain[1] in attrs:
                    self._follow(chain[2:], resource, into, seen)

    def _follow(
        self, attrs: list[str], resource: SyncAPIResource, into: SdkMethod, seen: set[int]
    ) -> None:
        """Resolve ``self.<attrs>`` to an SDK method used, or a private method read inline."""
        owner: object = resource
        for attr in attrs:
            if attr in _WRAPPERS:
                continue
            if attr == "_client" and owner is resource:
                owner = self.client
                continue
            static = inspect.getattr_static(type(owner), attr, None)
            if _is_property(static):
                owner = getattr(owner, attr)
                continue
            if not inspect.isfunction(static) or not isinstance(owner, SyncAPIResource):
                return
            if not attr.startswith("_"):
                if id(owner) in self.names:
                    into.uses.add(f"{self.names[id(owner)]}.{attr}")
            elif not hasattr(SyncAPIResource, attr):
                self._read(static, "self", owner, into, seen)
            return


def _passes(call: ast.Call, self_name: str) -> bool:
    first = call.args[0] if call.args else None
    return isinstance(first, ast.Name) and first.id == self_name


def sdk_methods(client: openai.OpenAI | None = None) -> dict[str, SdkMethod]:
    """Every public method of the installed SDK's resources, by name, sorted.

    Args:
        client: the client to walk; by default one made here (no request is sent).
    """
    client = client or openai.OpenAI(api_key="sk-coverage", base_url="http://127.0.0.1:9/v1")
    found = resources(client)
    reader = _Reader(client, {id(resource): name for name, resource in found.items()})
    methods: dict[str, SdkMethod] = {}
    for name, resource in found.items():
        for attr in public_methods(resource):
            methods[f"{name}.{attr}"] = reader.read(f"{name}.{attr}", resource, attr)
    return dict(sorted(methods.items()))
