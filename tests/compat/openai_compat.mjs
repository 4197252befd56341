// The official openai npm client against tailor fake-llm: a client nobody
// here wrote must accept fake-llm's answers, plain and streamed.
// usage: OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 node openai_compat.mjs
import assert from "node:assert/strict";
import OpenAI from "openai";

const baseURL = process.env.OPENAI_BASE_URL;
assert.ok(baseURL, "OPENAI_BASE_URL must be set");
const client = new OpenAI({ baseURL, apiKey: "sk-compat-test", maxRetries: 0, timeout: 30000 });

const prompt =
  "### Job (JSON)\n" +
  JSON.stringify({ title: "Backend", matched_keywords: ["Kafka"], missing_keywords: [], term_map: { golang: "Go" } }) +
  "\n\n### Subsections (JSON)\n" +
  JSON.stringify([{ id: "w0", bullets: ["Wrote docs", "Built services in golang on Kafka"] }]) +
  "\n";

// Plain, JSON mode.
const res = await client.chat.completions.create({
  model: "fake-1",
  messages: [
    { role: "system", content: "You tailor resumes." },
    { role: "user", content: prompt },
  ],
  response_format: { type: "json_object" },
});
assert.equal(res.object, "chat.completion");
const answer = JSON.parse(res.choices[0].message.content);
assert.equal(answer.id, "w0");
assert.deepEqual(answer.bullets, ["Built services in Go on Kafka", "Wrote docs"]);
assert.ok(res.usage.prompt_tokens > 0 && res.usage.completion_tokens > 0);

// Streaming, with usage in the last chunk.
const stream = await client.chat.completions.create({
  model: "fake-1",
  messages: [{ role: "user", content: prompt }],
  stream: true,
  stream_options: { include_usage: true },
});
let text = "";
let usage = null;
for await (const chunk of stream) {
  if (chunk.choices.length) text += chunk.choices[0].delta.content ?? "";
  if (chunk.usage) usage = chunk.usage;
}
assert.equal(text, res.choices[0].message.content);
assert.ok(usage && usage.completion_tokens === res.usage.completion_tokens);

// The stream helper and the models list.
const runner = client.chat.completions.stream({ model: "fake-1", messages: [{ role: "user", content: prompt }] });
const final = await runner.finalChatCompletion();
assert.equal(final.choices[0].message.content, res.choices[0].message.content);
const models = await client.models.list();
assert.equal(models.data[0].id, "fake-llm");

console.log("openai npm compat: ok");
