// Pure helpers of cardcheck: finding golden files, pulling the Adaptive
// Cards out of them, and naming them. No browser here, so node --test can
// cover them quickly.
"use strict";

const fs = require("fs");
const path = require("path");

const ADAPTIVE = "application/vnd.microsoft.card.adaptive";

// The golden files checked when no glob is given: the first set of
// goldens and the per-language ones (NAME.LANG.golden.json).
const DEFAULT_GLOBS = [
  "bot/teams/testdata/*.golden.json",
  "bot/teams/testdata/cards/*.golden.json",
];

// globToRegExp turns one path segment pattern (*, ?, [abc]) into a RegExp.
function segmentRegExp(seg) {
  let re = "";
  for (let i = 0; i < seg.length; i++) {
    const c = seg[i];
    if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else if (c === "[") {
      const end = seg.indexOf("]", i);
      if (end < 0) { re += "\\["; continue; }
      re += "[" + seg.slice(i + 1, end).replace(/\\/g, "\\\\") + "]";
      i = end;
    } else re += c.replace(/[.+^${}()|\\]/g, "\\$&");
  }
  return new RegExp("^" + re + "$");
}

// expandGlob returns the files matching pattern, relative to base when
// the pattern is relative; "**" matches any number of folders. Node 18
// (Debian 12's) has no fs.glob, hence this small one.
function expandGlob(pattern, base) {
  const abs = path.isAbsolute(pattern);
  const parts = pattern.split("/").filter((p, i) => p !== "" || i === 0);
  const start = abs ? "/" : base;
  const out = [];
  const walk = (dir, idx) => {
    if (idx === parts.length) {
      if (fs.existsSync(dir) && fs.statSync(dir).isFile()) out.push(dir);
      return;
    }
    const seg = parts[idx];
    if (seg === "" && idx === 0) return walk("/", 1);
    if (!/[*?[]/.test(seg)) return walk(path.join(dir, seg), idx + 1);
    let entries;
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    if (seg === "**") {
      walk(dir, idx + 1);
      for (const e of entries) if (e.isDirectory()) walk(path.join(dir, e.name), idx);
      return;
    }
    const re = segmentRegExp(seg);
    for (const e of entries) if (re.test(e.name)) walk(path.join(dir, e.name), idx + 1);
  };
  walk(start, 0);
  return out.sort();
}

// nameOf splits a golden file name: subscription.fr.golden.json is kind
// "subscription" in French; the older subscription.golden.json is English.
function nameOf(file) {
  const base = path.basename(file).replace(/\.golden\.json$/, "").replace(/\.json$/, "");
  const m = /^(.*)\.([a-z]{2})$/.exec(base);
  if (m) return { kind: m[1], lang: m[2] };
  return { kind: base, lang: "en" };
}

// extractCards finds the Adaptive Cards in a golden: a bare card, a
// {summary, card} pair, an activity or message with attachments, a single
// attachment, or a list of any of these.
function extractCards(doc) {
  const out = [];
  const visit = (v) => {
    if (Array.isArray(v)) { v.forEach(visit); return; }
    if (!v || typeof v !== "object") return;
    if (v.type === "AdaptiveCard") { out.push(v); return; }
    if (v.contentType === ADAPTIVE && v.content) { visit(v.content); return; }
    if (Array.isArray(v.attachments)) { visit(v.attachments); return; }
    if (v.card) visit(v.card);
  };
  visit(doc);
  return out;
}

// loadGoldens reads every file matched by globs (relative to base) and
// returns one entry per card, plus the files that hold no card.
function loadGoldens(globs, base) {
  const files = [...new Set(globs.flatMap((g) => expandGlob(g, base)))];
  const cards = [];
  const empty = [];
  const broken = [];
  for (const file of files) {
    const rel = path.relative(base, file) || file;
    let doc;
    try {
      doc = JSON.parse(fs.readFileSync(file, "utf8"));
    } catch (err) {
      broken.push({ file: rel, message: `not JSON: ${err.message}` });
      continue;
    }
    const found = extractCards(doc);
    if (found.length === 0) empty.push(rel);
    const { kind, lang } = nameOf(file);
    const cardsDir = path.basename(path.dirname(file)) === "cards";
    found.forEach((card, i) => {
      cards.push({ file: rel, kind, lang, index: i, count: found.length, card, preferred: cardsDir });
    });
  }
  return { files, cards, empty, broken };
}

// label is how a report names one card of a file.
function label(c) {
  return c.count > 1 ? `${c.file} (card ${c.index + 1} of ${c.count})` : c.file;
}

module.exports = { DEFAULT_GLOBS, expandGlob, nameOf, extractCards, loadGoldens, label, segmentRegExp };
