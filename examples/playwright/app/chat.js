// A tiny streaming chat page, as a frontend would write it: POST /v1/chat/completions with
// stream: true and show each delta as it arrives. The API's base URL comes from ?api=
// (a real app reads it from its build settings, e.g. import.meta.env.VITE_OPENAI_BASE_URL).

const api = new URLSearchParams(location.search).get("api") || location.origin;
const messages = document.querySelector("#messages");
const prompt = document.querySelector("#prompt");
const state = document.querySelector("#state");
const history = [];

document.querySelector("#composer").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = prompt.value;
  prompt.value = "";
  history.push({ role: "user", content: text });
  say("user", text);
  const answer = say("assistant", "");
  state.textContent = "streaming";
  try {
    const response = await fetch(`${api}/v1/chat/completions`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer sk-test" },
      body: JSON.stringify({ model: "gpt-4o-mini", messages: history, stream: true }),
    });
    if (!response.ok) throw new Error((await response.json()).error.message);
    for await (const data of sseData(response)) {
      if (data === "[DONE]") break;
      answer.textContent += JSON.parse(data).choices[0]?.delta?.content ?? "";
    }
    history.push({ role: "assistant", content: answer.textContent });
    state.textContent = "done";
  } catch (error) {
    state.textContent = `error: ${error.message}`;
  }
});

function say(role, text) {
  const item = document.createElement("li");
  item.dataset.role = role;
  item.textContent = text;
  messages.append(item);
  return item;
}

/** The `data:` of each server-sent event of `response`, as it arrives. */
async function* sseData(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const data = event
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart());
      if (data.length) yield data.join("\n");
    }
  }
}
