// Two tests, one per worker, run at the same time against one mockgpt. Both stub the same
// question with different answers; each must see only its own answer and its own journal.
import { expect, test } from "../mockgpt.js";

const CITIES = [
  { city: "Paris", answer: "Sunny in Paris, 18 °C." },
  { city: "Oslo", answer: "Snow in Oslo, -3 °C." },
];

for (const { city, answer } of CITIES) {
  test(`the chat page streams the stubbed answer for ${city}`, async ({ page, mock }) => {
    const stubId = await mock.stub({
      match: { last_user: { contains: "weather" } },
      respond: { content: answer },
      pacing: { ttft_ms: 100, tokens_per_second: 40 },
    });

    await page.goto(`${process.env.CHAT_APP_URL}/?api=${encodeURIComponent(mock.url)}`);
    await page.getByLabel("Message").fill("What is the weather today?");
    await page.getByRole("button", { name: "Send" }).click();

    await expect(page.getByRole("status")).toHaveText("done");
    await expect(page.locator('[data-role="assistant"]')).toHaveText(answer);

    const entries = await mock.journal();
    expect(entries).toHaveLength(1); // the other worker's request is not in this view
    const [entry] = entries;
    expect(entry).toMatchObject({
      method: "POST",
      path: "/v1/chat/completions",
      status: 200,
      stub: stubId,
      test_id: mock.testId,
      stream: true,
      complete: true,
    });
    expect(entry.request.body.messages).toEqual([
      { role: "user", content: "What is the weather today?" },
    ]);
    const streamed = entry.response.events
      .map((event) => event.data?.choices?.[0]?.delta?.content ?? "")
      .join("");
    expect(streamed).toBe(answer);
  });
}
