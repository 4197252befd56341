// The peer stack of tailor's scenario benchmarks: what a JavaScript team
// would reach for, each part configured as its documentation recommends.
//
//   openai     the official SDK: its built-in retries (maxRetries 2, the
//              default: exponential backoff from 0.5 s, honours
//              Retry-After) and a per-request timeout (the same as
//              tailor's client timeout in the run)
//   p-queue    concurrency 16 (tailor's per-provider concurrency); under
//              a known rate limit, intervalCap = rpm/60 per 1 s interval
//   opossum    circuit breaker around each provider call: opossum's
//              defaults (50% errors, resetTimeout 30 s, 10 s rolling
//              window) with the times scaled like the latencies, as
//              tailor's breaker and retry times are
//   lru-cache  results keyed by a hash of the request, maxSize in bytes
//              (the same byte size as tailor's cache), fetch() coalescing
//              concurrent misses of the same key
//
// Input (argv[2]): the JSON file bench_scenarios writes: fake-llm's URL,
// the job plans (`tailor plan RESUME JOB --json`: each task's system and
// user prompt), the job list and the load (closed loop with `concurrency`
// jobs in flight, or one job every `interval_s` from `start_at`).
// Output (stdout): one JSON report, as tailor's runs write it.
//
// A task whose call fails after the SDK's retries, or whose breaker is
// open, keeps the resume's original text (the breaker's fallback): the job
// completes, degraded.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import OpenAI from 'openai';
import PQueue from 'p-queue';
import CircuitBreaker from 'opossum';
import { LRUCache } from 'lru-cache';

const cfg = JSON.parse(readFileSync(process.argv[2], 'utf8'));
// process.hrtime reads CLOCK_MONOTONIC on Linux: the same clock as the
// C harness, so times can be compared with fake-llm's outage window.
const mono = () => Number(process.hrtime.bigint()) / 1e9;
const sleep = (s) => new Promise((r) => setTimeout(r, Math.max(0, s * 1000)));

let calls = 0;
let ok = 0;
const okAt = [];
const closeAt = [];
let cacheHits = 0;

// Counts every HTTP attempt the SDK makes (its retries included).
const countingFetch = async (url, init) => {
  calls++;
  const res = await fetch(url, init);
  if (res.ok) {
    ok++;
    okAt.push(mono());
  }
  return res;
};

const client = new OpenAI({
  baseURL: cfg.url,
  apiKey: 'sk-bench',
  timeout: cfg.timeout_ms,
  maxRetries: 2,
  fetch: countingFetch,
});

const queueOpts = { concurrency: 16 };
if (cfg.rpm > 0) {
  queueOpts.intervalCap = Math.max(1, Math.floor(cfg.rpm / 60));
  queueOpts.interval = 1000;
}
const queue = new PQueue(queueOpts);

// opossum's defaults (errorThresholdPercentage 50, resetTimeout 30 s,
// rollingCountTimeout 10 s) with their times scaled like the latencies,
// as tailor's are; its own call timeout is left to the SDK's.
const breakerOpts = {
  timeout: false,
  errorThresholdPercentage: 50,
  resetTimeout: 30000 * cfg.scale,
  rollingCountTimeout: 10000 * cfg.scale,
};

async function complete(task) {
  const r = await client.chat.completions.create({
    model: 'fake',
    messages: [
      ...(task.system ? [{ role: 'system', content: task.system }] : []),
      { role: 'user', content: task.user },
    ],
    response_format: { type: 'json_object' },
    max_tokens: 2048,
  });
  const text = r.choices?.[0]?.message?.content ?? '';
  JSON.parse(text); // an answer that is not JSON counts as a failure
  return text;
}

const breaker = new CircuitBreaker(complete, breakerOpts);
breaker.fallback(() => undefined);
breaker.on('close', () => closeAt.push(mono()));

const cache = cfg.cache
  ? new LRUCache({
      maxSize: Math.max(1, cfg.cache_bytes || 64 * 1024 * 1024),
      sizeCalculation: (v, k) => v.length + k.length,
      fetchMethod: async (_key, _stale, { context }) => breaker.fire(context),
    })
  : null;

async function runTask(task) {
  if (cache) {
    const key = createHash('sha256').update(task.system ?? '').update('\0').update(task.user).digest('hex');
    if (cache.has(key)) cacheHits++;
    return cache.fetch(key, { context: task });
  }
  return breaker.fire(task);
}

let done = 0;
let failed = 0;
let degraded = 0;
let fallbacks = 0;
const jobMs = [];

async function runJob(key) {
  const t0 = mono();
  try {
    const tasks = cfg.plans[key];
    const out = await Promise.all(tasks.map((t) => queue.add(() => runTask(t))));
    const fb = out.filter((x) => x === undefined).length;
    if (fb) {
      degraded++;
      fallbacks += fb;
    }
  } catch {
    failed++;
  }
  done++;
  jobMs.push((mono() - t0) * 1000);
}

if (cfg.start_at > 0) await sleep(cfg.start_at - mono());
const tStart = mono();
let submitted = 0;
const running = new Set();
for (const key of cfg.jobs) {
  if (cfg.cap_s > 0 && mono() - tStart > cfg.cap_s) break;
  if (cfg.interval_s > 0) {
    await sleep(tStart + submitted * cfg.interval_s - mono());
  } else {
    while (running.size >= cfg.concurrency) {
      await Promise.race(running);
    }
    if (cfg.cap_s > 0 && mono() - tStart > cfg.cap_s) break;
  }
  const p = runJob(key).finally(() => running.delete(p));
  running.add(p);
  submitted++;
}
if (cfg.hard_cap && cfg.cap_s > 0) {
  // the run ends at the cap: jobs still in flight are dropped
  await Promise.race([Promise.all(running), sleep(tStart + cfg.cap_s - mono())]);
} else {
  await Promise.all(running);
}
const wall = mono() - tStart;

process.stdout.write(
  JSON.stringify({
    jobs: submitted,
    done,
    failed,
    degraded,
    fallbacks,
    calls,
    ok,
    wall_s: wall,
    t_start: tStart,
    job_ms: jobMs,
    bound_ms: [],
    ok_at: okAt,
    close_at: closeAt,
    cache_hits: cacheHits,
    batches: 0,
    hedges: 0,
  }),
  // stdout may be a pipe: exit once the whole report is written
  () => process.exit(0),
);
