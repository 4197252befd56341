// The tailor page: sends the pasted resume and job to the API, follows the
// job's events (section by section) and shows the result. Talks only to
// its own origin; every piece of text is inserted with textContent.
"use strict";

const $ = (id) => document.getElementById(id);

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = String(text);
  return e;
}

function headers(json) {
  const h = {};
  if (json) h["Content-Type"] = "application/json";
  const key = $("apikey").value.trim();
  if (key) h["Authorization"] = "Bearer " + key;
  return h;
}

function setStatus(text, isError) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function apiError(res) {
  try {
    const body = await res.json();
    if (body && body.error) return body.error.message + " (" + body.error.code + ")";
  } catch (e) { /* not JSON */ }
  return "HTTP " + res.status;
}

function resumeValue() {
  const text = $("resume").value;
  const format = $("format").value;
  return { format: format, content: text };
}

// Reads a Server-Sent Events stream with fetch (EventSource cannot send an
// Authorization header) and calls onEvent(name, data) for each event.
async function followEvents(url, onEvent) {
  const res = await fetch(url, { headers: headers(false) });
  if (!res.ok) throw new Error(await apiError(res));
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
      onEvent(name, data ? JSON.parse(data) : null);
    }
  }
}

function entryTitle(e) {
  const parts = [e.position || e.name || e.studyType || e.title || e.language || "", e.company || e.institution || e.organization || e.issuer || e.awarder || e.entity || ""];
  return parts.filter(Boolean).join(" — ");
}

function renderSection(key, items) {
  const box = el("div", "section");
  box.append(el("h3", null, key.charAt(0).toUpperCase() + key.slice(1)));
  for (const item of items) {
    if (typeof item !== "object" || item === null) continue;
    const entry = el("div", "entry");
    const title = entryTitle(item);
    if (title) entry.append(el("div", "what", title));
    const when = [item.startDate, item.endDate || (item.startDate ? "present" : "")].filter(Boolean).join(" – ");
    if (when) entry.append(el("div", "when", when));
    if (item.summary) entry.append(el("p", null, item.summary));
    const bullets = item.highlights || item.keywords || item.courses || [];
    if (bullets.length) {
      const ul = el("ul");
      for (const b of bullets) ul.append(el("li", null, b));
      entry.append(ul);
    }
    box.append(entry);
  }
  return box;
}

function showResult(r) {
  $("result").hidden = false;
  $("before").textContent = r.score && r.score.before ? r.score.before.score : "–";
  $("after").textContent = r.score && r.score.after ? r.score.after.score : "–";

  const missing = $("missing");
  missing.replaceChildren();
  for (const k of r.missing_keywords || []) missing.append(el("li", null, k.term));
  if (!missing.children.length) missing.append(el("li", null, "none"));

  const sections = $("sections");
  sections.replaceChildren();
  const resume = r.resume || {};
  if (resume.basics && resume.basics.summary) {
    const box = el("div", "section");
    box.append(el("h3", null, "Summary"), el("p", null, resume.basics.summary));
    sections.append(box);
  }
  for (const [key, value] of Object.entries(resume)) {
    if (Array.isArray(value) && value.length) sections.append(renderSection(key, value));
  }

  const changes = $("changes");
  changes.replaceChildren();
  for (const c of r.changes || []) {
    const li = el("li");
    li.append(el("span", "kind", c.kind), el("code", null, c.id), document.createTextNode(": " + (c.reason || "")));
    if (c.before && c.after && c.before !== c.after) {
      const diff = el("div");
      diff.append(el("del", null, c.before), el("br"), el("ins", null, c.after));
      li.append(diff);
    }
    changes.append(li);
  }
  if (!changes.children.length) changes.append(el("li", null, "no changes"));
  $("rendered").textContent = r.rendered || JSON.stringify(r.resume, null, 2);
  const m = r.metrics || {};
  setStatus("Done in " + Math.round(m.wall_ms || 0) + " ms" + (r.version ? " (version " + r.version + ")" : "") + ".");
}

async function tailor(ev) {
  ev.preventDefault();
  const strength = document.querySelector("input[name=strength]:checked").value;
  const body = {
    resume: resumeValue(),
    job_description: { text: $("job").value },
    customization_strength: strength,
    async: true,
  };
  $("go").disabled = true;
  $("result").hidden = true;
  const bar = $("progress");
  bar.hidden = false;
  bar.value = 0;
  setStatus("Sending…");
  try {
    const res = await fetch("/api/v1/enhance-customize", { method: "POST", headers: headers(true), body: JSON.stringify(body) });
    if (res.status !== 202) throw new Error(await apiError(res));
    const accepted = await res.json();
    setStatus("Tailoring…");
    let result = null;
    await followEvents(accepted.links.events, (name, data) => {
      if (name === "section" && data) {
        bar.max = data.total;
        bar.value = data.done;
        setStatus("Tailored " + data.done + " of " + data.total + " sections…");
      } else if (name === "done") {
        result = data;
      } else if (name === "error" && data) {
        throw new Error(data.error.message + " (" + data.error.code + ")");
      }
    });
    if (!result) throw new Error("the event stream ended without a result");
    showResult(result);
  } catch (e) {
    setStatus("Could not tailor: " + e.message, true);
  } finally {
    $("go").disabled = false;
    bar.hidden = true;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("form").addEventListener("submit", tailor);
});
