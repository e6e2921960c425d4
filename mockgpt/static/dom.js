// Small DOM helpers. Text is always set as text (never parsed as HTML), so a request body
// or a stub can show anything without running in the page.

/** A new element: h("td", {class: "num", dataset: {id: "x"}}, "text", child, ...). */
export function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value === true) node.setAttribute(key, "");
    else node.setAttribute(key, String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** `value` as indented JSON (a string stays as it is). */
export function pretty(value) {
  if (typeof value === "string") return value;
  return JSON.stringify(value, null, 2);
}

/** `value` as JSON on one line, cut to `max` characters. */
export function compact(value, max = 120) {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Milliseconds for people: "12.3 ms", "1.42 s". */
export function ms(value) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "";
  return value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${value.toFixed(1)} ms`;
}

/** Unix seconds as a local wall-clock time with milliseconds. */
export function clock(unixSeconds) {
  if (typeof unixSeconds !== "number") return "";
  const date = new Date(unixSeconds * 1000);
  const pad = (n, width = 2) => String(n).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(
    date.getMilliseconds(),
    3,
  )}`;
}

/** A <pre> holding `value` as indented JSON. */
export function jsonBlock(value, className = "json") {
  return h("pre", { class: className }, pretty(value));
}

/** Show `message` in `node` (an error line), or hide it when `message` is empty. */
export function say(node, message) {
  node.textContent = message || "";
  node.hidden = !message;
}
