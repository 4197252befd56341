// Browser tests of the tailor page: Debian's chromium, headless, driven by
// playwright-core, against a real `tailor serve` on a free loopback port
// with an in-memory database.
//
// usage: node page.test.mjs TAILOR_BINARY DATA_DIR ARTIFACT_DIR
//
// Prints "ok - ..." or "FAIL - ..." per check, "SKIP: ..." for what cannot
// run here, and last "N passed, N failed"; exits 1 when a check failed.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const [binary, dataDir, artifactDir] = process.argv.slice(2);
if (!binary || !dataDir || !artifactDir) {
  console.error("usage: node page.test.mjs TAILOR_BINARY DATA_DIR ARTIFACT_DIR");
  process.exit(2);
}
fs.mkdirSync(artifactDir, { recursive: true });

let passed = 0, failed = 0;
function check(name, cond, detail) {
  if (cond) { passed++; console.log("ok - " + name); }
  else { failed++; console.log("FAIL - " + name + (detail !== undefined ? ": " + detail : "")); }
}
function eq(name, got, want) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  check(name, g === w, "got " + (g || "").slice(0, 300) + ", want " + (w || "").slice(0, 300));
}

const CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];

// ---- the server ----

function startServer(extraArgs = [], env = {}) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, ["serve", "--port", "0", "--bind", "127.0.0.1", "--db", ":memory:", "--quiet", ...extraArgs],
      { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
    let out = "";
    const timer = setTimeout(() => { proc.kill("SIGKILL"); reject(new Error("the server did not start: " + out)); }, 10000);
    const look = (chunk) => {
      out += chunk;
      const m = /serving on (http:\/\/127\.0\.0\.1:\d+)\//.exec(out) || /port=(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ proc, base: m[1].startsWith("http") ? m[1] : "http://127.0.0.1:" + m[1] });
      }
    };
    proc.stdout.on("data", look);
    proc.stderr.on("data", look);
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error("the server exited (" + code + "): " + out)); });
  });
}

async function stopServer(s) {
  if (!s || s.proc.exitCode !== null) return;
  const gone = new Promise((r) => s.proc.once("exit", r));
  s.proc.kill("SIGTERM");
  const t = setTimeout(() => s.proc.kill("SIGKILL"), 5000);
  await gone;
  clearTimeout(t);
}

async function getJSON(base, url) {
  const res = await fetch(base + url);
  return { status: res.status, body: await res.json() };
}

// ---- the browser ----

async function launch() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tailor-web-"));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: "/usr/bin/chromium", headless: true, args: CHROMIUM_ARGS,
    acceptDownloads: true, viewport: { width: 1280, height: 900 },
  });
  return { ctx, dir };
}

async function close(b) {
  await b.ctx.close();
  fs.rmSync(b.dir, { recursive: true, force: true });
}

// Watches a page: every request must stay on the server's origin, and the
// console must stay free of errors (a CSP violation is one).
function watch(page, base) {
  const w = { foreign: [], errors: [] };
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith(base + "/") && !u.startsWith("blob:") && !u.startsWith("data:")) w.foreign.push(u);
  });
  page.on("console", (m) => { if (m.type() === "error") w.errors.push(m.text()); });
  page.on("pageerror", (e) => w.errors.push(String(e)));
  return w;
}

async function shot(page, name, fullPage = true) {
  const file = path.join(artifactDir, name);
  await page.screenshot({ path: file, fullPage });
  console.log("# screenshot: " + file);
}

// ---- the checks ----

