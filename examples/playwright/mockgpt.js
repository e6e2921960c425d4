// A Playwright fixture for mockgpt's admin API. Each test gets its own test id: the page's
// requests carry it in X-Mockgpt-Test (page.setExtraHTTPHeaders), and so do the admin
// calls, so the test's stubs and journal are its own even with other workers running.
import { test as base, expect } from "@playwright/test";

export { expect };

export const test = base.extend({
  mock: async ({ page }, use, testInfo) => {
    const url = process.env.MOCKGPT_URL;
    const testId = `${testInfo.workerIndex}-${testInfo.testId}`;
    const headers = { "X-Mockgpt-Test": testId };
    if (process.env.MOCKGPT_ADMIN_TOKEN) {
      headers.Authorization = `Bearer ${process.env.MOCKGPT_ADMIN_TOKEN}`;
    }

    async function admin(method, path, body) {
      const response = await fetch(`${url}/_mockgpt/${path}`, {
        method,
        headers: body === undefined ? headers : { ...headers, "Content-Type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const answer = await response.json();
      if (!response.ok) {
        throw new Error(`${method} /_mockgpt/${path}: ${response.status} ${answer.error?.message}`);
      }
      return answer;
    }

    await page.setExtraHTTPHeaders({ "X-Mockgpt-Test": testId });
    await use({
      url,
      testId,
      /** Add one stub (the scenario file format); resolves to its id. */
      stub: async (stub) => (await admin("POST", "stubs", stub)).ids[0],
      /** This test's journal entries, oldest first; `query` filters, e.g. "?unmatched=true". */
      journal: async (query = "") => (await admin("GET", `journal${query}`)).data,
    });
    await admin("DELETE", "stubs"); // this test's stubs only; its journal stays for the inspector
  },
});
