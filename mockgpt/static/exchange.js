// One exchange in detail: the request, the stub that answered (or the near-miss table when
// none did), and the response: its body, or for a stream a timeline of its events.

import { callJson } from "./api.js";
import { clock, compact, h, jsonBlock, ms } from "./dom.js";
import { findStub } from "./stubs.js";

/** Show `entry` (a journal entry) in `container`; the stub and near misses load after. */
export function showExchange(container, entry) {
  const stubSection = h(
    "section",
    { class: "stub-section" },
    h("h3", {}, "Stub"),
    h("p", { class: "muted" }, "loading…"),
  );
  container.replaceChildren(
    h("h2", {}, `${entry.method} ${entry.path}`),
    summary(entry),
    h("section", { class: "request-section" }, h("h3", {}, "Request"), requestView(entry)),
    stubSection,
    h(
      "section",
      { class: "response-section" },
      h("h3", {}, entry.stream ? "Response stream" : "Response"),
      responseView(entry),
    ),
  );
  fillStub(stubSection, entry).catch((error) => {
    stubSection.replaceChildren(h("h3", {}, "Stub"), h("p", { class: "error" }, error.message));
  });
}

function summary(entry) {
  const flags = [
    entry.stream && "stream",
    entry.complete === false && "incomplete",
    entry.disconnected && "client disconnected",
    ...(entry.truncated || []).map((part) => `${part} truncated`),
  ].filter(Boolean);
  const item = (term, value) =>
    value === "" || value == null ? [] : [h("dt", {}, term), h("dd", {}, value)];
  return h(
    "dl",
    { class: "summary" },
    item("status", String(entry.status)),
    item("model", entry.model),
    item("stub", entry.stub || (entry.unmatched ? "unmatched" : "none")),
    item("test id", entry.test_id),
    item("started", clock(entry.started)),
    item("duration", ms(entry.duration_ms)),
    item("request id", entry.id),
    item("flags", flags.join(", ")),
  );
}

function requestView(entry) {
  const request = entry.request || {};
  const headers = Object.entries(request.headers || {});
  return h(
    "div",
    {},
    jsonBlock(request.body ?? "", "json request-body"),
    headers.length
      ? h(
          "details",
          {},
          h("summary", {}, `Headers (${headers.length})`),
          h(
            "table",
            { class: "headers" },
            h(
              "tbody",
              {},
              headers.map(([name, value]) => h("tr", {}, h("th", {}, name), h("td", {}, value))),
            ),
          ),
        )
      : null,
  );
}

function responseView(entry) {
  const response = entry.response || {};
  if (Array.isArray(response.events)) return timeline(response.events);
  return jsonBlock(response.body ?? "", "json response-body");
}

/** The events of a stream with their send times, a bar placing each on the stream's span. */
export function timeline(events) {
  const last = events.reduce((most, event) => Math.max(most, event.t_ms || 0), 0) || 1;
  const text = events.map((event) => deltaText(event.data)).join("");
  const named = events.some((event) => event.event); // SSE event names: Responses, not chat
  const rows = events.map((event, index) => {
    const tick = h("span", { class: "tick" });
    tick.style.left = `calc(${((event.t_ms || 0) / last) * 96}% + 2px)`;
    return h(
      "tr",
      { class: "timeline-event" },
      h("td", { class: "num" }, String(index + 1)),
      h("td", { class: "num t-ms" }, ms(event.t_ms)),
      named ? h("td", { class: "event-name" }, event.event || "") : null,
      h("td", { class: "track" }, tick),
      h("td", { class: "data" }, describe(event.data)),
    );
  });
  return h(
    "div",
    { class: "timeline" },
    text ? h("p", { class: "answer" }, text) : null,
    h(
      "table",
      { class: "timeline-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", {}, "#"),
          h("th", {}, "t"),
          named ? h("th", {}, "event") : null,
          h("th", {}, ""),
          h("th", {}, "data"),
        ),
      ),
      h("tbody", {}, rows),
    ),
    h("p", { class: "muted" }, `${events.length} events over ${ms(last === 1 ? 0 : last)}`),
  );
}

/** The text an event adds: a chat delta's content, a Responses text delta, Ollama's message. */
export function deltaText(data) {
  if (!data || typeof data !== "object") return "";
  const choice = Array.isArray(data.choices) ? data.choices[0] : null;
  if (choice?.delta && typeof choice.delta.content === "string") return choice.delta.content;
  if (typeof choice?.text === "string") return choice.text;
  if (data.type === "response.output_text.delta" && typeof data.delta === "string")
    return data.delta;
  if (typeof data.message?.content === "string") return data.message.content;
  if (typeof data.response === "string") return data.response;
  return "";
}

/** A short line for one stream event: its text, role, finish reason, tool calls or usage. */
export function describe(data) {
  const text = deltaText(data);
  if (text) return h("span", { class: "delta", title: compact(data, 2000) }, JSON.stringify(text));
  const choice = data && Array.isArray(data.choices) ? data.choices[0] : null;
  if (choice?.delta?.role && !choice.delta.tool_calls)
    return h("span", { title: compact(data, 2000) }, `role: ${choice.delta.role}`);
  if (choice?.finish_reason)
    return h("span", { title: compact(data, 2000) }, `finish_reason: ${choice.finish_reason}`);
  if (choice?.delta?.tool_calls)
    return h(
      "span",
      { title: compact(data, 2000) },
      `tool_calls ${compact(choice.delta.tool_calls, 90)}`,
    );
  if (data && data.usage && Array.isArray(data.choices) && !data.choices.length)
    return `usage ${compact(data.usage, 90)}`;
  return compact(data ?? "", 110);
}

async function fillStub(section, entry) {
  const title = h("h3", {}, "Stub");
  if (entry.stub) {
    const stub = await findStub(entry.stub, entry.test_id);
    section.replaceChildren(
      title,
      h(
        "p",
        {},
        "Answered by ",
        h("code", { class: "stub-id" }, entry.stub),
        stub
          ? ` (${stub.source}${stub.test_id ? `, test ${stub.test_id}` : ""})`
          : " (no longer loaded)",
      ),
      stub ? jsonBlock(stub.stub, "json stub-body") : null,
    );
    return;
  }
  const report = await callJson(`journal/${encodeURIComponent(entry.id)}/near-miss`);
  const stubs = report.stubs || [];
  if (!report.unmatched && !stubs.length) {
    section.replaceChildren(title, h("p", { class: "muted" }, "No stub applies to this request."));
    return;
  }
  section.replaceChildren(
    title,
    h(
      "p",
      {},
      report.unmatched ? h("span", { class: "unmatched" }, "unmatched") : "no stub",
      stubs.length ? ": the closest stubs and what differed" : ": no stub is loaded",
    ),
    stubs.length ? nearMissTable(stubs) : null,
  );
}

function nearMissTable(stubs) {
  return h(
    "table",
    { class: "near-miss" },
    h(
      "thead",
      {},
      h("tr", {}, h("th", {}, "stub"), h("th", {}, "conditions held"), h("th", {}, "failed")),
    ),
    h(
      "tbody",
      {},
      stubs.map((stub) =>
        h(
          "tr",
          {},
          h("td", {}, h("code", {}, stub.id)),
          h("td", { class: "num" }, stub.held == null ? "—" : `${stub.held} / ${stub.total}`),
          h(
            "td",
            {},
            h(
              "ul",
              {},
              (stub.failed || []).map((reason) => h("li", {}, reason)),
            ),
          ),
        ),
      ),
    ),
  );
}
