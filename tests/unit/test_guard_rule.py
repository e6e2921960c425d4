"""The leak guard's rule: which URLs are guarded and which of the mock's paths each maps to."""

from __future__ import annotations

import pytest

from mockgpt.testing.guard_rule import GuardedBase, Redirect, Rule, StoppedRequest, guarded_bases

SERVED = {("POST", "/v1/chat/completions"), ("POST", "/v1/responses"), ("GET", "/v1/models")}


def rule(environ: dict[str, str] | None = None, upstream: str | None = None) -> Rule:
    return Rule(guarded_bases(environ or {}, upstream), lambda m, p: (m, p) in SERVED)


@pytest.mark.parametrize(
    ("method", "url", "path", "query"),
    [
        ("POST", "https://api.openai.com/v1/chat/completions", "/v1/chat/completions", ""),
        ("GET", "https://API.openai.com:443/v1/models?limit=2", "/v1/models", "limit=2"),
        (
            "POST",
            "https://contoso.openai.azure.com/openai/deployments/gpt4/chat/completions"
            "?api-version=2024-06-01",
            "/v1/chat/completions",
            "",
        ),
        (
            "POST",
            "https://contoso.openai.azure.com/openai/v1/responses?api-version=preview&x=1",
            "/v1/responses",
            "x=1",
        ),
        ("POST", "https://contoso.openai.azure.com/openai/responses", "/v1/responses", ""),
    ],
    ids=["openai", "openai-query", "azure-deployment", "azure-v1", "azure-plain"],
)
def test_guard_rule_redirects_served_paths(method: str, url: str, path: str, query: str) -> None:
    outcome = rule().route(method, url, "httpx2 sync client")

    assert outcome == Redirect(path, query, url.partition("?")[0])


def test_guard_rule_maps_the_environment_base_url_below_its_path() -> None:
    environ = {"OPENAI_BASE_URL": "https://gateway.example.com/openai/v1/"}

    outcome = rule(environ).route(
        "POST", "https://gateway.example.com/openai/v1/chat/completions", "httpx sync client"
    )

    assert outcome == Redirect(
        "/v1/chat/completions", "", "https://gateway.example.com/openai/v1/chat/completions"
    )


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (
            "https://api.openai.com/v1/images/generations",
            "mockgpt serves no POST /v1/images/generations",
        ),
        ("https://api.openai.com/chat/completions", "mockgpt has no equivalent of this path"),
        ("http://api.openai.com:8080/v1/files", "mockgpt serves no POST /v1/files"),
        (
            "https://contoso.openai.azure.com/speech/recognize",
            "mockgpt has no equivalent of this path",
        ),
        (
            "https://api.openai.com/v1/traces/ingest",
            "mockgpt serves no POST /v1/traces/ingest (the OpenAI Agents SDK's trace export: "
            "turn tracing off in tests (OPENAI_AGENTS_DISABLE_TRACING=1, or "
            "RunConfig(tracing_disabled=True)))",
        ),
    ],
    ids=["unserved", "outside-v1", "any-scheme-and-port", "azure-other", "traces"],
)
def test_guard_rule_stops_what_the_mock_does_not_serve(url: str, reason: str) -> None:
    outcome = rule().route("POST", url, "aiohttp async client")

    assert outcome == StoppedRequest("POST", url, "aiohttp async client", reason)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/v1/chat/completions",
        "https://api.openai.com.evil.test/v1/chat/completions",
        "https://openai.azure.com/openai/deployments/d/chat/completions",
        "https://gateway.example.com/other/v1/chat/completions",
    ],
    ids=["loopback", "longer-host", "bare-azure-suffix", "outside-the-base-path"],
)
def test_guard_rule_leaves_other_urls_alone(url: str) -> None:
    environ = {"OPENAI_BASE_URL": "https://gateway.example.com/openai/v1"}

    assert rule(environ).route("POST", url, "httpx sync client") is None


def test_guard_rule_bases_from_the_environment_and_the_upstream() -> None:
    environ = {
        "OPENAI_BASE_URL": "http://localhost:8080/v1",
        "OPENAI_API_BASE": "not a url",
        "AZURE_OPENAI_ENDPOINT": "https://res.cognitiveservices.azure.com/",
    }

    bases = guarded_bases(environ, upstream="https://gateway.example.com/v1")

    assert bases[2:] == [
        GuardedBase("http", "localhost", 8080, "/v1"),
        GuardedBase("https", "res.cognitiveservices.azure.com", 443, "", azure=True),
        GuardedBase("https", "gateway.example.com", 443, "/v1"),
    ]
    assert [(b.host, b.whole_host) for b in bases[:2]] == [
        ("api.openai.com", True),
        (".openai.azure.com", True),
    ]


def test_guard_rule_azure_endpoint_of_the_environment_maps_azure_paths() -> None:
    environ = {"AZURE_OPENAI_ENDPOINT": "https://res.cognitiveservices.azure.com"}
    url = "https://res.cognitiveservices.azure.com/openai/deployments/d/chat/completions"

    outcome = rule(environ).route("POST", url + "?api-version=2024-06-01", "httpx client")

    assert outcome == Redirect("/v1/chat/completions", "", url)


def test_guard_rule_watches_only_the_guarded_hosts() -> None:
    watched = rule({"OPENAI_BASE_URL": "http://localhost:8080/v1"})

    assert [
        watched.watches(host)
        for host in ("api.openai.com", "contoso.openai.azure.com", "localhost", "127.0.0.1")
    ] == [True, True, True, False]
