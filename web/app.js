// The tailor page. Stores the pasted resume and job, starts an
// asynchronous customization, follows its events (a card per section as it
// is tailored), then shows the review: scores, missing keywords, each
// section's original and tailored text side by side, revert and accept,
// downloads. Talks only to its own origin; every piece of text goes into
// the page through textContent.
import { alignLines } from "/diff.js";
import { cardId, cardTitle, getPath, linesOf, parsePath, setPath, toHTML, toMarkdown, toNodes } from "/resume.js";

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

const state = {
  original: null, // the resume as stored (JSON Resume)
  tailored: null, // the tailored resume, with the reverts made since
  result: null,   // the job's result
  analysis: null, // the job description's analysis
  jobText: "",
  resumeId: 0,
  jobId: 0,
  version: 0,     // the newest stored version of the tailored resume
  cards: new Map(),
  providers: ["local"],
};

// ---- talking to the server ----

function apiKey() {
  return $("apikey").value.trim();
}

function headers(json) {
  const h = { Accept: "application/json" };
  if (json) h["Content-Type"] = "application/json";
  const key = apiKey();
  if (key) h.Authorization = "Bearer " + key;
  return h;
}

// The server's error, in plain words; `what` names what was sent.
async function plainError(res, what) {
  let code = "", message = "";
  try {
    const body = await res.json();
    if (body && body.error) { code = body.error.code || ""; message = body.error.message || ""; }
  } catch (e) { /* not JSON */ }
  switch (res.status) {
    case 401:
      if (apiKey()) return "The server did not accept the API key. Check it under “API key”.";
      $("apikey").closest("details").open = true;
      return "This server needs an API key: enter it under “API key” and try again.";
    case 413: return "The " + what + " is too large for this server. Shorten it and try again.";
    case 429: {
      const wait = res.headers.get("Retry-After");
      return "Too many requests for now; wait " + (wait ? wait + " seconds" : "a moment") + " and try again.";
    }
    case 503: return "The server is busy or shutting down; try again in a moment." + (message ? " (" + message + ")" : "");
    case 400: case 415: case 422:
      return "Could not read the " + what + (message ? ": " + message : "") + ".";
    case 404: return "The server does not know this " + what + " any more" + (message ? " (" + message + ")" : "") + ".";
    default:
      return "The server could not handle the " + what + " (HTTP " + res.status + (code ? ", " + code : "") + ")" + (message ? ": " + message : "") + ".";
  }
}

async function api(method, url, body, what) {
  let res;
  try {
    res = await fetch(url, { method, headers: headers(body !== undefined), body: body !== undefined ? JSON.stringify(body) : undefined });
  } catch (e) {
    throw new Error("Could not reach the tailor server. Check that it is running, then try again.");
  }
  if (!res.ok) throw new Error(await plainError(res, what));
  return res.json();
}

function jobError(err) {
  const code = err && err.code ? err.code : "failed";
  const msg = err && err.message ? err.message : "";
  if (code === "cancelled") return "The job was cancelled before it ran.";
  return "Tailoring failed" + (msg ? ": " + msg : "") + " (" + code + ").";
}

