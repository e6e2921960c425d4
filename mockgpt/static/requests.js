// The live list of requests: the journal's SSE feed (GET /_mockgpt/journal/stream), one row
// per exchange, newest first; a click selects one exchange.

import { ApiError, call, sseEvents } from "./api.js";
import { clock, h, ms } from "./dom.js";

const KEPT = 500; // rows the page keeps; the journal itself keeps more
const BACKLOG = 200; // entries asked for when the feed (re)connects
const RETRY_MS = [500, 1000, 2000, 5000];

/** The request list of `root` (the #requests panel); `onSelect(entry)` on a click. */
export class RequestList {
  constructor(root, { onSelect, onStatus }) {
    this.body = root.querySelector("#request-table tbody");
    this.empty = root.querySelector("#no-requests");
    this.filter = root.querySelector("#filter");
    this.onSelect = onSelect;
    this.onStatus = onStatus;
    this.entries = new Map(); // id -> entry, oldest first
    this.rows = new Map(); // id -> <tr>
    this.selected = null;
    this.controller = null;
    this.filter.addEventListener("input", () => this.applyFilter());
  }

  /** Follow the feed until `stop()`; reconnects after a break, waits after a 401. */
  async start() {
    this.stop();
    const controller = new AbortController();
    this.controller = controller;
    let failures = 0;
    while (!controller.signal.aborted) {
      try {
        this.onStatus("connecting…", "pending");
        const response = await call(`journal/stream?limit=${BACKLOG}`, {
          signal: controller.signal,
        });
        this.onStatus("live", "live");
        failures = 0;
        for await (const message of sseEvents(response)) {
          if (message.event === "entry") this.add(JSON.parse(message.data));
        }
      } catch (error) {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) {
          this.onStatus("locked: the admin API needs its token", "error");
          return; // the token form restarts the feed
        }
        if (error instanceof ApiError) {
          this.onStatus(`feed refused: ${error.message}`, "error");
          return;
        }
      }
      if (controller.signal.aborted) return;
      this.onStatus("reconnecting…", "pending");
      await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(failures, 3)]));
      failures += 1;
    }
  }

  stop() {
    this.controller?.abort();
    this.controller = null;
  }

  /** Add `entry` (or update the row with its id). */
  add(entry) {
    const known = this.rows.get(entry.id);
    const row = this.row(entry);
    this.entries.set(entry.id, entry);
    if (known) known.replaceWith(row);
    else this.body.prepend(row);
    this.rows.set(entry.id, row);
    while (this.entries.size > KEPT) {
      const oldest = this.entries.keys().next().value;
      this.entries.delete(oldest);
      this.rows.get(oldest)?.remove();
      this.rows.delete(oldest);
    }
    this.show(row, entry);
    this.empty.hidden = this.entries.size > 0;
    if (this.selected === entry.id) row.classList.add("selected");
  }

  /** Forget every row (after the journal was cleared). */
  clear() {
    this.entries.clear();
    this.rows.clear();
    this.body.replaceChildren();
    this.empty.hidden = false;
    this.selected = null;
  }

  row(entry) {
    const stub = entry.stub
      ? h("span", { class: "stub" }, entry.stub)
      : entry.unmatched
        ? h("span", { class: "unmatched" }, "unmatched")
        : h("span", { class: "muted" }, "—");
    const status = entry.status || (entry.complete ? "" : "…");
    const row = h(
      "tr",
      {
        class: `exchange-row${entry.status >= 400 ? " failed" : ""}`,
        dataset: { entryId: entry.id },
        tabindex: "0",
        onclick: () => this.select(entry.id),
        onkeydown: (event) => event.key === "Enter" && this.select(entry.id),
      },
      h("td", { class: "time" }, clock(entry.started)),
      h(
        "td",
        { class: "request" },
        h("span", { class: "method" }, entry.method),
        " ",
        h("span", { class: "path" }, entry.path),
        entry.stream ? h("span", { class: "tag" }, "stream") : null,
      ),
      h("td", { class: "model" }, entry.model || ""),
      h("td", { class: "status" }, String(status)),
      h("td", { class: "stub-cell" }, stub),
      h("td", { class: "num duration" }, ms(entry.duration_ms)),
      h("td", { class: "test-id" }, entry.test_id || ""),
    );
    return row;
  }

  select(id) {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.rows.get(this.selected)?.classList.remove("selected");
    this.selected = id;
    this.rows.get(id)?.classList.add("selected");
    this.onSelect(entry);
  }

  applyFilter() {
    for (const [id, row] of this.rows) this.show(row, this.entries.get(id));
  }

  show(row, entry) {
    const words = this.filter.value.trim().toLowerCase();
    const text = [entry.method, entry.path, entry.model, entry.status, entry.stub, entry.test_id]
      .concat(entry.unmatched ? ["unmatched"] : [])
      .join(" ")
      .toLowerCase();
    row.hidden = words !== "" && !words.split(/\s+/).every((word) => text.includes(word));
  }
}