async function checkHeaders(base) {
  const page = await fetch(base + "/");
  const csp = page.headers.get("content-security-policy") || "";
  eq("page content type", page.headers.get("content-type"), "text/html; charset=utf-8");
  check("page CSP is strict", csp.includes("default-src 'none'") && csp.includes("script-src 'self'") &&
    !csp.includes("unsafe-inline") && !csp.includes("unsafe-eval") && csp.includes("frame-ancestors 'none'"), csp);
  eq("page nosniff", page.headers.get("x-content-type-options"), "nosniff");
  check("page cache header", /no-cache|max-age/.test(page.headers.get("cache-control") || ""), page.headers.get("cache-control"));
  const etag = page.headers.get("etag");
  check("page has an ETag", !!etag, etag);
  const again = await fetch(base + "/", { headers: { "If-None-Match": etag || "" } });
  eq("page revalidates with 304", again.status, 304);
  const html = await page.text();
  check("page loads no external resource", !/(src|href)="(https?:)?\/\//.test(html));
  for (const [file, type] of [["/app.js", "text/javascript"], ["/diff.js", "text/javascript"],
    ["/resume.js", "text/javascript"], ["/app.css", "text/css"]]) {
    const r = await fetch(base + file);
    check(file + " is served as " + type, r.status === 200 && (r.headers.get("content-type") || "").startsWith(type),
      r.status + " " + r.headers.get("content-type"));
    const body = await r.text();
    check(file + " names no other origin", !/https?:\/\/(?!jsonresume\.org)/.test(body.replace(/\/\/.*$/gm, "")));
  }
}

async function keyboardReachesTailor(page) {
  // From the job box, Tab moves through the controls to the Tailor button.
  await page.focus("#job");
  const seen = [];
  for (let i = 0; i < 15; i++) {
    await page.keyboard.press("Tab");
    const id = await page.evaluate(() => {
      const a = document.activeElement;
      return a.id || (a.name ? a.name + ":" + a.value : a.tagName.toLowerCase());
    });
    seen.push(id);
    if (id === "go") break;
  }
  check("Tab reaches the strength choice and the Tailor button", seen.some((s) => s.startsWith("strength:")) && seen.at(-1) === "go", seen.join(" "));
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  check("the focused button shows its focus", outline !== "none" && outline !== "", outline);
}

async function firstRun(base, resumeText, jobText, resumeJSON) {
  const b = await launch();
  const page = await b.ctx.newPage();
  const w = watch(page, base);
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']", { timeout: 10000 });
  await page.fill("#resume", resumeText);
  await page.fill("#job", jobText);
  await shot(page, "web-start.png", false);
  await keyboardReachesTailor(page);
  await page.keyboard.press("Enter"); // the Tailor button, by keyboard

  await page.waitForSelector("#result:not([hidden])", { timeout: 30000 });
  const jobId = Number(await page.getAttribute("body", "data-job"));
  check("the page ran a job", jobId > 0, jobId);

  // What the server says about the job: its events and its result.
  const evRes = await fetch(base + "/api/v1/enhance-customize/" + jobId + "/events");
  const evText = await evRes.text();
  const events = evText.split("\n\n").filter(Boolean).map((block) => {
    const name = (/^event: (.*)$/m.exec(block) || [])[1];
    const data = (/^data: (.*)$/m.exec(block) || [])[1];
    return { name, data: data ? JSON.parse(data) : null };
  });
  const sections = events.filter((e) => e.name === "section");
  const done = events.find((e) => e.name === "done");
  check("the job streamed section events and ended with done", sections.length > 0 && !!done, evText.slice(0, 200));
  const result = done.data;
  const total = sections.length ? sections[0].data.total : 0;
  eq("progress counts every section", await page.evaluate(() => [document.getElementById("progress").value, document.getElementById("progress").max]), [total, total]);

  // Every section card: one per tailored entry, plus entries changed later.
  const entry = (id) => { const m = /^([^.[\]]+)(\[\d+\])?(?:\.([^.[\]]+))?/.exec(id); return m[2] ? m[1] + m[2] : m[3] ? m[1] + "." + m[3] : m[1]; };
  const want = new Set(sections.map((e) => entry(e.data.section)));
  for (const c of result.changes) want.add(entry(c.id));
  const cards = await page.$$eval(".card", (list) => list.map((c) => ({
    id: c.dataset.section,
    title: c.querySelector("h3").textContent,
    provider: c.querySelector(".provider").textContent,
    fallback: !c.querySelector(".fallback").hidden,
    before: c.querySelector(".before .lines").innerText,
    after: c.querySelector(".after .lines").innerText,
    reasons: c.querySelector(".reasons").innerText,
    ins: c.querySelectorAll(".after ins").length,
    del: c.querySelectorAll(".before del").length,
    state: c.dataset.state,
  })));
  eq("a card for every section", cards.map((c) => c.id).sort(), [...want].sort());
  check("every card names its provider (local) and none fell back", cards.every((c) => c.provider === "local" && !c.fallback),
    JSON.stringify(cards.map((c) => [c.id, c.provider, c.fallback])));
  check("every card has a title and both sides", cards.every((c) => c.title && c.before.trim() && c.after.trim()));
  // Each card's tailored side is the result's text; each change's reason is on its card.
  const at = (doc, id) => id.split(/[.[\]]+/).filter(Boolean).reduce((v, s) => v && v[/^\d+$/.test(s) ? Number(s) : s], doc);
  const texts = (v) => typeof v === "string" ? [v] : !v || typeof v !== "object" ? [] :
    Array.isArray(v) ? v.flatMap(texts) : ["summary", "description", "highlights", "keywords"].flatMap((k) => texts(v[k]));
  for (const c of cards) {
    const missing = texts(at(result.resume, c.id)).filter((t) => !c.after.includes(t));
    eq("card " + c.id + " shows the tailored text", missing, []);
  }
  const unexplained = result.changes.filter((c) => !(cards.find((k) => k.id === entry(c.id)) || { reasons: "" }).reasons.includes(c.reason));
  eq("every change's reason is on its card", unexplained, []);
  check("changed words are marked on both sides", cards.some((c) => c.ins > 0 && c.del > 0));

  // The scores.
  eq("score before", await page.textContent("#score-before"), String(result.score.before.score));
  eq("score after", await page.textContent("#score-after"), String(result.score.after.score));
  eq("gauge after is drawn", await page.getAttribute("#gauge-after .fill", "stroke-dasharray"), result.score.after.score + " 100");

  // The missing keywords, and where the job asks for one.
  const chips = await page.$$eval("#missing button", (l) => l.map((b) => b.textContent));
  eq("the missing keywords as chips", chips, result.missing_keywords.map((k) => k.term));
  const pick = result.missing_keywords.find((k) => new RegExp("\\b" + k.term + "\\b", "i").test(jobText)) || result.missing_keywords[0];
  if (pick) {
    const chip = page.locator("#missing button", { hasText: pick.term }).first();
    await chip.focus();
    await page.keyboard.press("Enter");
    const marks = await page.$$eval("#job-text mark", (l) => l.map((m) => m.textContent));
    check("choosing “" + pick.term + "” marks it in the job text", marks.length > 0 && marks.every((m) => m.toLowerCase().includes(pick.term.toLowerCase().split(" ")[0].slice(0, 4))), JSON.stringify(marks));
    eq("the chip is pressed", await chip.getAttribute("aria-pressed"), "true");
  }
  await shot(page, "web-result.png");

  // Revert one section with changes; the saved version has it as it was.
  const target = cards.find((c) => c.id.startsWith("work[") && c.state === "changed") || cards.find((c) => c.state === "changed");
  const resumeId = Number(await page.getAttribute("body", "data-resume"));
  const tailoredVersion = result.version;
  check("the result was saved as a version", tailoredVersion >= 2, tailoredVersion);
  const card = page.locator(".card[data-section='" + target.id + "']");
  await card.locator("button.revert").focus();
  await page.keyboard.press("Enter"); // by keyboard
  await page.waitForSelector(".card[data-section='" + target.id + "'][data-state='reverted']", { timeout: 10000 });
  const versions = (await getJSON(base, "/api/v1/resumes/" + resumeId + "/versions")).body;
  const latest = versions.latest_version;
  eq("the revert made a new version", latest, tailoredVersion + 1);
  const saved = (await getJSON(base, "/api/v1/resumes/" + resumeId + "/versions/" + latest)).body;
  const original = (await getJSON(base, "/api/v1/resumes/" + resumeId + "/versions/1")).body.resume;
  eq("the saved version has " + target.id + " as it was", at(saved.resume, target.id), at(original, target.id));
  const other = [...want].find((id) => id !== target.id && JSON.stringify(at(result.resume, id)) !== JSON.stringify(at(original, id)));
  if (other) eq("and keeps " + other + " tailored", at(saved.resume, other), at(result.resume, other));
  const afterRevert = await card.locator(".after .lines").innerText();
  const beforeNow = await card.locator(".before .lines").innerText();
  check("the card shows the original text on both sides", afterRevert === beforeNow && afterRevert === target.before, afterRevert.slice(0, 200));

  // Accept another card.
  const acceptId = cards.find((c) => c.id !== target.id).id;
  const acc = page.locator(".card[data-section='" + acceptId + "'] button.accept");
  await acc.click();
  eq("accept marks the card", await acc.getAttribute("aria-pressed"), "true");

  // Download JSON: the tailored resume with the revert.
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click("#dl-json")]);
  const dlPath = path.join(artifactDir, "web-download.json");
  await dl.saveAs(dlPath);
  let parsed = null;
  try { parsed = JSON.parse(fs.readFileSync(dlPath, "utf8")); } catch (e) { /* checked below */ }
  check("the JSON download parses", parsed !== null);
  eq("the JSON download is the saved tailored resume", parsed, saved.resume);
  eq("the download keeps the person", parsed && parsed.basics.name, resumeJSON.basics.name);
  check("the download has the tailored sections", parsed && other ? JSON.stringify(at(parsed, other)) === JSON.stringify(at(result.resume, other)) : !!parsed);

  const [dlmd] = await Promise.all([page.waitForEvent("download"), page.click("#dl-md")]);
  const md = fs.readFileSync(await dlmd.path(), "utf8");
  check("the Markdown download is the resume", md.includes(resumeJSON.basics.name) && md.includes("Kubernetes"), md.slice(0, 200));
  const [dlhtml] = await Promise.all([page.waitForEvent("download"), page.click("#dl-html")]);
  const htmlText = fs.readFileSync(await dlhtml.path(), "utf8");
  check("the HTML download is the resume", /<html|<h1|<article|<section/i.test(htmlText) && htmlText.includes(resumeJSON.basics.name), htmlText.slice(0, 200));

  // Print: only the tailored resume.
  await page.emulateMedia({ media: "print" });
  const printView = await page.evaluate(() => ({
    form: getComputedStyle(document.getElementById("main")).display,
    resume: getComputedStyle(document.getElementById("print-resume")).display,
    name: document.querySelector("#print-resume h1")?.textContent,
  }));
  eq("print shows only the resume", printView, { form: "none", resume: "block", name: resumeJSON.basics.name });
  const pdf = path.join(artifactDir, "web-print.pdf");
  await page.pdf({ path: pdf, format: "A4" });
  check("print to PDF gives a PDF", fs.readFileSync(pdf).subarray(0, 5).toString() === "%PDF-");
  await page.emulateMedia({ media: "screen" });

  // Dark mode and a phone-width screen.
  await page.emulateMedia({ colorScheme: "dark" });
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  const lum = (bg.match(/\d+/g) || [255, 255, 255]).slice(0, 3).map(Number).reduce((a, b) => a + b, 0) / 765;
  check("dark mode darkens the page", lum < 0.3, bg);
  await shot(page, "web-dark.png");
  await page.emulateMedia({ colorScheme: "light" });
  await page.setViewportSize({ width: 375, height: 740 });
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check("no sideways scrolling at phone width", wide <= 376, wide);
  const cols = await page.$eval(".card .sbs", (e) => getComputedStyle(e).gridTemplateColumns.split(" ").length);
  eq("cards stack original over tailored at phone width", cols, 1);
  await shot(page, "web-phone.png", false);
  await page.locator(".card[data-state='changed']").first().scrollIntoViewIfNeeded();
  await shot(page, "web-phone-card.png", false);

  eq("no request left the server's origin", w.foreign, []);
  eq("no console errors (CSP violations included)", w.errors, []);
  await close(b);
}

