// Small diffs for the review: words within a line, and lines within a
// section (a line kept in place, moved, changed, added or removed).
// Pure functions, no DOM: the page and the tests both use them.

// Splits text into words and the spaces between them, keeping both, so
// that joining the tokens gives the text back.
export function tokens(text) {
  return String(text).match(/\s+|[^\s]+/g) || [];
}

// Longest common subsequence table of two arrays (sizes are small: a
// bullet or a paragraph).
function lcsTable(a, b) {
  const n = a.length, m = b.length;
  const t = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      t[i][j] = a[i] === b[j] ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
    }
  }
  return t;
}

// Word-level diff of a and b: a list of {op, text} with op "=" (in both),
// "-" (only in a) or "+" (only in b); neighbouring parts of the same op are
// merged. Whitespace-only differences count as equal.
export function diffWords(a, b) {
  const ta = tokens(a), tb = tokens(b);
  const norm = (s) => (/^\s+$/.test(s) ? " " : s);
  const na = ta.map(norm), nb = tb.map(norm);
  const t = lcsTable(na, nb);
  const out = [];
  const push = (op, text) => {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text;
    else out.push({ op, text });
  };
  let i = 0, j = 0;
  while (i < ta.length && j < tb.length) {
    if (na[i] === nb[j]) { push("=", tb[j]); i++; j++; }
    else if (t[i + 1][j] >= t[i][j + 1]) push("-", ta[i++]);
    else push("+", tb[j++]);
  }
  while (i < ta.length) push("-", ta[i++]);
  while (j < tb.length) push("+", tb[j++]);
  // A lone space between two changes reads better as part of the change.
  for (let k = 1; k + 1 < out.length; k++) {
    if (out[k].op === "=" && /^\s+$/.test(out[k].text) && out[k - 1].op !== "=" && out[k + 1].op !== "=") {
      out[k].op = "~";
    }
  }
  return out;
}

function words(s) {
  return new Set(String(s).toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);
}

// How alike two lines are: shared words over all words (0..1).
export function similarity(a, b) {
  const wa = words(a), wb = words(b);
  if (!wa.size && !wb.size) return 1;
  let common = 0;
  for (const w of wa) if (wb.has(w)) common++;
  return common / (wa.size + wb.size - common);
}

// Indices (into seq) of a longest strictly increasing subsequence.
function longestIncreasing(seq) {
  const tails = [], prev = new Array(seq.length).fill(-1);
  for (let i = 0; i < seq.length; i++) {
    let lo = 0, hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (seq[tails[mid]] < seq[i]) lo = mid + 1; else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const keep = new Set();
  for (let k = tails.length ? tails[tails.length - 1] : -1; k >= 0; k = prev[k]) keep.add(k);
  return keep;
}

// Aligns the lines of a section before (a) and after (b). Returns
//   {before: [{text, kind, to}], after: [{text, kind, from, parts}]}
// where kind is "same", "moved" (the same line elsewhere), "changed" (a
// similar line, with the word diff in parts), "removed" (before only) or
// "added" (after only); from/to link the two sides by index.
export function alignLines(a, b, threshold = 0.34) {
  const before = a.map((text) => ({ text, kind: "removed", to: -1 }));
  const after = b.map((text) => ({ text, kind: "added", from: -1, parts: null }));
  // 1. Identical lines, each used once.
  const free = new Map();
  a.forEach((text, i) => {
    if (!free.has(text)) free.set(text, []);
    free.get(text).push(i);
  });
  const pairs = [];
  b.forEach((text, j) => {
    const list = free.get(text);
    if (list && list.length) pairs.push([list.shift(), j]);
  });
  // 2. Of those, the ones in the same relative order stayed; others moved.
  const stay = longestIncreasing(pairs.map((p) => p[0]));
  pairs.forEach(([i, j], k) => {
    const kind = stay.has(k) ? "same" : "moved";
    before[i].kind = kind; before[i].to = j;
    after[j].kind = kind; after[j].from = i;
  });
  // 3. The rest: each new line paired with the most similar old one left.
  for (let j = 0; j < b.length; j++) {
    if (after[j].from >= 0) continue;
    let best = -1, bestSim = threshold;
    for (let i = 0; i < a.length; i++) {
      if (before[i].to >= 0) continue;
      const s = similarity(a[i], b[j]);
      if (s > bestSim || (s === bestSim && best < 0 && s > 0)) { best = i; bestSim = s; }
    }
    if (best >= 0) {
      before[best].kind = "changed"; before[best].to = j;
      after[j].kind = "changed"; after[j].from = best;
      after[j].parts = diffWords(a[best], b[j]);
    }
  }
  return { before, after };
}
