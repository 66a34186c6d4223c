// Runs a few browser steps in the system's headless Chromium (Debian /usr/bin/chromium, never a
// downloaded browser) and prints the outcome as one line of JSON on stdout.
//
//   node run.mjs '<plan JSON>'        (or the plan in the environment: BROWSER_PLAN)
//
// Plan:
// {
//   "steps": [
//     { "goto": "http://127.0.0.1:8080/dev-eid/authorize?..." },
//     { "click": { "role": "button", "name": "Kari Nordmann" } },   // or {"text": "..."}
//                                                                  // or {"selector": "css"}
//     { "fill": { "label": "National ID", "value": "..." } },      // or {"selector": "css", ...}
//     { "select": { "label": "Assurance level", "value": "high" } },
//     { "wait_for_url": "http://127.0.0.1:9/callback" },           // a prefix of the URL
//     { "expect_text": "Choose whom you act for" }
//   ],
//   "capture_prefix": "http://127.0.0.1:9/callback",  // optional: requests to URLs with this
//                                                     // prefix are recorded in `captured` (also
//                                                     // when reached by a redirect, and when
//                                                     // nothing listens there); direct ones are
//                                                     // answered here (200, a tiny page)
//   "timeout_ms": 20000                               // per step; the whole run stops by itself
// }                                                   // after 3 x steps x timeout at the latest
//
// Result (exit 0): {"ok": true, "url": <final URL>, "title": ..., "captured": [URLs], "text": <body text>}
// Failure (exit 1): {"ok": false, "error": ..., "step": <index>, "url": <URL then>, "text": ...}

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const plan = JSON.parse(process.argv[2] ?? process.env.BROWSER_PLAN ?? '{}');
const steps = plan.steps ?? [];
const timeout = plan.timeout_ms ?? 20000;
const executablePath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// The last resort: whatever happens, the run ends.
const deadline = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ ok: false, error: 'the run took too long' })}\n`);
  process.exit(1);
}, timeout * Math.max(3, 3 * steps.length) + 10000);
deadline.unref();

function locate(page, target) {
  if (target.selector) return page.locator(target.selector).first();
  if (target.role) return page.getByRole(target.role, { name: target.name, exact: target.exact ?? false }).first();
  if (target.label) return page.getByLabel(target.label, { exact: target.exact ?? false }).first();
  if (target.text) return page.getByText(target.text, { exact: target.exact ?? false }).first();
  throw new Error(`a target needs selector, role, label or text: ${JSON.stringify(target)}`);
}

// Requests made by the browser to the capture prefix, in order (redirect hops included).
const captured = [];
// Every main-frame navigation request, for wait_for_url.
const requested = [];

async function run(page, step) {
  if (step.goto) {
    await page.goto(step.goto, { timeout });
  } else if (step.click) {
    await locate(page, step.click).click({ timeout });
  } else if (step.fill) {
    await locate(page, step.fill).fill(String(step.fill.value), { timeout });
  } else if (step.select) {
    await locate(page, step.select).selectOption(String(step.select.value), { timeout });
  } else if (step.wait_for_url) {
    // The page's URL, or a request on its way there: a redirect to a URL where nothing
    // listens leaves the page on Chromium's error page, but the request was made.
    const reached = () => page.url().startsWith(step.wait_for_url)
      || captured.some((url) => url.startsWith(step.wait_for_url))
      || requested.some((url) => url.startsWith(step.wait_for_url));
    const until = Date.now() + timeout;
    while (!reached()) {
      if (Date.now() > until) throw new Error(`the URL did not become ${step.wait_for_url} (it is ${page.url()})`);
      await page.waitForTimeout(50);
    }
  } else if (step.expect_text) {
    await page.getByText(step.expect_text).first().waitFor({ timeout });
  } else {
    throw new Error(`unknown step: ${JSON.stringify(step)}`);
  }
}

const profile = mkdtempSync(join(tmpdir(), 'ehds-chromium-'));
let context;
let result;
let failed = false;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run',
    ],
    timeout,
  });
  context.on('request', (request) => {
    if (!request.isNavigationRequest()) return;
    requested.push(request.url());
    if (plan.capture_prefix && request.url().startsWith(plan.capture_prefix)) captured.push(request.url());
  });
  if (plan.capture_prefix) {
    await context.route((url) => url.href.startsWith(plan.capture_prefix), (route) => {
      return route.fulfill({
        status: 200,
        contentType: 'text/html; charset=utf-8',
        body: '<!doctype html><title>captured</title><p>captured</p>',
      });
    });
  }
  const page = context.pages()[0] ?? await context.newPage();
  let index = 0;
  try {
    for (; index < steps.length; index += 1) await run(page, steps[index]);
    result = {
      ok: true, url: page.url(), title: await page.title(), captured,
      text: await page.locator('body').innerText({ timeout }).catch(() => ''),
    };
  } catch (error) {
    failed = true;
    result = {
      ok: false, error: String(error?.message ?? error).split('\n')[0], step: index, url: page.url(), captured,
      text: await page.locator('body').innerText({ timeout: 2000 }).catch(() => ''),
    };
  }
} catch (error) {
  failed = true;
  result = { ok: false, error: `Chromium did not start: ${String(error?.message ?? error).split('\n')[0]}` };
} finally {
  await context?.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(failed ? 1 : 0);
