// The official Anthropic TypeScript SDK against a real godex (GODEX_URL) serving the built-in simulator:
// messages.create, messages.stream with tools and with thinking (finalMessage()), on a Claude model (Anthropic
// provider) and on a GPT model (translated to the Codex backend).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import Anthropic from '@anthropic-ai/sdk';

const baseURL = process.env.GODEX_URL ?? 'http://127.0.0.1:39001';
const client = new Anthropic({ baseURL, apiKey: 'local', maxRetries: 0, timeout: 30_000 });
const tools = [{
  name: 'get_weather',
  description: 'Current weather for a city',
  input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
}];

for (const model of ['claude-opus-4-5', 'gpt-5.2-codex']) {
  test(`${model}: messages.create`, async () => {
    const message = await client.messages.create({
      model,
      max_tokens: 1024,
      system: [{ type: 'text', text: 'You are terse.', cache_control: { type: 'ephemeral' } }],
      messages: [{ role: 'user', content: 'Say hello' }],
    });
    assert.equal(message.type, 'message');
    assert.equal(message.role, 'assistant');
    assert.match(message.id, /^msg_/);
    assert.equal(message.stop_reason, 'end_turn');
    assert.equal(message.content[0].type, 'text');
    assert.match(message.content[0].text, /Say hello/);
    assert.ok(message.usage.input_tokens > 0 && message.usage.output_tokens > 0);
  });

  test(`${model}: messages.stream with a tool, then the tool result`, async () => {
    const question = { role: 'user', content: 'What is the weather in Paris? Use the get_weather tool.' };
    const stream = client.messages.stream({ model, max_tokens: 1024, tools, messages: [question] });
    let inputDeltas = 0;
    stream.on('inputJson', () => { inputDeltas++; });
    const first = await stream.finalMessage();
    assert.equal(first.stop_reason, 'tool_use');
    assert.ok(inputDeltas > 0, 'expected input_json deltas');
    const call = first.content.find((b) => b.type === 'tool_use');
    assert.equal(call.name, 'get_weather');
    assert.equal(typeof call.input.city, 'string');

    const second = await client.messages.stream({
      model,
      max_tokens: 1024,
      tools,
      messages: [
        question,
        { role: 'assistant', content: first.content },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: '18 degrees and sunny' }] },
      ],
    }).finalMessage();
    assert.equal(second.stop_reason, 'end_turn');
    const text = second.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
    assert.match(text, /18 degrees and sunny/);
  });

  test(`${model}: messages.stream with thinking, echoed back on turn 2`, async () => {
    const thinking = { type: 'enabled', budget_tokens: 2048 };
    const ask = { role: 'user', content: 'Think, then greet me' };
    const stream = client.messages.stream({ model, max_tokens: 4096, thinking, messages: [ask] });
    let thoughts = '';
    stream.on('thinking', (delta) => { thoughts += delta; });
    const first = await stream.finalMessage();
    assert.equal(first.stop_reason, 'end_turn');
    const block = first.content[0];
    assert.equal(block.type, 'thinking');
    assert.ok(block.thinking.length > 0 && block.thinking === thoughts);
    assert.ok(block.signature.length > 0, 'expected a signature');
    assert.ok(first.usage.input_tokens > 0);

    const second = await client.messages.stream({
      model,
      max_tokens: 4096,
      thinking,
      messages: [ask, { role: 'assistant', content: first.content }, { role: 'user', content: 'Again' }],
    }).finalMessage();
    assert.equal(second.stop_reason, 'end_turn');
    assert.equal(second.content[0].type, 'thinking');
  });
}

for (const model of ['claude-opus-4-5', 'gpt-5.2-codex']) {
  test(`${model}: messages.countTokens`, async () => {
    const counted = await client.messages.countTokens({
      model,
      system: 'Be terse.',
      messages: [{ role: 'user', content: 'How many tokens is this sentence, roughly?' }],
    });
    assert.ok(counted.input_tokens > 5 && counted.input_tokens < 200, `input_tokens ${counted.input_tokens}`);
  });
}

test('unknown route: a 404 NotFoundError in the Anthropic shape, with a request id', async () => {
  await assert.rejects(
    client.get('/v1/no-such-endpoint'),
    (error) => error instanceof Anthropic.NotFoundError && error.error?.type === 'error'
      && error.error?.error?.type === 'not_found_error' && /^req_/.test(error.requestID),
  );
});

test('missing max_tokens: a 400 BadRequestError naming the field', async () => {
  await assert.rejects(
    client.messages.create({ model: 'claude-opus-4-5', messages: [{ role: 'user', content: 'hi' }] }),
    (error) => error instanceof Anthropic.BadRequestError && /max_tokens/.test(error.message),
  );
});

// Issue 16: structured output through /v1/messages, on both backends. output_config.format (GA) and the older beta's
// output_format must reach the upstream (the Codex backend's text.format for a GPT model); the simulator, like a
// constrained model, then answers JSON that follows the schema.
const weatherSchema = {
  type: 'object',
  additionalProperties: false,
  properties: { city: { type: 'string' }, degrees: { type: 'integer' } },
  required: ['city', 'degrees'],
};

for (const model of ['claude-opus-4-5', 'gpt-5.2-codex']) {
  for (const field of ['output_config', 'output_format']) {
    test(`${model}: structured output via ${field}`, async () => {
      const format = { type: 'json_schema', schema: weatherSchema };
      const params = { model, max_tokens: 1024, messages: [{ role: 'user', content: 'Paris weather' }] };
      const message = field === 'output_config'
        ? await client.messages.create({ ...params, output_config: { format } })
        : await client.beta.messages.create({ ...params, output_format: format, betas: ['structured-outputs-2025-11-13'] });
      const text = message.content.find((block) => block.type === 'text').text;
      const answer = JSON.parse(text);
      assert.equal(answer.city, 'Paris');
      assert.equal(typeof answer.degrees, 'number');
    });
  }
}

