// The web dashboard in a real headless Chromium (the OS package), driven by Playwright, against the published godex
// binary on its simulator (scripts/dashboard-tests.sh starts it with an admin key and a static client key).
// Steps share one logged-in browser context and run in order: log in, create a key and use its secret, watch the
// request arrive in Live, revoke the key, read the Overview chart and the Config page; axe-core checks every page.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium } from 'playwright-core';

const require = createRequire(import.meta.url);
const base = process.env.GODEX_URL;
const adminKey = process.env.GODEX_ADMIN_KEY;
const staticKey = process.env.GODEX_API_KEY;
const shots = process.env.SCREENSHOT_DIR;
const pages = ['overview', 'keys', 'usage', 'live', 'accounts', 'config'];
assert.ok(base && adminKey && staticKey, 'GODEX_URL, GODEX_ADMIN_KEY and GODEX_API_KEY must be set');

let browser;
let context;
let page;
const cspViolations = [];
const axeSource = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');

async function chat(secret) {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${secret}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-5.2-codex', messages: [{ role: 'user', content: 'Say hello from the dashboard test.' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

/** axe-core in the page (evaluated over the DevTools protocol: the pages' CSP allows no inline script); serious or critical violations. */
async function axe(p) {
  await p.evaluate(axeSource);
  const result = await p.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

async function screenshot(p, name, fullPage = true) {
  if (shots) await p.screenshot({ path: `${shots}/${name}.png`, fullPage });
}

function watchCsp(p) {
  p.on('console', (m) => { if (m.type() === 'error' && /Content Security Policy/i.test(m.text())) cspViolations.push(m.text()); });
}

describe('dashboard', () => {
  before(async () => {
    if (shots) await mkdir(shots, { recursive: true });
    browser = await chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: 'light' });
    context.setDefaultTimeout(8000);
    page = await context.newPage();
    watchCsp(page);
  });

  after(async () => {
    await browser?.close();
  });

  test('a wrong admin key reaches no page and no API', async () => {
    const stranger = await browser.newContext();
    try {
      const p = await stranger.newPage();
      await p.goto(`${base}/ui/login`);
      await p.fill('#key', 'not-the-admin-key');
      const [answer] = await Promise.all([p.waitForNavigation(), p.click('button[type=submit]')]);
      assert.equal(answer.status(), 401);
      assert.match(await p.textContent('[role=alert]'), /not the admin key/);
      assert.equal((await stranger.cookies()).length, 0, 'no session cookie for a wrong key');
      for (const name of pages) {
        await p.goto(`${base}/ui/${name}`);
        assert.equal(new URL(p.url()).pathname, '/ui/login', `/ui/${name} without a session`);
      }
      await stranger.addCookies([{ name: 'godex_session', value: 'forged-session-id', url: base }]);
      for (const path of ['/admin/keys', '/admin/stats', '/admin/config', '/admin/usage', '/admin/events']) {
        for (const headers of [{}, { Authorization: 'Bearer not-the-admin-key' }]) {
          const res = await stranger.request.get(`${base}${path}`, { headers });
          assert.equal(res.status(), 404, `${path} ${JSON.stringify(headers)}`);
        }
      }
      const created = await stranger.request.post(`${base}/admin/keys`, { headers: { Authorization: 'Bearer not-the-admin-key', Origin: base }, data: {} });
      assert.equal(created.status(), 404);
      await p.goto(`${base}/ui/keys`);
      assert.equal(new URL(p.url()).pathname, '/ui/login', 'a forged cookie is no session');
      assert.deepEqual(await axe(p), [], 'login page');
      await screenshot(p, 'login');
    } finally {
      await stranger.close();
    }
  });

  test('log in with the admin key', async () => {
    await page.goto(`${base}/ui/`);
    assert.equal(new URL(page.url()).pathname, '/ui/login');
    await page.fill('#key', adminKey);
    await Promise.all([page.waitForURL(`${base}/ui/overview`), page.click('button[type=submit]')]);
    const cookie = (await context.cookies()).find((c) => c.name === 'godex_session');
    assert.ok(cookie, 'session cookie');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the cookie is not readable by scripts');
  });

  test('a mutating call without the CSRF token or from another origin is refused', async () => {
    const status = await page.evaluate(async () => (await fetch('/admin/keys', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"label":"csrf"}' })).status);
    assert.equal(status, 404);
    const cross = await context.request.post(`${base}/admin/keys`, { headers: { Origin: 'http://evil.example', 'X-CSRF-Token': 'x' }, data: { label: 'csrf' } });
    assert.equal(cross.status(), 404);
    const keys = await page.evaluate(async () => (await (await fetch('/admin/keys')).json()).keys);
    assert.ok(!keys.some((k) => k.label === 'csrf'), 'no key was created');
  });

  let live;
  let keyId;
  let secret;
  let requestedAt;

  test('create a key: the secret is shown once and answers /v1/chat/completions with 200', async () => {
    live = await context.newPage();
    watchCsp(live);
    await live.goto(`${base}/ui/live`);
    await live.waitForSelector('#live-state .dot.on');

    await page.goto(`${base}/ui/keys`);
    await page.fill('#new-label', 'browser-test');
    await page.fill('#new-rate', '120/m');
    await page.fill('#new-budget_usd', '5');
    await page.fill('#new-budget_window', '30d');
    await page.click('#create-key button[type=submit]');
    secret = (await page.textContent('#new-secret', { timeout: 5000 })).trim();
    assert.match(secret, /^\S{20,}$/);
    await page.waitForSelector('#keys-table tr:has-text("browser-test")');
    keyId = await page.getAttribute('#keys-table tr:has-text("browser-test")', 'data-key-id');
    assert.match(keyId, /^key_/);
    await screenshot(page, 'keys');
    await page.reload();
    assert.equal(await page.$('#new-secret'), null, 'the secret is not shown again');
    assert.ok(!(await page.content()).includes(secret));

    requestedAt = Date.now();
    assert.equal(await chat(secret), 200);
  });

  test('the request appears in Live within one second', async () => {
    const answered = Date.now();
    await live.waitForSelector(`#live-rows tr:has-text("${keyId}")`, { timeout: 1000 });
    const waited = Date.now() - answered;
    console.log(`live row visible ${waited} ms after the response (${Date.now() - requestedAt} ms after the request started)`);
    await live.click(`#live-rows tr:has-text("${keyId}")`);
    const meta = JSON.parse(await live.textContent('#live-detail'));
    assert.equal(meta.key_id, keyId);
    assert.equal(meta.status, 200);
    assert.equal(meta.path, '/v1/chat/completions');
    assert.ok(!JSON.stringify(meta).includes(secret), 'no secret in the event');
    await screenshot(live, 'live');
  });

  test('revoke the key in the UI: the next call is 401', async () => {
    await page.goto(`${base}/ui/keys`);
    page.once('dialog', (d) => d.accept());
    await page.click(`#keys-table tr[data-key-id="${keyId}"] button:has-text("Revoke")`);
    await page.waitForSelector(`#keys-table tr[data-key-id="${keyId}"] .badge:has-text("revoked")`);
    assert.equal(await chat(secret), 401);
  });

  test('the Overview chart has data points for those requests', async () => {
    assert.equal(await chat(staticKey), 200);
    const malformed = await fetch(`${base}/v1/chat/completions`, { method: 'POST', headers: { Authorization: `Bearer ${staticKey}`, 'Content-Type': 'application/json' }, body: '{"messages": [' });
    assert.equal(malformed.status, 400);
    await page.goto(`${base}/ui/overview`);
    await page.waitForSelector('.chart svg circle.point');
    const requests = await page.$$eval('section[aria-label="Requests per second"] circle.point.s1', (cs) => cs.map((c) => Number(c.dataset.v)));
    assert.ok(requests.length >= 1 && requests.some((v) => v > 0), `request points: ${requests}`);
    const stats = await page.evaluate(async () => (await fetch('/admin/stats?range=1h')).json());
    // The key's call, the static key's and the malformed one (a refused key is answered before metering).
    assert.ok(stats.totals.requests >= 3, `the ledger counts the test's requests: ${stats.totals.requests}`);
    assert.ok(stats.errors.some((e) => e.status === 400 && e.kind === 'invalid request'), 'the malformed call is an error by kind');
    assert.match(await page.textContent('section[aria-label="Errors by kind"]'), /400 · invalid request/);
    await page.click('label[for="range-24h"]');
    await page.waitForFunction(() => document.querySelector('#range-24h').checked && document.querySelectorAll('circle.point').length > 0);
    await page.click('label[for="range-1h"]');
    await page.waitForSelector('circle.point');
    await screenshot(page, 'overview');
  });

  test('the Usage page groups by model and exports CSV', async () => {
    await page.goto(`${base}/ui/usage`);
    await page.selectOption('#usage-by', 'model');
    await page.waitForSelector('table >> text=gpt-5.2-codex');
    const href = await page.getAttribute('#usage-csv', 'href');
    const csv = await context.request.get(`${base}${href}`);
    assert.equal(csv.status(), 200);
    assert.match(csv.headers()['content-type'], /text\/csv/);
    assert.match(await csv.text(), /^model,label,requests/);
    await page.selectOption('#usage-by', 'key');
    await page.waitForSelector('table >> text=browser-test');
    await screenshot(page, 'usage');
  });

  test('the Config page shows every key and no secret', async () => {
    await page.goto(`${base}/ui/config`);
    await page.waitForSelector('#config-table tbody tr');
    const text = await page.textContent('body');
    const html = await page.content();
    for (const s of [adminKey, staticKey, secret]) {
      assert.ok(!text.includes(s) && !html.includes(s), 'a secret is on the Config page');
    }
    const admin = await page.textContent('#config-table tr:has-text("proxy.admin_key")');
    assert.match(admin, /set/);
    assert.match(admin, /env GODEX_PROXY_ADMIN_KEY/);
    assert.match(await page.textContent('#config-table tr:has-text("proxy.listen")'), /flag --listen/);
    assert.match(await page.textContent('#config-table tr:has-text("proxy.default_burst")'), /default/);
    const api = await page.evaluate(async () => (await fetch('/admin/config')).text());
    for (const s of [adminKey, staticKey]) assert.ok(!api.includes(s), 'a secret in /admin/config');
    await screenshot(page, 'config', false); // the whole table of ~130 keys would be a tall, heavy image
  });

  test('the Accounts page shows the simulator-backed accounts, and the probe resolves sonnet to Anthropic', async () => {
    await page.goto(`${base}/ui/accounts`);
    await page.waitForSelector('#page[data-ready]');
    // Simulator mode: each backend's own login as the account default, on an API key; the simulator reports no
    // usage windows without a quota (xunit AdminAccountsAndRoutesTests checks the windows against one that does).
    const codex = await page.textContent('tr[data-account="codex/default"]');
    assert.match(codex, /ready/);
    assert.match(codex, /API key/);
    assert.match(codex, /not reported yet/);
    assert.match(await page.textContent('tr[data-account="anthropic/default"]'), /ready/);
    assert.match(await page.textContent('#routes-table'), /claude-/);
    assert.match(await page.textContent('#aliases-table'), /sonnet\s*claude-sonnet-4-5/);
    assert.match(await page.textContent('body'), /nothing is sent upstream/);
    await page.fill('#probe-model', 'sonnet');
    await page.click('#probe button[type=submit]');
    await page.waitForSelector('#probe-result dl');
    const probe = await page.textContent('#probe-result');
    assert.match(probe, /Backendanthropic/);
    assert.match(probe, /Upstream modelclaude-sonnet-4-5/);
    assert.match(probe, /Accountdefault/);
    const html = await page.content();
    for (const s of [adminKey, staticKey, secret, 'godex-simulator']) assert.ok(!html.includes(s), 'a secret on the Accounts page');
    await screenshot(page, 'accounts');
  });

  test('axe-core finds no serious or critical violation on any page, light and dark', async () => {
    for (const scheme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: scheme });
      for (const name of pages) {
        await page.goto(`${base}/ui/${name}`);
        await page.waitForSelector('#page[data-ready]');
        if (name === 'overview') await page.waitForSelector('.chart');
        if (name === 'live') await page.waitForSelector('#live-state .dot.on');
        assert.deepEqual(await axe(page), [], `${name} (${scheme})`);
      }
    }
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${base}/ui/overview`);
    await page.waitForSelector('circle.point');
    await screenshot(page, 'overview-dark');
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      await phone.addCookies(await context.cookies());
      const p = await phone.newPage();
      watchCsp(p);
      await p.goto(`${base}/ui/keys`);
      await p.waitForSelector('#keys-table');
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 1, `the page is ${overflow}px wider than a phone`);
      assert.deepEqual(await axe(p), [], 'keys on a phone');
      await screenshot(p, 'keys-phone');
      await p.goto(`${base}/ui/accounts`);
      await p.waitForSelector('#page[data-ready]');
      await p.waitForSelector('tr[data-account="codex/default"]');
      const wide = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(wide <= 1, `the Accounts page is ${wide}px wider than a phone`);
      assert.deepEqual(await axe(p), [], 'accounts on a phone');
      await screenshot(p, 'accounts-phone');
    } finally {
      await phone.close();
    }
  });

  test('the theme toggle switches and remembers the theme; no CSP violation anywhere', async () => {
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${base}/ui/config`);
    await page.click('#theme-toggle');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    await page.reload();
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    await page.click('#theme-toggle');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'light');
    assert.deepEqual(cspViolations, []);
  });

  test('log out ends the session', async () => {
    await page.goto(`${base}/ui/overview`);
    await Promise.all([page.waitForURL(`${base}/ui/login`), page.click('button:has-text("Log out")')]);
    const res = await context.request.get(`${base}/admin/keys`);
    assert.equal(res.status(), 404);
  });
});
