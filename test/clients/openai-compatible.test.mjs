// The official openai-node SDK on an OpenAI-compatible backend (proxy.backends.custom.sim, the simulator's chat
// upstream; scripts/chat-upstream.sh): chat clients pass through byte for byte, with a two-turn tool call, and the
// client's X-Provider-Key replaces the backend's key upstream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const model = process.env.GODEX_E2E_CUSTOM_MODEL;
const baseURL = (process.env.GODEX_URL ?? 'http://127.0.0.1:39001') + '/v1';
const client = new OpenAI({ baseURL, apiKey: 'local', maxRetries: 0, timeout: 30_000 });
const tools = [{
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Current weather for a city',
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
}];
const skip = model ? false : 'GODEX_E2E_CUSTOM_MODEL is not set (no custom backend configured)';

test('custom backend: chat completion passes through (the upstream\'s own fingerprint)', { skip }, async () => {
  const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello' }] });
  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.system_fingerprint, 'fp_godexsim01');
  assert.match(completion.choices[0].message.content, /Say hello/);
  assert.ok(completion.usage.prompt_tokens > 0);
});

test('custom backend: streaming chat with usage, accumulated by the SDK', { skip }, async () => {
  const stream = client.chat.completions.stream({ model, messages: [{ role: 'user', content: 'Stream a greeting' }], stream_options: { include_usage: true } });
  let deltas = 0;
  stream.on('content', () => { deltas++; });
  const completion = await stream.finalChatCompletion();
  assert.ok(deltas > 2, `expected several content deltas, got ${deltas}`);
  assert.equal(completion.choices[0].finish_reason, 'stop');
  assert.ok(completion.usage && completion.usage.completion_tokens > 0);
});

test('custom backend: two-turn tool call', { skip }, async () => {
  const messages = [{ role: 'user', content: 'What is the weather in Paris? Use the get_weather tool.' }];
  const first = await client.chat.completions.stream({ model, messages, tools }).finalChatCompletion();
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  const call = first.choices[0].message.tool_calls[0];
  assert.equal(call.function.name, 'get_weather');
  assert.ok(JSON.parse(call.function.arguments).city);

  messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '18 degrees and sunny' });
  const second = await client.chat.completions.create({ model, messages, tools });
  assert.equal(second.choices[0].finish_reason, 'stop');
  assert.match(second.choices[0].message.content, /18 degrees and sunny/);
});

test('custom backend: X-Provider-Key replaces the backend\'s key (a wrong one is refused upstream)', { skip }, async () => {
  const right = await client.chat.completions.create(
    { model, messages: [{ role: 'user', content: 'Say hello' }] },
    { headers: { 'X-Provider-Key': 'sk-chat-upstream' } },
  );
  assert.match(right.choices[0].message.content, /Say hello/);
  await assert.rejects(
    client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello' }] }, { headers: { 'X-Provider-Key': 'sk-wrong' } }),
    (err) => err instanceof OpenAI.APIError && err.status === 503 && !/sk-wrong/.test(err.message),
  );
});

test('custom backend: /v1/models lists the models it discovered', { skip }, async () => {
  const ids = [];
  for await (const m of client.models.list()) { if (m.owned_by === 'sim') ids.push(m.id); }
  assert.deepEqual(ids, ['gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'o3']);
});
