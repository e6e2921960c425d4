// The playground: send one streamed chat request to /v1/chat/completions and show the
// answer as its events arrive, each with its time since the request was sent.

import { ApiError, ROOT, call, parsed, sseEvents, token } from "./api.js";
import { compact, h, ms, say } from "./dom.js";
import { deltaText, describe } from "./exchange.js";

/** The #playground panel. */
export class Playground {
  constructor(root) {
    this.form = root.querySelector("#playground-form");
    this.model = root.querySelector("#pg-model");
    this.key = root.querySelector("#pg-key");
    this.testId = root.querySelector("#pg-test-id");
    this.system = root.querySelector("#pg-system");
    this.message = root.querySelector("#pg-message");
    this.send = root.querySelector("#pg-send");
    this.stopButton = root.querySelector("#pg-stop");
    this.status = root.querySelector("#pg-status");
    this.answer = root.querySelector("#pg-answer");
    this.events = root.querySelector("#pg-events tbody");
    this.controller = null;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.run();
    });
    this.stopButton.addEventListener("click", () => this.controller?.abort());
  }

  /** The chat request the form describes. */
  request() {
    const messages = [];
    if (this.system.value.trim()) messages.push({ role: "system", content: this.system.value });
    messages.push({ role: "user", content: this.message.value });
    return {
      model: this.model.value.trim() || "gpt-4o-mini",
      messages,
      stream: true,
      stream_options: { include_usage: true },
    };
  }

  async run() {
    const controller = new AbortController();
    this.controller = controller;
    this.send.disabled = true;
    this.stopButton.disabled = false;
    this.answer.textContent = "";
    this.answer.classList.remove("done");
    this.events.replaceChildren();
    say(this.status, "waiting for the first event…");
    const sent = performance.now();
    let count = 0;
    try {
      const response = await call(new URL("v1/chat/completions", ROOT), {
        method: "POST",
        body: this.request(),
        bearer: this.key.value || token(),
        testId: this.testId.value.trim() || undefined,
        signal: controller.signal,
      });
      say(this.status, "streaming…");
      for await (const message of sseEvents(response)) {
        count += 1;
        const data = parsed(message.data);
        this.event(count, performance.now() - sent, data);
        if (data && typeof data === "object" && data.error) {
          throw new Error(`error event: ${data.error.message || compact(data.error)}`);
        }
      }
      this.answer.classList.add("done");
      say(this.status, `done: ${count} events in ${ms(performance.now() - sent)}`);
    } catch (error) {
      if (controller.signal.aborted) say(this.status, `stopped after ${count} events`);
      else if (error instanceof ApiError) say(this.status, `${error.status}: ${error.message}`);
      else say(this.status, error.message);
    } finally {
      this.send.disabled = false;
      this.stopButton.disabled = true;
      this.controller = null;
    }
  }

  event(index, elapsed, data) {
    this.answer.append(deltaText(data));
    this.events.append(
      h(
        "tr",
        { class: "pg-event" },
        h("td", { class: "num" }, String(index)),
        h("td", { class: "num" }, ms(elapsed)),
        h("td", { class: "data" }, describe(data)),
      ),
    );
  }
}