// Follows a job's Server-Sent Events until "done" (resolves with the
// result) or "error" (rejects). EventSource when no API key is needed; with
// a key, a fetch stream, since EventSource cannot send headers.
function follow(url, jobId, on) {
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (fn, v) => { if (!settled) { settled = true; fn(v); } };
    const handle = (name, data) => {
      if (name === "accepted") on.accepted(data);
      else if (name === "section") on.section(data);
      else if (name === "progress" && on.progress) on.progress(data);
      else if (name === "consistency" && on.consistency) on.consistency(data);
      else if (name === "done") finish(resolve, data);
      else if (name === "error") finish(reject, new Error(jobError(data && data.error)));
    };
    // When the stream is lost for good, the job's record may still have the end.
    const lost = async () => {
      try {
        const j = await api("GET", "/api/v1/enhance-customize/" + jobId, undefined, "job");
        if (j.status === "done" && j.result) return finish(resolve, j.result);
        if (j.error) return finish(reject, new Error(jobError(j.error)));
      } catch (e) { /* fall through */ }
      finish(reject, new Error("Lost the connection to the server while the job ran. Try again."));
    };
    if (!apiKey() && typeof EventSource === "function") {
      const es = new EventSource(url);
      let failures = 0, lastId = 0;
      // "progress" events carry no id: lastEventId stays the last stored one.
      for (const name of ["accepted", "progress", "section", "consistency", "done"]) {
        es.addEventListener(name, (e) => {
          if (Number(e.lastEventId) > lastId) { lastId = Number(e.lastEventId); failures = 0; }
          const data = JSON.parse(e.data);
          if (name === "done") es.close();
          handle(name, data);
        });
      }
      es.addEventListener("error", (e) => {
        if (e.data) { es.close(); handle("error", JSON.parse(e.data)); return; }
        // The connection broke: EventSource reconnects by itself, resuming
        // after the last event it saw; give up after a few tries.
        if (es.readyState === EventSource.CLOSED || ++failures > 4) { es.close(); lost(); }
        else setStatus("The connection was interrupted; reconnecting…");
      });
      return;
    }
    (async () => {
      const res = await fetch(url, { headers: { ...headers(false), Accept: "text/event-stream" } });
      if (!res.ok) throw new Error(await plainError(res, "job"));
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buf.indexOf("\n\n")) >= 0) {
          const block = buf.slice(0, cut);
          buf = buf.slice(cut + 2);
          let name = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event: ")) name = line.slice(7);
            else if (line.startsWith("data: ")) data += line.slice(6);
          }
          handle(name, data ? JSON.parse(data) : null);
        }
      }
      if (!settled) await lost();
    })().catch((e) => finish(reject, e));
  });
}

// ---- status, errors, progress ----

function setStatus(text) {
  $("status").textContent = text;
}

function showError(text) {
  const e = $("error");
  e.textContent = text;
  e.hidden = !text;
}

function setBusy(on) {
  const go = $("go");
  go.disabled = on;
  go.textContent = on ? "Tailoring…" : "Tailor";
  $("form").setAttribute("aria-busy", on ? "true" : "false");
}

function setProgress(done, total) {
  const bar = $("progress");
  bar.max = Math.max(total, 1);
  bar.value = done;
  $("progress-text").textContent = done + " of " + (total || "?") + " sections";
}

// ---- section cards ----

function providerBadge(card, provider, fallback) {
  const meta = card.el.querySelector(".meta");
  meta.querySelector(".provider").textContent = provider || "local";
  const mark = meta.querySelector(".fallback");
  mark.hidden = !fallback;
  card.el.classList.toggle("fell-back", !!fallback);
  card.provider = provider || "local";
  card.fallback = !!fallback;
}

function setCardState(card, text, cls) {
  const s = card.el.querySelector(".state");
  s.textContent = text;
  card.el.dataset.state = cls;
}

function column(label, cls) {
  const col = el("div", "col " + cls);
  col.append(el("h4", null, label));
  col.append(el("ul", "lines"));
  return col;
}

// The resume's order: sections as in the document, then entry index.
function orderOf(id) {
  const steps = parsePath(id);
  const keys = Object.keys(state.original || {});
  const k = keys.indexOf(String(steps[0]));
  return (k < 0 ? 999 : k) * 10000 + (typeof steps[1] === "number" ? steps[1] + 1 : 0);
}

