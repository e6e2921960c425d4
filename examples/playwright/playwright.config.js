// Two workers share one mockgpt server; each test's requests carry its own X-Mockgpt-Test
// id (see mockgpt.js), so neither sees the other's stubs or journal.
import { defineConfig } from "@playwright/test";

export default defineConfig({
  testDir: "tests",
  workers: 2,
  fullyParallel: true,
  forbidOnly: Boolean(process.env.CI),
  reporter: "list",
  timeout: 30_000,
  globalSetup: "./global-setup.js",
  use: {
    browserName: "chromium",
    headless: true,
    // Debian's Chromium (apt-get install chromium): Playwright downloads no browser.
    launchOptions: { executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium" },
    trace: "retain-on-failure",
  },
});
