// The inspector page: tabs, the admin token form, and the three panels (requests, stubs,
// playground). Everything shown comes from the admin API; the page holds no secret.

import { call, lock, setToken, token } from "./api.js";
import { h, say } from "./dom.js";
import { showExchange } from "./exchange.js";
import { Playground } from "./playground.js";
import { RequestList } from "./requests.js";
import { StubPanel } from "./stubs.js";

const feedStatus = document.querySelector("#feed-status");
const errorBar = document.querySelector("#error-bar");
const tokenForm = document.querySelector("#token-form");
const tokenInput = document.querySelector("#token-input");
const exchange = document.querySelector("#exchange");

const requests = new RequestList(document.querySelector("#requests"), {
  onSelect: (entry) => showExchange(exchange, entry),
  onStatus: (text, kind) => {
    feedStatus.textContent = text;
    feedStatus.dataset.kind = kind;
  },
});
const stubs = new StubPanel(document.querySelector("#stubs"));
new Playground(document.querySelector("#playground"));

function showTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
  }
  for (const panel of document.querySelectorAll("[data-panel]")) {
    panel.hidden = panel.dataset.panel !== name;
  }
  if (name === "stubs") stubs.refresh();
}

for (const tab of document.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => {
    showTab(tab.dataset.tab);
    history.replaceState(null, "", `#${tab.dataset.tab}`);
  });
}

lock.addEventListener("locked", () => {
  tokenForm.hidden = false;
  say(errorBar, token() ? "The admin token was refused." : "");
  tokenInput.focus();
});

document.querySelector("#token-button").addEventListener("click", () => {
  tokenForm.hidden = !tokenForm.hidden;
  if (!tokenForm.hidden) tokenInput.focus();
});

tokenForm.addEventListener("submit", (event) => {
  event.preventDefault();
  setToken(tokenInput.value.trim());
  tokenInput.value = "";
  tokenForm.hidden = true;
  say(errorBar, "");
  requests.start();
  if (!document.querySelector("#stubs").hidden) stubs.refresh();
});

document.querySelector("#clear-journal").addEventListener("click", async () => {
  try {
    await call("journal", { method: "DELETE" });
    requests.clear();
    exchange.replaceChildren(h("p", { class: "hint" }, "Select a request to see it."));
    say(errorBar, "");
  } catch (error) {
    say(errorBar, `Could not clear the journal: ${error.message}`);
  }
});

/** The tab the URL's fragment names (#requests, #stubs, #playground). */
function tabOfHash() {
  const name = location.hash.slice(1);
  return ["requests", "stubs", "playground"].includes(name) ? name : "requests";
}

window.addEventListener("hashchange", () => showTab(tabOfHash()));
showTab(tabOfHash());
requests.start();