function ensureCard(id) {
  let card = state.cards.get(id);
  if (card) return card;
  const art = el("article", "card");
  art.dataset.section = id;
  art.dataset.state = "waiting";
  const titleId = "card-" + id.replace(/[^a-zA-Z0-9]+/g, "-");
  art.setAttribute("aria-labelledby", titleId);
  const head = el("header", "card-head");
  const h = el("h3", null, cardTitle(id, state.original || {}));
  h.id = titleId;
  const meta = el("p", "meta");
  const prov = el("span", "provider", "local");
  prov.title = "The provider that produced this section";
  const fb = el("span", "fallback", "fell back");
  fb.title = "The first provider failed for this section; the next in the chain produced it";
  fb.hidden = true;
  meta.append(el("span", "sr-only", "Provider: "), prov, " ", fb, " ", el("span", "state", "waiting"));
  head.append(h, meta);
  const sbs = el("div", "sbs");
  sbs.append(column("Original", "before"), column("Tailored", "after"));
  const changes = el("ul", "reasons");
  const actions = el("div", "actions");
  const accept = el("button", "accept", "Accept");
  accept.type = "button";
  accept.setAttribute("aria-pressed", "false");
  accept.disabled = true;
  const revert = el("button", "revert secondary", "Revert");
  revert.type = "button";
  revert.disabled = true;
  actions.append(accept, revert);
  art.append(head, sbs, changes, actions);
  card = { id, el: art, provider: "local", fallback: false, accept, revert };
  accept.addEventListener("click", () => toggleAccept(card));
  revert.addEventListener("click", () => revertCard(card));
  state.cards.set(id, card);
  // In document order among the cards already shown.
  const cards = $("cards");
  const mine = orderOf(id);
  const after = [...cards.children].find((c) => orderOf(c.dataset.section) > mine);
  cards.insertBefore(art, after || null);
  fillLines(card, linesOf(getPath(state.original, id)), null);
  return card;
}

function renderParts(li, parts, side) {
  for (const p of parts) {
    if (p.op === "=" || p.op === "~") li.append(document.createTextNode(p.text));
    else if (p.op === "-" && side === "before") li.append(el("del", null, p.text));
    else if (p.op === "+" && side === "after") li.append(el("ins", null, p.text));
  }
}

// Fills a card's columns: before only (still tailoring), or both aligned.
function fillLines(card, before, after) {
  const left = card.el.querySelector(".before .lines");
  const right = card.el.querySelector(".after .lines");
  left.replaceChildren();
  right.replaceChildren();
  if (after === null) {
    for (const t of before) left.append(el("li", null, t));
    if (!before.length) left.append(el("li", "empty", "(nothing)"));
    right.append(el("li", "empty", card.el.dataset.state === "streamed"
      ? "tailored; the text shows once the consistency pass over all sections is done…" : "tailoring…"));
    return;
  }
  const a = alignLines(before, after);
  a.before.forEach((line) => {
    const li = el("li", "line " + line.kind);
    if (line.kind === "changed") renderParts(li, a.after[line.to].parts, "before");
    else if (line.kind === "removed") li.append(el("del", null, line.text));
    else li.textContent = line.text;
    left.append(li);
  });
  a.after.forEach((line, j) => {
    const li = el("li", "line " + line.kind);
    if (line.kind === "changed") renderParts(li, line.parts, "after");
    else if (line.kind === "added") li.append(el("ins", null, line.text));
    else li.textContent = line.text;
    if (line.kind === "moved") {
      const m = el("span", "moved-mark", "↕");
      m.title = "moved from line " + (line.from + 1) + " to " + (j + 1);
      li.prepend(m, el("span", "sr-only", "moved from line " + (line.from + 1) + ": "));
    }
    right.append(li);
  });
  if (!before.length) left.append(el("li", "empty", "(nothing)"));
  if (!after.length) right.append(el("li", "empty", "(nothing)"));
}

function fillCard(card) {
  const before = getPath(state.original, card.id);
  const after = getPath(state.tailored, card.id);
  fillLines(card, linesOf(before), linesOf(after));
  const reasons = card.el.querySelector(".reasons");
  reasons.replaceChildren();
  const mine = (state.result.changes || []).filter((c) => cardId(c.id) === card.id);
  for (const c of mine) {
    const li = el("li");
    li.append(el("span", "kind", c.kind), " ", document.createTextNode(c.reason || ""));
    reasons.append(li);
  }
  const same = JSON.stringify(before) === JSON.stringify(after);
  if (!mine.length) reasons.append(el("li", "none", same ? "No change: this part already fits the job." : "Changed by the consistency pass."));
  card.el.classList.toggle("unchanged", same);
  if (card.el.dataset.state !== "reverted") {
    setCardState(card, same ? "unchanged" : mine.length + (mine.length === 1 ? " change" : " changes"), same ? "unchanged" : "changed");
    card.accept.disabled = false;
    card.revert.disabled = same || !state.version;
    card.revert.title = !state.version ? "Only a stored resume can be reverted" : same ? "Nothing to revert" : "";
  }
}

