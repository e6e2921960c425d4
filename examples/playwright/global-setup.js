// Before the tests: start `mockgpt serve` on a free port (unless MOCKGPT_URL names a running
// server) and a static server for the chat page; their URLs reach every worker through
// process.env. The function returned stops both after the tests.
import { spawn } from "node:child_process";
import { createServer } from "node:net";
import { serveApp } from "./app-server.js";

export default async function globalSetup() {
  const stops = [];
  if (!process.env.MOCKGPT_URL) {
    const port = await freePort();
    const command = process.env.MOCKGPT_COMMAND || "mockgpt";
    const child = spawn(command, ["serve", "--port", String(port), "--log-level", "warning"], {
      stdio: ["ignore", "inherit", "inherit"],
    });
    const url = `http://127.0.0.1:${port}`;
    await waitHealthy(url, child);
    process.env.MOCKGPT_URL = url;
    stops.push(() => stop(child));
  }
  const app = await serveApp();
  process.env.CHAT_APP_URL = app.url;
  stops.push(() => app.close());
  return async () => {
    for (const close of stops.reverse()) await close();
  };
}

/** A port nothing listens on now (the OS picks it). */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Resolves once GET /health answers 200; rejects if mockgpt exits or 20 s pass. */
async function waitHealthy(url, child) {
  let exited = null;
  child.once("exit", (code) => (exited = code));
  child.once("error", (error) => (exited = error.message));
  for (let tries = 0; tries < 200; tries += 1) {
    if (exited !== null) throw new Error(`mockgpt serve exited before it answered: ${exited}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`mockgpt serve did not answer ${url}/health within 20 s`);
}

function stop(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}