async function errorsInPlainWords(base) {
  const b = await launch();
  const page = await b.ctx.newPage();
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']");
  await page.click("#go");
  const msg = await page.textContent("#error");
  check("an empty form says what to do", /Paste a resume/.test(msg), msg);
  await page.fill("#resume", "{ not json");
  await page.selectOption("#format", "json");
  await page.fill("#job", "Go developer");
  await page.click("#go");
  await page.waitForFunction(() => !document.getElementById("error").hidden && document.getElementById("error").textContent.includes("resume"));
  const msg2 = await page.textContent("#error");
  check("a resume that cannot be read is said so", /Could not read the resume/.test(msg2), msg2);
  eq("the Tailor button is usable again", await page.isEnabled("#go"), true);
  await close(b);
}

// Cards appear while the job streams: the first answer of the event
// stream stops before "done" (as a connection that breaks would); the page
// shows the cards so far, then reconnects and finishes.
async function streaming(base, resumeText, jobText) {
  const b = await launch();
  const page = await b.ctx.newPage();
  const w = watch(page, base);
  let calls = 0;
  await page.route(/\/api\/v1\/enhance-customize\/\d+\/events$/, async (route) => {
    calls++;
    const res = await route.fetch();
    let body = await res.text();
    if (calls === 1) {
      // No "done"; and the summary's event carries a text of the test's.
      body = body.split("\n\n").filter((blk) => !/^event: done$/m.test(blk)).join("\n\n") + "\n\n";
      body = body.replace(/^(data: \{.*"section":"basics\.summary".*)\}$/m, '$1,"after":"A streamed summary."}');
    }
    await route.fulfill({ status: 200, headers: { "content-type": "text/event-stream" }, body });
  });
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']");
  await page.fill("#resume", resumeText);
  await page.fill("#job", jobText);
  await page.click("#go");
  await page.waitForSelector(".card[data-state='streamed']", { timeout: 10000 });
  const mid = await page.evaluate(() => ({
    result: document.getElementById("result").hidden,
    cards: document.querySelectorAll(".card[data-state='streamed']").length,
    // every other card shows the text its own event carried, at once
    texts: [...document.querySelectorAll(".card:not([data-section='basics.summary']) .after .lines")].every((l) => l.textContent.trim().length > 0 && !l.textContent.includes("consistency pass")),
    streamed: document.querySelector(".card[data-section='basics.summary'] .after .lines").textContent,
    progress: document.getElementById("progress-text").textContent,
  }));
  check("cards appear as sections stream, with their text, before the result", mid.result && mid.cards > 0 && mid.texts, JSON.stringify(mid));
  check("a section event's tailored text shows at once", mid.streamed.includes("A streamed summary."), mid.streamed);
  check("the progress bar counts them", /^(\d+) of \1 sections$/.test(mid.progress), mid.progress);
  await shot(page, "web-streaming.png", false);
  await page.waitForSelector("#result:not([hidden])", { timeout: 20000 });
  check("after the stream broke, the page reconnected and finished", calls >= 2, calls);
  eq("no console errors while streaming", w.errors.filter((e) => !/ERR_|net::/.test(e)), []);
  await close(b);
}

