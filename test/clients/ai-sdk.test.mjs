// The Vercel AI SDK's OpenAI provider in Responses mode (createOpenAI({baseURL}).responses(model)) against a real
// godex (GODEX_URL) on the built-in simulator: streamText with a tool the SDK runs, then the model's answer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { streamText, generateText, tool, stepCountIs } from 'ai';
import { createOpenAI } from '@ai-sdk/openai';
import { z } from 'zod';

const openai = createOpenAI({ baseURL: (process.env.GODEX_URL ?? 'http://127.0.0.1:39001') + '/v1', apiKey: 'local' });

const getWeather = tool({
  description: 'Current weather for a city',
  inputSchema: z.object({ city: z.string() }),
  execute: async ({ city }) => `18C and sunny in ${city}`,
});

for (const model of ['gpt-5.2-codex', 'sonnet']) {
  test(`${model}: generateText`, async () => {
    const result = await generateText({ model: openai.responses(model), prompt: 'Say hello' });
    assert.match(result.text, /Say hello/);
    assert.equal(result.finishReason, 'stop');
    assert.ok(result.usage.outputTokens > 0);
  });

  test(`${model}: streamText with a tool, two steps`, async () => {
    const result = streamText({
      model: openai.responses(model),
      prompt: 'What is the weather in Paris? Use the get_weather tool.',
      tools: { get_weather: getWeather },
      stopWhen: stepCountIs(3),
      providerOptions: { openai: { store: false } },
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    const steps = await result.steps;
    assert.ok(steps.length >= 2, `expected a tool step and an answer step, got ${steps.length}`);
    assert.equal(steps[0].toolCalls[0].toolName, 'get_weather');
    assert.match(text, /18C and sunny/);
  });
}