function toggleAccept(card) {
  const on = card.accept.getAttribute("aria-pressed") !== "true";
  card.accept.setAttribute("aria-pressed", on ? "true" : "false");
  card.accept.textContent = on ? "Accepted" : "Accept";
  card.el.classList.toggle("accepted", on);
  setStatus((on ? "Accepted: " : "No longer marked accepted: ") + cardTitle(card.id, state.original) + ".");
}

async function revertCard(card) {
  card.revert.disabled = true;
  showError("");
  try {
    const url = "/api/v1/enhance-customize/" + state.jobId + "/sections/" + encodeURIComponent(card.id) + "/revert";
    const r = await api("POST", url, {}, "revert");
    state.version = r.version;
    const orig = getPath(state.original, card.id);
    setPath(state.tailored, card.id, orig === undefined ? undefined : structuredClone(orig));
    fillCard(card);
    card.el.dataset.state = "reverted";
    setCardState(card, "reverted", "reverted");
    card.revert.textContent = "Reverted";
    card.revert.disabled = true;
    card.accept.disabled = true;
    card.accept.setAttribute("aria-pressed", "false");
    card.accept.textContent = "Accept";
    card.el.classList.remove("accepted");
    card.el.querySelector(".reasons").prepend(el("li", "undone", "Reverted: these changes are undone; the original is back in version " + r.version + "."));
    updateVersionNote();
    renderPrint();
    setStatus("Reverted " + cardTitle(card.id, state.original) + "; saved as version " + r.version + ".");
  } catch (e) {
    card.revert.disabled = false;
    showError("Could not revert: " + e.message);
  }
}

// ---- scores, keywords ----