// Progress while a section is generated: the first answer of the event
// stream stops after the first section, with a progress event (no id, as
// the server sends them) for the next; that card says how far it is, then
// the page reconnects and the section's own event takes over.
async function generating(base, resumeText, jobText) {
  const b = await launch();
  const page = await b.ctx.newPage();
  const w = watch(page, base);
  const entry = (id) => { const m = /^([^.[\]]+)(\[\d+\])?(?:\.([^.[\]]+))?/.exec(id); return m[2] ? m[1] + m[2] : m[3] ? m[1] + "." + m[3] : m[1]; };
  let calls = 0, pending = "";
  await page.route(/\/api\/v1\/enhance-customize\/\d+\/events$/, async (route) => {
    calls++;
    const res = await route.fetch();
    let body = await res.text();
    if (calls === 1) {
      const blocks = body.split("\n\n");
      const secs = blocks.filter((blk) => /^event: section$/m.test(blk));
      const data = secs.map((blk) => JSON.parse(blk.split("\ndata: ")[1]));
      // the next section of another card (a card may hold several)
      const next = data.find((d) => entry(d.section) !== entry(data[0].section));
      pending = next.section;
      const upto = blocks.indexOf(secs[0]);
      body = blocks.slice(0, upto + 1).join("\n\n") + "\n\nevent: progress\ndata: " +
        JSON.stringify({ job_id: next.job_id, section: pending, tokens: 42 }) + "\n\n";
    }
    await route.fulfill({ status: 200, headers: { "content-type": "text/event-stream" }, body });
  });
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']");
  await page.fill("#resume", resumeText);
  await page.fill("#job", jobText);
  await page.click("#go");
  await page.waitForSelector(".card[data-state='generating']", { timeout: 10000 });
  const mid = await page.$$eval(".card[data-state='generating']", (l) => l.map((c) => ({ id: c.dataset.section, state: c.querySelector(".state").textContent })));
  check("a card being generated shows its tokens so far", mid.length === 1 && mid[0].state === "generating… 42 tokens", JSON.stringify(mid));
  await page.waitForSelector("#result:not([hidden])", { timeout: 20000 });
  const left = await page.$$eval(".card[data-state='generating']", (l) => l.length);
  eq("once its section is in, no card says generating", left, 0);
  check("the page reconnected after the progress event", calls >= 2, calls);
  eq("no console errors while generating", w.errors.filter((e) => !/ERR_|net::/.test(e)), []);
  await close(b);
}

