// The official openai-node SDK against a real godex (GODEX_URL) serving the built-in simulator:
// chat, streaming chat with usage, and a two-turn tool call, on a Codex model and on a Claude model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

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

for (const model of ['gpt-5.2-codex', 'sonnet']) {
  test(`${model}: chat completion`, async () => {
    const completion = await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say hello' }] });
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.match(completion.choices[0].message.content, /Say hello/);
    assert.ok(completion.usage.prompt_tokens > 0 && completion.usage.completion_tokens > 0);
    assert.equal(completion.usage.total_tokens, completion.usage.prompt_tokens + completion.usage.completion_tokens);
  });

  test(`${model}: streaming chat, accumulated by the SDK`, async () => {
    const stream = client.chat.completions.stream({
      model,
      messages: [{ role: 'user', content: 'Stream a greeting' }],
      stream_options: { include_usage: true },
    });
    let deltas = 0;
    stream.on('content', () => { deltas++; });
    const completion = await stream.finalChatCompletion();
    assert.ok(deltas > 2, `expected several content deltas, got ${deltas}`);
    assert.equal(completion.choices[0].finish_reason, 'stop');
    assert.match(completion.choices[0].message.content, /Stream a greeting/);
    assert.ok(completion.usage && completion.usage.completion_tokens > 0);
  });

  test(`${model}: two-turn tool call`, async () => {
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
}

// Issue 16: reasoning effort + tools on a Claude model. godex returns the signed thinking block as thinking_blocks;
// pushing the SDK's message back as it is (the usual tool loop) brings it back, and the simulator, like the real API,
// rejects turn 2 of a tool loop with thinking on when the block is missing or edited.
test('sonnet: reasoning_effort + tools, turn 2 with the thinking_blocks the SDK kept', async () => {
  const messages = [{ role: 'user', content: 'What is the weather in Paris? Use the get_weather tool.' }];
  const first = await client.chat.completions.create({ model: 'sonnet', reasoning_effort: 'low', messages, tools });
  const message = first.choices[0].message;
  assert.equal(first.choices[0].finish_reason, 'tool_calls');
  assert.ok(message.reasoning_content.length > 0);
  assert.equal(message.thinking_blocks.length, 1);
  assert.equal(message.thinking_blocks[0].thinking, message.reasoning_content);
  const call = message.tool_calls[0];

  messages.push(message, { role: 'tool', tool_call_id: call.id, content: '18 degrees and sunny' });
  const second = await client.chat.completions.create({ model: 'sonnet', reasoning_effort: 'low', messages, tools });
  assert.equal(second.choices[0].finish_reason, 'stop');
  assert.match(second.choices[0].message.content, /18 degrees and sunny/);

  // The block godex forwards is the client's own: edited, its signature no longer verifies upstream.
  const edited = { ...message, thinking_blocks: [{ ...message.thinking_blocks[0], thinking: 'an edited thought' }] };
  await assert.rejects(
    client.chat.completions.create({ model: 'sonnet', reasoning_effort: 'low', tools, messages: [messages[0], edited, messages[2]] }),
    (err) => err instanceof OpenAI.BadRequestError && /Invalid `signature` in `thinking` block/.test(err.message),
  );
});

test('unmatched model: served by routing.default (Codex), as in the original', async () => {
  const completion = await client.chat.completions.create({ model: 'no-such-model', messages: [{ role: 'user', content: 'Say hello' }] });
  assert.equal(completion.model, 'no-such-model');
  assert.ok(completion.choices[0].message.content.length > 0);
  assert.match(completion._request_id, /^req_/);
});

test('unknown route: a 404 NotFoundError with a JSON body and a request id', async () => {
  await assert.rejects(
    client.get('/no-such-endpoint'),
    (err) => err instanceof OpenAI.NotFoundError && /Invalid URL \(GET \/v1\/no-such-endpoint\)/.test(err.message)
      && err.error?.code === 'unknown_url' && /^req_/.test(err.requestID),
  );
});