function setGauge(id, score) {
  const fig = $("gauge-" + id);
  const n = typeof score === "number" ? Math.max(0, Math.min(100, score)) : null;
  fig.dataset.score = n === null ? "" : String(n);
  fig.querySelector(".fill").setAttribute("stroke-dasharray", (n || 0) + " 100");
  fig.classList.toggle("low", n !== null && n < 50);
  fig.classList.toggle("mid", n !== null && n >= 50 && n < 75);
  fig.classList.toggle("high", n !== null && n >= 75);
  $("score-" + id).textContent = n === null ? "–" : String(n);
  fig.setAttribute("aria-label", "Match score " + id + ": " + (n === null ? "unknown" : n + " of 100"));
  fig.setAttribute("role", "img");
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

// Marks in the job text where it asks for a keyword: its own spelling, the
// job's spelling of it (from the analysis), or failing both its words.
function showInJob(term) {
  const text = state.jobText;
  const kw = (state.analysis && state.analysis.keywords || []).find((k) => k.term.toLowerCase() === term.toLowerCase());
  const tries = [[term, kw && kw.surface].filter(Boolean)];
  tries.push(term.split(/[\s/-]+/).filter((w) => w.length >= 4));
  let spans = [];
  for (const alts of tries) {
    if (!alts.length) continue;
    const sorted = [...new Set(alts)].sort((a, b) => b.length - a.length).map(escapeRe);
    const re = new RegExp("(?<![\\p{L}\\p{N}])(?:" + sorted.join("|") + ")(?![\\p{L}\\p{N}])", "giu");
    spans = [...text.matchAll(re)].map((m) => [m.index, m.index + m[0].length]);
    if (spans.length) break;
  }
  const box = $("job-text");
  box.replaceChildren();
  let at = 0;
  for (const [s, e] of spans) {
    box.append(document.createTextNode(text.slice(at, s)), el("mark", null, text.slice(s, e)));
    at = e;
  }
  box.append(document.createTextNode(text.slice(at)));
  $("job-view").hidden = false;
  $("job-view-note").textContent = spans.length
    ? "The job asks for “" + term + "” in " + spans.length + (spans.length === 1 ? " place" : " places") + ", marked below."
    : "The job does not spell out “" + term + "”; it follows from related words in the job.";
  const first = box.querySelector("mark");
  if (first) first.scrollIntoView({ block: "nearest" });
}

function renderMissing(list) {
  const ul = $("missing");
  ul.replaceChildren();
  $("job-view").hidden = true;
  for (const k of list) {
    const li = el("li");
    const b = el("button", "chip", k.term);
    b.type = "button";
    b.setAttribute("aria-pressed", "false");
    b.title = "weight " + k.weight + "; show where the job asks for it";
    b.addEventListener("click", () => {
      const on = b.getAttribute("aria-pressed") !== "true";
      for (const other of ul.querySelectorAll("button")) other.setAttribute("aria-pressed", "false");
      b.setAttribute("aria-pressed", on ? "true" : "false");
      if (on) showInJob(k.term);
      else $("job-view").hidden = true;
    });
    li.append(b);
    ul.append(li);
  }
  if (!list.length) ul.append(el("li", "none", "None: the tailored resume mentions every keyword of the job."));
}

// ---- downloads, print ----

function baseName() {
  const name = state.tailored && state.tailored.basics && state.tailored.basics.name || "resume";
  return name.toLowerCase().normalize("NFKD").replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") + "-tailored";
}

function save(text, type, filename) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = el("a");
  a.href = url;
  a.download = filename;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

const FORMATS = {
  json: { ext: "json", type: "application/json" },
  markdown: { ext: "md", type: "text/markdown;charset=utf-8" },
  html: { ext: "html", type: "text/html;charset=utf-8" },
};

async function download(fmt) {
  showError("");
  let text = null;
  try {
    if (state.resumeId && state.version) {
      const q = fmt === "json" ? "" : "?format=" + fmt;
      const v = await api("GET", "/api/v1/resumes/" + state.resumeId + "/versions/" + state.version + q, undefined, "tailored resume");
      text = fmt === "json" ? JSON.stringify(v.resume, null, 2) + "\n" : v.rendered || null;
    }
  } catch (e) {
    showError("Could not fetch the saved version (" + e.message + "); downloading the page's copy instead.");
  }
  if (text === null) {
    if (fmt === "json") text = JSON.stringify(state.tailored, null, 2) + "\n";
    else if (fmt === "markdown") text = toMarkdown(state.tailored);
    else text = toHTML(document, state.tailored);
  }
  const f = FORMATS[fmt];
  save(text, f.type, baseName() + "." + f.ext);
  setStatus("Downloaded " + baseName() + "." + f.ext + ".");
}

function renderPrint() {
  $("print-resume").replaceChildren(state.tailored ? toNodes(document, state.tailored) : "");
}

function updateVersionNote() {
  $("version-note").textContent = state.version
    ? "Saved on the server as version " + state.version + " of resume " + state.resumeId + "."
    : "Not stored on the server; downloads come from this page.";
}

// ---- one run ----

function resetRun() {
  state.cards.clear();
  $("cards").replaceChildren();
  $("result").hidden = true;
  $("job-view").hidden = true;
  $("run").hidden = false;
  setProgress(0, 0);
  showError("");
}

function showResult(r) {
  state.result = r;
  state.tailored = structuredClone(r.resume || {});
  state.version = r.version || 0;
  for (const c of r.changes || []) ensureCard(cardId(c.id));
  for (const card of state.cards.values()) fillCard(card);
  const sb = r.score && r.score.before ? r.score.before.score : null;
  const sa = r.score && r.score.after ? r.score.after.score : null;
  setGauge("before", sb);
  setGauge("after", sa);
  $("score-delta").textContent = sb !== null && sa !== null
    ? (sa > sb ? "+" + (sa - sb) + " points" : sa === sb ? "no change" : (sa - sb) + " points") : "";
  renderMissing(r.missing_keywords || []);
  const m = r.metrics || {};
  const parts = [(m.subsections || state.cards.size) + " sections in " + Math.round(m.wall_ms || 0) + " ms"];
  parts.push((m.engine || "engine") + " engine", (m.provider_calls || 0) + " provider calls");
  if (m.fallbacks) parts.push(m.fallbacks + " fallbacks");
  if (m.retries) parts.push(m.retries + " retries");
  if (m.cache_hits) parts.push(m.cache_hits + " cache hits");
  $("metrics").textContent = parts.join(" · ");
  updateVersionNote();
  renderPrint();
  $("result").hidden = false;
  $("run").hidden = true;
  document.body.dataset.job = String(r.job_id || state.jobId);
  document.body.dataset.resume = String(state.resumeId);
  setStatus("Done: match score " + (sb ?? "–") + " → " + (sa ?? "–") + "; " + (r.changes || []).length + " changes in " + state.cards.size + " sections.");
  $("result-title").focus();
}

// The chain is tried in the order shown; "local" always stays last.
function moveEarlier(label) {
  const prev = label.previousElementSibling;
  if (!prev) return;
  label.parentNode.insertBefore(label, prev);
  refreshMoves();
  setStatus("Chain: " + chosenProviders().join(" → ") + ".");
  const up = label.querySelector("button.move");
  if (up && !up.disabled) up.focus();
  else label.querySelector("input").focus();
}

function refreshMoves() {
  const labels = [...document.querySelectorAll("#provider-list label")];
  labels.forEach((l, i) => {
    const up = l.querySelector("button.move");
    if (up) up.disabled = i === 0;
  });
}

function chosenProviders() {
  return [...document.querySelectorAll("#provider-list input:checked")].map((i) => i.value);
}

async function tailor(ev) {
  ev.preventDefault();
  showError("");
  const content = $("resume").value;
  const jd = $("job").value;
  if (!content.trim()) { showError("Paste a resume first (or open a file)."); $("resume").focus(); return; }
  if (!jd.trim()) { showError("Paste the job description first."); $("job").focus(); return; }
  const strength = document.querySelector("input[name=strength]:checked").value;
  setBusy(true);
  resetRun();
  try {
    setStatus("Reading the resume…");
    const stored = await api("POST", "/api/v1/resumes", { format: $("format").value, content }, "resume");
    state.original = stored.resume;
    state.resumeId = stored.id;
    setStatus("Reading the job description…");
    const jdRec = await api("POST", "/api/v1/job-descriptions", { text: jd }, "job description");
    state.analysis = jdRec.analysis || null;
    state.jobText = jdRec.text || jd;
    const body = { resume_id: stored.id, job_description_id: jdRec.id, customization_strength: strength, async: true };
    const chain = chosenProviders();
    if (state.providers.length > 1 && chain.length) body.provider = chain.join(",");
    const acc = await api("POST", "/api/v1/enhance-customize", body, "request");
    state.jobId = acc.job_id;
    document.body.dataset.job = String(acc.job_id);
    setStatus("Queued as job " + acc.job_id + "…");
    const result = await follow(acc.links.events, acc.job_id, {
      accepted: () => setStatus("Job " + acc.job_id + " accepted; tailoring…"),
      consistency: (d) => {
        const n = (d.tense || 0) + (d.style || 0);
        setStatus("Every section is in; the consistency pass " +
          (n ? "made " + n + " tense and style " + (n === 1 ? "change" : "changes") : "had nothing to change") + "…");
      },
      // A section still being generated by a provider that streams: its
      // answer's tokens so far, until its own section event.
      progress: (d) => {
        if (!d || !d.section) return;
        const card = ensureCard(cardId(d.section));
        const st = card.el.dataset.state;
        if (st === "waiting" || st === "generating") setCardState(card, "generating… " + d.tokens + " tokens", "generating");
      },
      section: (d) => {
        setProgress(d.done, d.total);
        if (d.section) {
          const card = ensureCard(cardId(d.section));
          providerBadge(card, d.provider, d.fallback);
          setCardState(card, "tailored", "streamed");
          // A section event may carry the tailored text already (a string,
          // lines, or the JSON Resume part); shown for a whole card only.
          const whole = cardId(d.section) === d.section;
          const before = linesOf(getPath(state.original, card.id));
          if (whole && d.after !== undefined && d.after !== null) fillLines(card, before, linesOf(d.after));
          else fillLines(card, before, null);
        }
        setStatus("Tailored " + d.done + " of " + d.total + " sections…");
      },
    });
    showResult(result);
  } catch (e) {
    $("run").hidden = true;
    showError(e.message);
    setStatus("");
  } finally {
    setBusy(false);
  }
}

// ---- files ----

async function loadFile(file) {
  showError("");
  const name = file.name.toLowerCase();
  if (/\.(pdf|docx?|odt|rtf)$/.test(name)) {
    showError("“" + file.name + "” is a PDF or word-processor file, which this page cannot read. Open it, copy the text, and paste it into the Resume box.");
    return;
  }
  if (file.size > 2 * 1024 * 1024) {
    showError("“" + file.name + "” is larger than 2 MB; that is not a resume this server takes.");
    return;
  }
  const text = await file.text();
  $("resume").value = text;
  $("format").value = /\.json$/.test(name) ? "json" : /\.(md|markdown)$/.test(name) ? "markdown" : /\.(txt|text)$/.test(name) ? "text" : "auto";
  setStatus("Loaded " + file.name + ".");
}

// ---- start ----

async function loadProviders() {
  try {
    const res = await fetch("/health", { headers: { Accept: "application/json" } });
    const h = await res.json();
    if (h.status === "draining") showError("The server is shutting down; it will not take new work.");
    const list = Array.isArray(h.providers) ? h.providers.map((p) => (typeof p === "string" ? p : p && p.name)).filter(Boolean) : [];
    if (!list.length) return;
    if (!list.includes("local")) list.push("local");
    state.providers = list;
    const box = $("provider-list");
    box.replaceChildren();
    for (const p of list) {
      const label = el("label");
      const input = el("input");
      input.type = "checkbox";
      input.value = p;
      input.checked = true;
      if (p === "local") input.disabled = true; // the chain always ends in the embedded engine
      label.append(input, " " + (p === "local" ? "local (embedded engine)" : p));
      if (p !== "local") {
        const up = el("button");
        up.type = "button";
        up.className = "move";
        up.textContent = "↑";
        up.title = "Try " + p + " earlier";
        up.setAttribute("aria-label", "Move " + p + " earlier in the chain");
        up.addEventListener("click", () => moveEarlier(label));
        label.append(up);
      }
      box.append(label);
    }
    refreshMoves();
  } catch (e) {
    showError("Could not reach the tailor server. Check that it is running, then reload the page.");
  }
}

function init() {
  $("form").addEventListener("submit", tailor);
  for (const [id, fmt] of [["dl-json", "json"], ["dl-md", "markdown"], ["dl-html", "html"]]) {
    $(id).addEventListener("click", () => download(fmt));
  }
  $("print").addEventListener("click", () => { renderPrint(); window.print(); });
  $("open-file").addEventListener("click", () => $("file").click());
  $("file").addEventListener("change", () => { if ($("file").files[0]) loadFile($("file").files[0]); });
  const area = $("resume");
  area.addEventListener("dragover", (e) => { e.preventDefault(); area.classList.add("drop"); });
  area.addEventListener("dragleave", () => area.classList.remove("drop"));
  area.addEventListener("drop", (e) => {
    area.classList.remove("drop");
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (!f) return;
    e.preventDefault();
    loadFile(f);
  });
  loadProviders();
  document.body.dataset.ready = "1";
}

init();
