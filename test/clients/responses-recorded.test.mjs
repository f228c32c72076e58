// A recorded real Responses stream (o3, function call; test/fixtures/openai-responses-real) served byte
// for byte by a local upstream, through a second godex (GODEX_BIN) pointed at it: openai-node's Responses
// accumulator must accept what godex makes of it, translated and passed through.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import OpenAI from 'openai';

const here = dirname(fileURLToPath(import.meta.url));
const fixtures = join(here, '..', 'fixtures');
const recorded = readFileSync(join(fixtures, 'openai-responses-real', 'o3-function-call.stream.sse'));
const bin = process.env.GODEX_BIN;
let upstream; let godex; let home; let client;

async function listen(server) {
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server.address().port;
}

before(async () => {
  assert.ok(bin, 'GODEX_BIN must name the godex binary');
  upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () => { res.writeHead(200, { 'content-type': 'text/event-stream' }); res.end(recorded); });
  });
  const upstreamPort = await listen(upstream);
  home = mkdtempSync(join(tmpdir(), 'godex-recorded-'));
  writeFileSync(join(home, 'auth.json'), JSON.stringify({ auth_mode: 'api_key', OPENAI_API_KEY: 'sk-test' }));
  const probe = createServer(); const port = await listen(probe); await new Promise((r) => probe.close(r));
  godex = spawn(bin, ['proxy', '--listen', `127.0.0.1:${port}`, '--simulator', 'off', '--log-level', 'warn',
    '--base-url', `http://127.0.0.1:${upstreamPort}/backend-api/codex`, '--auth-path', join(home, 'auth.json')],
    { env: { ...process.env, HOME: home, GODEX_PROXY_DATABASE: join(home, 'godex.db') }, stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try { if ((await fetch(`${url}/health`)).ok) break; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  client = new OpenAI({ baseURL: `${url}/v1`, apiKey: 'local', maxRetries: 0, timeout: 30_000 });
});

after(async () => {
  godex?.kill();
  await new Promise((r) => upstream?.close(r));
  rmSync(home, { recursive: true, force: true });
});

const tools = [{ type: 'function', name: 'get_weather', parameters: { type: 'object', properties: {} }, strict: false }];

for (const store of [true, false]) {
  test(`recorded o3 function call, ${store ? 'translated' : 'passed through (store:false)'}: finalResponse() accepts it`, async () => {
    const response = await client.responses.stream({ model: 'o3', input: 'weather in Beijing?', tools, store }).finalResponse();
    assert.equal(response.status, 'completed');
    const call = response.output.find((item) => item.type === 'function_call');
    assert.equal(call.name, 'get_weather');
    assert.equal(call.call_id, 'call_DhtkoVLdnlohlERqrxpUjb25');
    assert.deepEqual(JSON.parse(call.arguments), { location: { x: 'Beijing', y: 'China' }, units: 'celsius' });
    assert.equal(response.usage.input_tokens, 84);
    assert.equal(response.usage.output_tokens, 94);
    assert.equal(response.usage.output_tokens_details.reasoning_tokens, 64);
  });
}
