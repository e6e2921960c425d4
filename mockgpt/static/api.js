// The admin API as the page calls it: one fetch wrapper (admin token, isolation header,
// OpenAI error envelopes) and one SSE reader, shared by the live journal and the playground.
// Paths are relative to the page (/_mockgpt/), so a proxy that serves mockgpt under a
// prefix serves the page too.

const TOKEN_KEY = "mockgpt.adminToken";

/** The admin API's base URL: the folder of the page, e.g. http://127.0.0.1:8000/_mockgpt/. */
export const ADMIN = new URL(".", document.baseURI);
/** The server's root, where /v1/... lives. */
export const ROOT = new URL("..", ADMIN);
/** The isolation header's name (the server's --test-header; the page may name another). */
export const TEST_HEADER =
  document.querySelector('meta[name="mockgpt-test-header"]')?.content || "X-Mockgpt-Test";

/** Fired as "locked" when the admin API answers 401: the page must ask for the token. */
export const lock = new EventTarget();

/** An answer other than 2xx: `status`, and the envelope's `message`, `param`, `code`. */
export class ApiError extends Error {
  constructor(status, envelope, fallback) {
    const error = envelope && typeof envelope.error === "object" ? envelope.error : {};
    super(error.message || fallback || `HTTP ${status}`);
    this.status = status;
    this.param = error.param ?? null;
    this.code = error.code ?? null;
  }
}

/** The admin token the user gave (kept for this tab only), or "". */
export function token() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

/** Remember `value` as the admin token for this tab ("" forgets it). */
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/**
 * Call the admin API: `path` relative to /_mockgpt/ (or an absolute URL).
 * options: method, body (sent as JSON unless a string), testId (sent in the isolation
 * header), signal, bearer (a key instead of the admin token; "" sends none), headers.
 * A 401 from the admin API fires "locked" on `lock`.
 * Resolves to the Response when 2xx; rejects with ApiError otherwise.
 */
export async function call(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  const bearer = options.bearer ?? token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (options.testId) headers[TEST_HEADER] = options.testId;
  let body = options.body;
  if (body !== undefined && typeof body !== "string") {
    body = JSON.stringify(body);
    headers["Content-Type"] = "application/json";
  }
  const url = new URL(path, ADMIN);
  const response = await fetch(url, {
    method: options.method || "GET",
    headers,
    body,
    signal: options.signal,
    cache: "no-store",
  });
  if (response.ok) return response;
  const text = await response.text();
  let envelope = null;
  try {
    envelope = JSON.parse(text);
  } catch {
    // not JSON: the status and the text say what happened
  }
  if (response.status === 401 && url.href.startsWith(ADMIN.href)) {
    lock.dispatchEvent(new Event("locked"));
  }
  throw new ApiError(response.status, envelope, text.slice(0, 200));
}

/** `call`, then the answer's JSON. */
export async function callJson(path, options) {
  const response = await call(path, options);
  return response.json();
}

/**
 * The server-sent events of `response`, as they arrive: {event, data, id} with `data` the
 * joined data lines (a string). Framing per the HTML standard's event-stream rules.
 */
export async function* sseEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let data = [];
  let event = null;
  let id = null;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (;;) {
        const end = buffer.search(/\r\n|\r|\n/);
        if (end < 0 || (buffer[end] === "\r" && end === buffer.length - 1)) break;
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + (buffer.startsWith("\r\n", end) ? 2 : 1));
        if (line === "") {
          if (data.length) yield { event, data: data.join("\n"), id };
          data = [];
          event = null;
          continue;
        }
        if (line.startsWith(":")) continue;
        const colon = line.indexOf(":");
        const field = colon < 0 ? line : line.slice(0, colon);
        let text = colon < 0 ? "" : line.slice(colon + 1);
        if (text.startsWith(" ")) text = text.slice(1);
        if (field === "data") data.push(text);
        else if (field === "event") event = text;
        else if (field === "id") id = text;
      }
    }
  } finally {
    reader.cancel().catch(() => {}); // the reader left early: close the connection
  }
}

/** `text` parsed as JSON, or `text` itself when it is not JSON. */
export function parsed(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
