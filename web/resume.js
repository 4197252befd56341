// JSON Resume helpers for the page: ids ("work[1].highlights[0]") as
// paths, the lines a section is reviewed by, titles, and the resume
// rendered as Markdown or as DOM nodes (for print and downloads when the
// server has no stored version). No DOM access except through the
// document passed in.

// "work[1].highlights[0]" -> ["work", 1, "highlights", 0]
export function parsePath(id) {
  const steps = [];
  const re = /([^.[\]]+)|\[(\d+)(?:-\d+)?\]/g;
  let m;
  while ((m = re.exec(id)) !== null) steps.push(m[1] !== undefined ? m[1] : Number(m[2]));
  return steps;
}

export function getPath(doc, id) {
  let v = doc;
  for (const s of parsePath(id)) {
    if (v === null || typeof v !== "object") return undefined;
    v = v[s];
  }
  return v;
}

export function setPath(doc, id, value) {
  const steps = parsePath(id);
  let v = doc;
  for (let i = 0; i < steps.length - 1; i++) {
    if (v === null || typeof v !== "object") return false;
    v = v[steps[i]];
  }
  if (v === null || typeof v !== "object") return false;
  if (value === undefined) {
    if (Array.isArray(v)) v.splice(steps[steps.length - 1], 1);
    else delete v[steps[steps.length - 1]];
  } else {
    v[steps[steps.length - 1]] = value;
  }
  return true;
}

// The card a subsection or change id belongs to: the summary field, or an
// entry of a section ("work[0].highlights[8-15]" -> "work[0]").
export function cardId(id) {
  const m = /^([^.[\]]+)(\[\d+\])?(?:\.([^.[\]]+))?/.exec(id || "");
  if (!m) return id;
  if (m[2]) return m[1] + m[2];
  if (m[3]) return m[1] + "." + m[3];
  return m[1];
}

const SECTION_NAMES = {
  basics: "Basics", work: "Work", volunteer: "Volunteering", education: "Education",
  awards: "Awards", certificates: "Certificates", publications: "Publications",
  skills: "Skills", languages: "Languages", interests: "Interests",
  references: "References", projects: "Projects",
};

export function sectionName(key) {
  return SECTION_NAMES[key] || key.charAt(0).toUpperCase() + key.slice(1).replace(/[_-]+/g, " ");
}

export function entryTitle(e) {
  if (typeof e !== "object" || e === null) return String(e || "");
  const what = e.position || e.name || e.title || e.studyType && [e.studyType, e.area].filter(Boolean).join(", ") || e.language || "";
  const where = e.position ? e.name || e.company || "" : e.institution || e.organization || e.issuer || e.awarder || e.publisher || "";
  return [what, where].filter(Boolean).join(" — ");
}

export function dates(e) {
  if (typeof e !== "object" || e === null || !e.startDate) return e && e.date ? e.date : "";
  return e.startDate + " – " + (e.endDate || "present");
}

// A card's title: "Summary", "Work · Senior Engineer — Lumen".
export function cardTitle(id, resume) {
  if (id === "basics.summary") return "Summary";
  const steps = parsePath(id);
  const name = sectionName(String(steps[0]));
  if (steps.length === 1) return name;
  const e = getPath(resume, id);
  const t = typeof steps[1] === "number" ? entryTitle(e) : sectionName(String(steps[1]));
  return t ? name + " · " + t : name;
}

const LIST_KEYS = ["highlights", "keywords", "courses", "roles"];

// The lines a part of a resume is reviewed by: a text as its sentences'
// paragraph, an entry as its summary and one line per bullet or keyword.
export function linesOf(value) {
  if (value === undefined || value === null) return [];
  if (typeof value !== "object") return [String(value)];
  if (Array.isArray(value)) return value.flatMap((v) => linesOf(v));
  const out = [];
  for (const k of ["summary", "description"]) if (value[k]) out.push(String(value[k]));
  for (const k of LIST_KEYS) {
    if (Array.isArray(value[k])) for (const b of value[k]) out.push(String(b));
  }
  if (!out.length) {
    const t = entryTitle(value);
    if (t) out.push(t);
  }
  return out;
}

function mdEscape(s) {
  return String(s).replace(/([\\`*_[\]#])/g, "\\$1");
}

// The resume as Markdown (the layout tailor's own Markdown reader reads).
export function toMarkdown(r) {
  const b = r.basics || {};
  const out = [];
  if (b.name) out.push("# " + mdEscape(b.name), "");
  const contact = [b.label, b.email, b.phone, b.url, b.location && [b.location.city, b.location.region].filter(Boolean).join(", ")].filter(Boolean);
  if (contact.length) out.push(contact.map(mdEscape).join(" | "), "");
  if (b.summary) out.push("## Summary", "", mdEscape(b.summary), "");
  for (const [key, list] of Object.entries(r)) {
    if (!Array.isArray(list) || !list.length) continue;
    out.push("## " + sectionName(key), "");
    for (const e of list) {
      if (typeof e !== "object" || e === null) { out.push("- " + mdEscape(e)); continue; }
      if (key === "skills") {
        out.push("- **" + mdEscape(e.name || "") + "**: " + (e.keywords || []).map(mdEscape).join(", "));
        continue;
      }
      const title = entryTitle(e);
      if (title) out.push("### " + mdEscape(title), "");
      const when = dates(e);
      if (when) out.push(mdEscape(when), "");
      for (const k of ["summary", "description"]) if (e[k]) out.push(mdEscape(e[k]), "");
      for (const k of LIST_KEYS) for (const h of e[k] || []) out.push("- " + mdEscape(h));
      out.push("");
    }
    out.push("");
  }
  return out.join("\n").replace(/\n{3,}/g, "\n\n").trim() + "\n";
}

// The resume as DOM nodes in `doc` (all text through textContent).
export function toNodes(doc, r) {
  const el = (tag, text) => {
    const e = doc.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    return e;
  };
  const root = el("article");
  root.className = "resume";
  const b = r.basics || {};
  if (b.name) root.append(el("h1", b.name));
  const contact = [b.label, b.email, b.phone, b.url].filter(Boolean).join(" · ");
  if (contact) root.append(el("p", contact));
  if (b.summary) root.append(el("h2", "Summary"), el("p", b.summary));
  for (const [key, list] of Object.entries(r)) {
    if (!Array.isArray(list) || !list.length) continue;
    root.append(el("h2", sectionName(key)));
    for (const e of list) {
      if (typeof e !== "object" || e === null) { root.append(el("p", e)); continue; }
      if (key === "skills") {
        const p = el("p");
        p.append(el("strong", (e.name || "") + ": "), doc.createTextNode((e.keywords || []).join(", ")));
        root.append(p);
        continue;
      }
      const title = entryTitle(e);
      if (title) root.append(el("h3", title));
      const when = dates(e);
      if (when) { const p = el("p", when); p.className = "when"; root.append(p); }
      for (const k of ["summary", "description"]) if (e[k]) root.append(el("p", e[k]));
      const bullets = LIST_KEYS.flatMap((k) => e[k] || []);
      if (bullets.length) {
        const ul = el("ul");
        for (const h of bullets) ul.append(el("li", h));
        root.append(ul);
      }
    }
  }
  return root;
}

// A whole HTML document of the resume, for a download.
export function toHTML(doc, r) {
  const nodes = toNodes(doc, r);
  const title = doc.createElement("title");
  title.textContent = (r.basics && r.basics.name) || "Resume";
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\">" + title.outerHTML +
    "</head><body>" + nodes.outerHTML + "</body></html>\n";
}