// Loading a file: a text resume fills the box and sets its format; a PDF
// is refused in plain words.
async function files(base, dataDir) {
  const b = await launch();
  const page = await b.ctx.newPage();
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']");
  await page.setInputFiles("#file", path.join(dataDir, "maria-lopez.md"));
  await page.waitForFunction(() => document.getElementById("resume").value.length > 0);
  eq("a Markdown file fills the resume and its format", [await page.inputValue("#format"), (await page.inputValue("#resume")).slice(0, 13)], ["markdown", "# Maria Lopez"]);
  await page.setInputFiles("#file", { name: "cv.pdf", mimeType: "application/pdf", buffer: Buffer.from("%PDF-1.4") });
  await page.waitForFunction(() => !document.getElementById("error").hidden);
  const msg = await page.textContent("#error");
  check("a PDF is refused in plain words", /cannot read/.test(msg) && /paste/.test(msg), msg);
  await close(b);
}

// Fallback marks on the page side: a Markdown resume runs for real, and
// its event stream is rewritten on the way to the page as a provider chain
// would send it (openai, one section fallen back to local).
async function fallbackMarksFromStream(base, dataDir) {
  const b = await launch();
  const page = await b.ctx.newPage();
  const w = watch(page, base);
  let rewritten = [];
  await page.route(/\/api\/v1\/enhance-customize\/\d+\/events$/, async (route) => {
    const res = await route.fetch();
    let n = 0;
    const body = (await res.text()).replace(/^(event: section\ndata: )(.*)$/gm, (all, head, json) => {
      const d = JSON.parse(json);
      n++;
      d.provider = n === 2 ? "local" : "openai";
      d.fallback = n === 2;
      if (n === 2) rewritten.push(d.section);
      return head + JSON.stringify(d);
    });
    await route.fulfill({ status: 200, headers: { "content-type": "text/event-stream" }, body });
  });
  await page.goto(base + "/");
  await page.waitForSelector("body[data-ready='1']");
  await page.fill("#resume", fs.readFileSync(path.join(dataDir, "maria-lopez.md"), "utf8"));
  await page.fill("#job", fs.readFileSync(path.join(dataDir, "analytics-engineer.txt"), "utf8"));
  await page.check("input[name=strength][value=EXTENSIVE]");
  await page.click("#go");
  await page.waitForSelector("#result:not([hidden])", { timeout: 30000 });
  const cards = await page.$$eval(".card", (l) => l.map((c) => ({ id: c.dataset.section, provider: c.querySelector(".provider").textContent, fallback: !c.querySelector(".fallback").hidden })));
  const entry = (id) => { const m = /^([^.[\]]+)(\[\d+\])?(?:\.([^.[\]]+))?/.exec(id); return m[2] ? m[1] + m[2] : m[3] ? m[1] + "." + m[3] : m[1]; };
  const marked = cards.filter((c) => c.fallback).map((c) => c.id);
  eq("the section that fell back is marked, and only it", marked, rewritten.map(entry));
  check("its card names the provider that produced it", cards.filter((c) => c.fallback).every((c) => c.provider === "local"));
  check("the other streamed cards name openai", cards.filter((c) => !c.fallback && c.provider !== "local").length > 0, JSON.stringify(cards));
  check("a Markdown resume gives cards for work entries", cards.some((c) => c.id.startsWith("work[")), JSON.stringify(cards.map((c) => c.id)));
  await shot(page, "web-fallback.png");
  eq("no console errors in the Markdown run", w.errors, []);
  await close(b);
}

