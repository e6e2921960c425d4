// The stubs: a table in match order (GET /_mockgpt/stubs), and an editor that adds
// (POST), replaces (PUT /stubs/{id}) and deletes (DELETE /stubs/{id}) one. The server
// validates every stub; its 400 message, naming the field, is shown as it is.

import { ApiError, call, callJson } from "./api.js";
import { compact, h, say } from "./dom.js";

const TEMPLATE = {
  match: { last_user: { contains: "hello" } },
  respond: { content: "Hello from a stub!" },
};

/** The stub `id` as listed to test id `testId` (null: the shared space), or null. */
export async function findStub(id, testId) {
  const listing = await callJson("stubs", { testId: testId || undefined });
  return (listing.data || []).find((row) => row.id === id) || null;
}

/** The #stubs panel: `refresh()` reloads the table. */
export class StubPanel {
  constructor(root) {
    this.body = root.querySelector("#stub-table tbody");
    this.note = root.querySelector("#stub-note");
    this.form = root.querySelector("#stub-editor");
    this.title = root.querySelector("#stub-editor-title");
    this.text = root.querySelector("#stub-json");
    this.priority = root.querySelector("#stub-priority");
    this.testId = root.querySelector("#stub-test-id");
    this.error = root.querySelector("#stub-error");
    this.editing = null; // the row being replaced, null when adding
    root.querySelector("#add-stub").addEventListener("click", () => this.open(null));
    root.querySelector("#refresh-stubs").addEventListener("click", () => this.refresh());
    root.querySelector("#cancel-stub").addEventListener("click", () => this.close());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.save();
    });
  }

  async refresh() {
    try {
      const listing = await callJson("stubs");
      const rows = listing.data || [];
      this.body.replaceChildren(...rows.map((row) => this.row(row)));
      say(this.note, rows.length ? "" : "No stubs: every request gets the fallback answer.");
    } catch (error) {
      say(this.note, `Could not list the stubs: ${error.message}`);
    }
  }

  row(row) {
    const stub = row.stub || {};
    const answer = stub.sequence ? { sequence: stub.sequence } : (stub.respond ?? {});
    return h(
      "tr",
      { class: "stub-row", dataset: { stubId: row.id } },
      h("td", {}, h("code", {}, row.id)),
      h("td", { class: "num" }, String(row.priority ?? 0)),
      h("td", {}, row.source || ""),
      h("td", { class: "test-id" }, row.test_id || ""),
      h("td", { class: "match" }, compact(stub.match ?? {}, 80)),
      h(
        "td",
        { class: "answer-cell" },
        compact(stub.fault ? { ...answer, fault: stub.fault } : answer, 80),
      ),
      h(
        "td",
        { class: "actions" },
        h("button", { type: "button", class: "edit-stub", onclick: () => this.open(row) }, "Edit"),
        h(
          "button",
          { type: "button", class: "delete-stub", onclick: () => this.remove(row) },
          "Delete",
        ),
      ),
    );
  }

  /** Open the editor on `row` (replace it), or on a new stub when `row` is null. */
  open(row) {
    this.editing = row;
    this.title.textContent = row ? `Edit stub ${row.id}` : "Add a stub";
    this.text.value = JSON.stringify(row ? row.stub : TEMPLATE, null, 2);
    this.priority.value = String(row?.priority ?? 0);
    this.priority.disabled = Boolean(row);
    this.testId.value = row?.test_id || "";
    this.testId.disabled = Boolean(row);
    say(this.error, "");
    this.form.hidden = false;
    this.text.focus();
  }

  close() {
    this.form.hidden = true;
    this.editing = null;
  }

  async save() {
    let stub;
    try {
      stub = JSON.parse(this.text.value);
    } catch (error) {
      say(this.error, `Not JSON: ${error.message}`);
      return;
    }
    const row = this.editing;
    try {
      let answer;
      if (row) {
        answer = await callJson(`stubs/${encodeURIComponent(row.id)}`, {
          method: "PUT",
          body: stub,
          testId: row.test_id || undefined,
        });
      } else {
        answer = await callJson("stubs", {
          method: "POST",
          body: { stubs: [stub], priority: Number(this.priority.value) || 0 },
          testId: this.testId.value.trim() || undefined,
        });
      }
      this.close();
      await this.refresh();
      say(this.note, `Saved ${(answer.ids || []).join(", ")}.`);
    } catch (error) {
      say(this.error, describe(error));
    }
  }

  async remove(row) {
    try {
      await call(`stubs/${encodeURIComponent(row.id)}`, {
        method: "DELETE",
        testId: row.test_id || undefined,
      });
      await this.refresh();
      say(this.note, `Deleted ${row.id}.`);
    } catch (error) {
      say(this.note, describe(error));
    }
  }
}

function describe(error) {
  if (!(error instanceof ApiError)) return error.message;
  const where = error.param && !error.message.includes(error.param) ? ` (${error.param})` : "";
  return `${error.status}: ${error.message}${where}`;
}
