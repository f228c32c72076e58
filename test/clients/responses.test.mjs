// The official openai-node SDK's Responses API against a real godex (GODEX_URL) serving the built-in simulator:
// create (stream and not), responses.stream(...).finalResponse() with tools and a tool-output turn, and a
// previous_response_id chain, on a Codex model and on a Claude model.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import OpenAI from 'openai';

const baseURL = (process.env.GODEX_URL ?? 'http://127.0.0.1:39001') + '/v1';
const client = new OpenAI({ baseURL, apiKey: 'local', maxRetries: 0, timeout: 30_000 });
const tools = [{
  type: 'function',
  name: 'get_weather',
  description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  strict: true,
}];

for (const model of ['gpt-5.2-codex', 'sonnet']) {
  test(`${model}: responses.create`, async () => {
    const response = await client.responses.create({ model, input: 'Say hello', instructions: 'Be brief.' });
    assert.equal(response.object, 'response');
    assert.equal(response.status, 'completed');
    assert.match(response.output_text, /Say hello/);
    assert.ok(response.usage.input_tokens > 0 && response.usage.output_tokens > 0);
  });

  test(`${model}: responses.create stream`, async () => {
    const stream = await client.responses.create({ model, input: 'Stream a greeting', stream: true });
    const types = [];
    let text = '';
    let completed;
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
      if (event.type === 'response.completed') completed = event.response;
    }
    assert.equal(types[0], 'response.created');
    assert.equal(types.at(-1), 'response.completed');
    assert.match(text, /Stream a greeting/);
    assert.equal(completed.output[0].content[0].text, text);
  });

  test(`${model}: responses.stream finalResponse with a tool, then the tool output`, async () => {
    const input = [{ role: 'user', content: 'What is the weather in Paris? Use the get_weather tool.' }];
    const first = await client.responses.stream({ model, input, tools, store: false }).finalResponse();
    const call = first.output.find((item) => item.type === 'function_call');
    assert.ok(call, 'expected a function_call item');
    assert.equal(call.name, 'get_weather');
    assert.equal(typeof JSON.parse(call.arguments).city, 'string');

    const second = await client.responses.stream({
      model,
      input: [...input, ...first.output, { type: 'function_call_output', call_id: call.call_id, output: '18C and sunny' }],
      tools,
      store: false,
    }).finalResponse();
    assert.equal(second.status, 'completed');
    assert.match(second.output_text, /18C and sunny/);
  });

  test(`${model}: previous_response_id chain of three turns`, async () => {
    const first = await client.responses.create({ model, input: 'What is the weather in Paris? Use the get_weather tool.', tools });
    const call = first.output.find((item) => item.type === 'function_call');
    const second = await client.responses.create({
      model,
      previous_response_id: first.id,
      input: [{ type: 'function_call_output', call_id: call.call_id, output: '18C and sunny' }],
      tools,
    });
    assert.match(second.output_text, /18C and sunny/);
    const third = await client.responses.stream({ model, previous_response_id: second.id, input: 'thanks, bye' }).finalResponse();
    assert.match(third.output_text, /thanks, bye/);
    const stored = await client.responses.retrieve(third.id);
    assert.equal(stored.id, third.id);
  });
}