// A server with API keys: the page says a key is needed, then with one
// follows the job over a fetch stream (EventSource cannot send the key).
async function withApiKey(resumeText, jobText) {
  const keyed = await startServer(["--web-dir", path.resolve(path.dirname(new URL(import.meta.url).pathname), "../../web")], { TAILOR_API_KEYS: "sekrit-key-1" });
  const b = await launch();
  try {
    const page = await b.ctx.newPage();
    const w = watch(page, keyed.base);
    await page.goto(keyed.base + "/");
    await page.waitForSelector("body[data-ready='1']");
    await page.fill("#resume", resumeText);
    await page.fill("#job", jobText);
    await page.click("#go");
    await page.waitForFunction(() => !document.getElementById("error").hidden);
    const msg = await page.textContent("#error");
    check("without a key the page asks for one", /needs an API key/.test(msg), msg);
    eq("and opens the key field", await page.evaluate(() => document.querySelector("details.key").open), true);
    await page.fill("#apikey", "sekrit-key-1");
    await page.click("#go");
    await page.waitForSelector("#result:not([hidden])", { timeout: 30000 });
    check("with the key the job runs to its result (fetch stream)", (await page.$$(".card")).length > 0);
    eq("no console errors with a key but the expected 401", w.errors.filter((e) => !/401/.test(e)), []);
  } finally {
    await close(b);
    await stopServer(keyed);
  }
}

function startFakeLlm(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(binary, ["fake-llm", "--port", "0", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    const timer = setTimeout(() => { proc.kill("SIGKILL"); reject(new Error("fake-llm did not start: " + out)); }, 10000);
    const look = (chunk) => {
      out += chunk;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ proc, base: "http://127.0.0.1:" + m[1] }); }
    };
    proc.stdout.on("data", look);
    proc.stderr.on("data", look);
    proc.on("exit", (code) => { clearTimeout(timer); reject(new Error("fake-llm exited (" + code + "): " + out)); });
  });
}

// The real thing: a server whose chain is openai -> local, the openai
// provider being fake-llm in an outage (503 on every call). The page lists
// the configured providers; every section streams in from the embedded
// engine, marked as fallen back; the job still completes.
async function fallbackRun(dataDir) {
  const fake = await startFakeLlm(["--outage", "0:100000"]);
  let srv = null, b = null;
  try {
    srv = await startServer(["--providers", "openai,anthropic,local"],
      { OPENAI_BASE_URL: fake.base + "/v1", OPENAI_API_KEY: "test-key",
        ANTHROPIC_BASE_URL: fake.base, ANTHROPIC_API_KEY: "test-key" });
    b = await launch();
    const page = await b.ctx.newPage();
    const w = watch(page, srv.base);
    await page.goto(srv.base + "/");
    await page.waitForSelector("body[data-ready='1']");
    const offered = await page.$$eval("#provider-list input", (l) => l.map((i) => [i.value, i.checked]));
    eq("the page offers the configured chain", offered, [["openai", true], ["anthropic", true], ["local", true]]);
    // anthropic first, by keyboard: its "earlier" button, then Enter
    await page.focus("#provider-list button[aria-label='Move anthropic earlier in the chain']");
    await page.keyboard.press("Enter");
    const order = await page.$$eval("#provider-list input", (l) => l.map((i) => i.value));
    eq("a provider moves earlier in the chain", order, ["anthropic", "openai", "local"]);
    let sentChain = null;
    page.on("request", (req) => {
      if (req.method() === "POST" && /\/api\/v1\/enhance-customize$/.test(req.url())) sentChain = JSON.parse(req.postData() || "{}").provider;
    });
    await page.fill("#resume", fs.readFileSync(path.join(dataDir, "maria-lopez.md"), "utf8"));
    await page.fill("#job", fs.readFileSync(path.join(dataDir, "analytics-engineer.txt"), "utf8"));
    await page.click("#go");
    await page.waitForSelector("#result:not([hidden])", { timeout: 60000 });
    const cards = await page.$$eval(".card", (l) => l.map((c) => ({ id: c.dataset.section, provider: c.querySelector(".provider").textContent, fallback: !c.querySelector(".fallback").hidden })));
    check("sections arrived", cards.length >= 3, JSON.stringify(cards));
    eq("the job asked for the chain in the order shown", sentChain, "anthropic,openai,local");
    check("during the outage every section fell back to the embedded engine, and says so",
      cards.length > 0 && cards.every((c) => c.fallback && c.provider === "local"), JSON.stringify(cards));
    const status = await page.textContent("#status");
    check("the job completed", /^Done: match score/.test(status.trim()), status);
    const stats = await (await fetch(fake.base + "/stats")).json();
    check("the provider was asked before the page fell back", (stats.calls || 0) > 0, JSON.stringify(stats));
    await shot(page, "web-outage.png");
    eq("no console errors in the outage run", w.errors, []);
    eq("no request left the server's origin in the outage run", w.foreign, []);
  } finally {
    if (b) await close(b);
    await stopServer(srv);
    fake.proc.kill("SIGTERM");
  }
}

// ---- main ----

const resumeText = fs.readFileSync(path.join(dataDir, "alex-chen.json"), "utf8");
const jobText = fs.readFileSync(path.join(dataDir, "senior-backend-engineer.txt"), "utf8");
let server = null;
try {
  server = await startServer();
  await checkHeaders(server.base);
  await firstRun(server.base, resumeText, jobText, JSON.parse(resumeText));
  await errorsInPlainWords(server.base);
  await streaming(server.base, resumeText, jobText);
  await generating(server.base, resumeText, jobText);
  await files(server.base, dataDir);
  await fallbackMarksFromStream(server.base, dataDir);
  await withApiKey(resumeText, jobText);
  await fallbackRun(dataDir);
} catch (e) {
  check("the browser run finished", false, e && e.stack ? e.stack : String(e));
} finally {
  await stopServer(server);
}
console.log(passed + " passed, " + failed + " failed");
process.exit(failed ? 1 : 0);
