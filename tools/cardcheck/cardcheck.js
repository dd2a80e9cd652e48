#!/usr/bin/env node
// cardcheck renders licensebot's Teams golden cards with Microsoft's own
// Adaptive Cards renderer (the adaptivecards npm package) in headless
// Chromium, with Microsoft Teams' light and dark host configurations, at
// the widths Teams gives a card on a desktop (450 px) and on a phone
// (360 px). It fails when the renderer warns, when a button label does
// not fit, or when anything is wider than the card. With --shots it writes
// the pictures the docs show; with --doc it also rewrites the gallery in
// docs/CARDS.md.
"use strict";

const fs = require("fs");
const path = require("path");
const lib = require("./lib");

const HERE = __dirname;
const REPO = path.resolve(HERE, "../..");

const THEMES = {
  light: { hostConfig: "teams/microsoft-teams-light.json", css: "teams/teams-container-light.css", background: "#F6F6F6" },
  dark: { hostConfig: "teams/microsoft-teams-dark.json", css: "teams/teams-container-dark.css", background: "#201E1F" },
};
const DEFAULT_WIDTHS = [450, 360];
const SHOT_WIDTH = 450;

const USAGE = `usage: cardcheck.js [options] [GLOB...]

Checks every Teams golden card (default globs, relative to the repository:
  ${lib.DEFAULT_GLOBS.join("\n  ")})
in the Teams light and dark themes at 450 and 360 px.

options:
  --shots DIR     write PNG pictures (450 px) instead of checking:
                  NAME.LANG.THEME.png for every card
  --doc FILE      with --shots: write only the pictures FILE's gallery
                  shows (NAME.png, NAME.dark.png, NAME.fr.png) and rewrite
                  the gallery between its cards:begin/cards:end markers
  --widths LIST   widths to check, default ${DEFAULT_WIDTHS.join(",")}
  --themes LIST   themes, default light,dark
  --chromium PATH browser to drive (default $CHROMIUM or /usr/bin/chromium)
  --lenient GLOB  report the problems of the files GLOB matches as KNOWN
                  and count them as skipped, not failed (for goldens that
                  predate a rule; repeatable)
`;

function parseArgs(argv) {
  const o = { globs: [], lenient: [], widths: DEFAULT_WIDTHS, themes: Object.keys(THEMES), chromium: process.env.CHROMIUM || "/usr/bin/chromium" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === "--shots") o.shots = val();
    else if (a === "--doc") o.doc = val();
    else if (a === "--widths") o.widths = val().split(",").map(Number);
    else if (a === "--themes") o.themes = val().split(",");
    else if (a === "--chromium") o.chromium = val();
    else if (a === "--lenient") o.lenient.push(val());
    else if (a === "-h" || a === "--help") o.help = true;
    else if (a.startsWith("-")) throw new Error(`unknown option ${a}`);
    else o.globs.push(a);
  }
  if (o.widths.some((w) => !(w > 0))) throw new Error("--widths takes numbers such as 450,360");
  for (const t of o.themes) if (!THEMES[t]) throw new Error(`unknown theme ${t} (light, dark)`);
  if (o.doc && !o.shots) throw new Error("--doc goes with --shots DIR");
  return o;
}

// The page: the Teams container styles of the Adaptive Cards designer,
// and "Segoe UI" (which Teams uses and Linux lacks) mapped to Open Sans.
// Measured against Selawik, Microsoft's metric copy of Segoe UI, Open Sans
// is 1 to 8 % wider on our labels, so a label that fits here fits in
// Teams; DejaVu Sans, the fallback otherwise, is 10 to 24 % wider.
const FONT_CSS = `
@font-face { font-family: "Segoe UI"; font-weight: 400; src: local("Open Sans"), local("OpenSans-Regular"); }
@font-face { font-family: "Segoe UI"; font-weight: 600; src: local("Open Sans Semibold"), local("OpenSans-Semibold"); }
@font-face { font-family: "Segoe UI"; font-weight: 700; src: local("Open Sans Bold"), local("OpenSans-Bold"); }
html, body { margin: 0; padding: 0; }
#host { box-sizing: border-box; }
`;

async function openPage(browser) {
  const page = await browser.newPage();
  // Cards must not reach the network (and this machine may have none).
  await page.setRequestInterception(true);
  page.on("request", (req) => (req.url().startsWith("data:") ? req.continue() : req.abort()));
  await page.setViewport({ width: 1000, height: 800, deviceScaleFactor: 1 });
  await page.setContent(`<!doctype html><html><head><meta charset="utf-8">
<style>${FONT_CSS}</style><style id="theme"></style></head>
<body><div id="host" class="teams-card"></div></body></html>`);
  await page.addScriptTag({ path: require.resolve("markdown-it/dist/markdown-it.min.js") });
  await page.addScriptTag({ path: require.resolve("adaptivecards/dist/adaptivecards.min.js") });
  await page.addScriptTag({ path: path.join(HERE, "page.js") });
  const font = await page.evaluate(async () => {
    await document.fonts.ready;
    const c = document.createElement("canvas").getContext("2d");
    const w = (f) => { c.font = f; return c.measureText("Reduce the renewal").width; };
    const face = [...document.fonts].find((f) => f.family.replace(/"/g, "") === "Segoe UI");
    if (face) await face.load().catch(() => {});
    return { segoe: w('600 14px "Segoe UI"'), open: w('600 14px "Open Sans"'), fallback: w("600 14px monospace") };
  });
  if (Math.abs(font.segoe - font.open) > 0.5 || Math.abs(font.open - font.fallback) < 0.5) {
    throw new Error("the Open Sans font is missing, so widths would not be those of Teams: apt-get install fonts-open-sans");
  }
  return page;
}

async function setTheme(page, theme) {
  const t = THEMES[theme];
  const css = fs.readFileSync(path.join(HERE, t.css), "utf8");
  await page.evaluate((css, bg) => {
    document.getElementById("theme").textContent = css;
    document.body.style.background = bg;
  }, css, t.background);
  return JSON.parse(fs.readFileSync(path.join(HERE, t.hostConfig), "utf8"));
}

async function check(page, cards, o) {
  const failed = new Map(); // file -> lines
  const t0 = Date.now();
  for (const theme of o.themes) {
    const hc = await setTheme(page, theme);
    for (const width of o.widths) {
      // One round trip per theme and width: every card in the same page.
      const results = await page.evaluate((cards, hc, width) => cards.map((c) => window.cardcheck.render(c, hc, width)), cards.map((c) => c.card), hc, width);
      results.forEach((problems, i) => {
        if (problems.length === 0) return;
        const name = lib.label(cards[i]);
        if (!failed.has(name)) failed.set(name, []);
        for (const p of problems) {
          const where = p.where === "card" ? "" : ` (${p.where})`;
          failed.get(name).push(`${name} [Teams ${theme}, ${width} px] ${p.element}${where}: ${p.message}`);
        }
      });
    }
  }
  return { failed, ms: Date.now() - t0 };
}

async function shoot(page, card, theme, file) {
  const hc = await setTheme(page, theme);
  const problems = await page.evaluate((c, hc, w) => window.cardcheck.render(c, hc, w, { shotOnly: true }), card, hc, SHOT_WIDTH);
  const host = await page.$("#host");
  await host.screenshot({ path: file });
  return problems;
}

// gallery picks, for each kind of card, the card the docs show: the
// per-language goldens (testdata/cards/) before the older ones.
function pick(cards, kind, lang) {
  const c = cards.filter((x) => x.kind === kind && x.lang === lang && x.index === 0);
  return c.find((x) => x.preferred) || c[0];
}

function readCaptions() {
  return JSON.parse(fs.readFileSync(path.join(HERE, "captions.json"), "utf8"));
}

async function docShots(page, cards, o) {
  const captions = readCaptions();
  const known = new Map(captions.cards.map((c) => [c.kind, c]));
  const kinds = [...new Set(cards.map((c) => c.kind))];
  // The gallery shows the kinds captions.json describes, in its order;
  // the others are named in a warning (a picture without a sentence
  // tells a reader little).
  const order = captions.cards.map((c) => c.kind).filter((k) => kinds.includes(k));
  const uncaptioned = kinds.filter((k) => !known.has(k)).sort();
  const rel = path.relative(path.dirname(o.doc), o.shots).split(path.sep).join("/");
  const written = new Set();
  const warnings = [];
  if (uncaptioned.length) warnings.push(`not in the gallery (no caption in tools/cardcheck/captions.json): ${uncaptioned.join(" ")}`);
  const sections = [];
  let group = null;
  for (const kind of order) {
    const meta = known.get(kind) || { kind, title: kind, caption: "(no caption yet: add one to tools/cardcheck/captions.json)" };
    if (!known.has(kind)) warnings.push(`no caption for ${kind}: add it to tools/cardcheck/captions.json`);
    if (meta.skip) continue;
    const en = pick(cards, kind, "en");
    const fr = pick(cards, kind, "fr");
    const shots = [];
    const take = async (card, theme, name, alt) => {
      if (!card) return;
      const problems = await shoot(page, card.card, theme, path.join(o.shots, name));
      for (const p of problems) warnings.push(`${card.file} [${theme}]: ${p.element}: ${p.message}`);
      written.add(name);
      shots.push({ name, alt });
    };
    await take(en || fr, "light", `${kind}.png`, en ? "Teams light" : "Teams light, French");
    if (meta.main) {
      await take(en, "dark", `${kind}.dark.png`, "Teams dark");
      await take(en && fr, "light", `${kind}.fr.png`, "French");
      if (en && !fr) warnings.push(`no French golden for ${kind} yet: its French picture is missing`);
    }
    let s = "";
    if (meta.group && meta.group !== group) {
      group = meta.group;
      s += `## ${group}\n\n`;
    }
    s += `### ${meta.title}\n\n${meta.caption}\n\n`;
    if (shots.length === 1) {
      s += `![${meta.title}, ${shots[0].alt}](${rel}/${shots[0].name})\n`;
    } else {
      s += `| ${shots.map((x) => x.alt).join(" | ")} |\n| ${shots.map(() => "---").join(" | ")} |\n`;
      s += `| ${shots.map((x) => `![${meta.title}, ${x.alt}](${rel}/${x.name})`).join(" | ")} |\n`;
    }
    sections.push(s);
  }
  // Pictures of cards that are gone would mislead: remove them.
  for (const f of fs.readdirSync(o.shots)) {
    if (f.endsWith(".png") && !written.has(f)) fs.unlinkSync(path.join(o.shots, f));
  }
  const doc = fs.readFileSync(o.doc, "utf8");
  const begin = doc.indexOf("<!-- cards:begin");
  const endMark = "<!-- cards:end -->";
  const end = doc.indexOf(endMark);
  if (begin < 0 || end < begin) throw new Error(`${o.doc} has no <!-- cards:begin --> … <!-- cards:end --> markers`);
  const head = doc.slice(0, doc.indexOf("-->", begin) + 3);
  fs.writeFileSync(o.doc, `${head}\n\n${sections.join("\n")}\n${doc.slice(end)}`);
  return { written: written.size, warnings };
}

// launch starts headless Chromium. puppeteer-core never downloads a
// browser: it drives the one given (Debian's chromium package).
async function launch(executablePath) {
  const puppeteer = require("puppeteer-core");
  return puppeteer.launch({
    executablePath,
    headless: true,
    // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
    args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--font-render-hinting=none", "--hide-scrollbars"],
  });
}

async function main() {
  let o;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`cardcheck: ${err.message}\n\n${USAGE}`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const globs = o.globs.length ? o.globs : lib.DEFAULT_GLOBS.map((g) => path.join(REPO, g));
  const base = o.globs.length ? process.cwd() : REPO;
  const { files, cards, empty, broken } = lib.loadGoldens(globs, base);
  if (files.length === 0) {
    process.stderr.write(`cardcheck: no file matches ${globs.join(" ")}\n`);
    return 1;
  }
  for (const f of empty) process.stdout.write(`cardcheck: ${f} holds no Adaptive Card; skipped\n`);
  if (!fs.existsSync(o.chromium)) {
    process.stderr.write(`cardcheck: no browser at ${o.chromium} (apt-get install chromium, or set CHROMIUM)\n`);
    return 1;
  }
  const browser = await launch(o.chromium);
  try {
    const page = await openPage(browser);
    if (o.shots) {
      fs.mkdirSync(o.shots, { recursive: true });
      if (o.doc) {
        const { written, warnings } = await docShots(page, cards, o);
        for (const w of warnings) process.stdout.write(`cardcheck: warning: ${w}\n`);
        process.stdout.write(`cardcheck: wrote ${written} pictures to ${o.shots} and the gallery of ${o.doc}\n`);
        return 0;
      }
      let n = 0;
      for (const c of cards) {
        for (const theme of o.themes) {
          const suffix = c.count > 1 ? `.${c.index + 1}` : "";
          await shoot(page, c.card, theme, path.join(o.shots, `${c.kind}.${c.lang}${suffix}.${theme}.png`));
          n++;
        }
      }
      process.stdout.write(`cardcheck: wrote ${n} pictures to ${o.shots}\n`);
      return 0;
    }
    const { failed, ms } = await check(page, cards, o);
    for (const b of broken) failed.set(b.file, [`${b.file}: ${b.message}`]);
    const lenient = new Set(o.lenient.flatMap((g) => lib.expandGlob(g, process.cwd())).map((f) => path.relative(base, path.resolve(f))));
    const fileOf = (k) => k.replace(/ \(card \d+ of \d+\)$/, "");
    const bad = new Set();
    const known = new Set();
    for (const [k, lines] of failed) {
      const isKnown = lenient.has(fileOf(k));
      (isKnown ? known : bad).add(fileOf(k));
      for (const l of lines) process.stdout.write(`${isKnown ? "KNOWN" : "FAIL"} ${l}\n`);
    }
    const cardFiles = new Set(cards.map((c) => c.file));
    const total = new Set([...cardFiles, ...broken.map((b) => b.file)]).size;
    process.stdout.write(`cardcheck: ${cards.length} cards from ${cardFiles.size} files, themes ${o.themes.join("+")}, widths ${o.widths.join("+")} px, rendered in ${(ms / 1000).toFixed(1)} s\n`);
    if (known.size) process.stdout.write(`cardcheck: ${known.size} files with known problems (--lenient): ${[...known].join(" ")}\n`);
    process.stdout.write(`cardcheck: ${total - bad.size - known.size} passed, ${bad.size} failed${known.size ? `, ${known.size} skipped` : ""}\n`);
    return bad.size ? 1 : 0;
  } finally {
    await browser.close();
  }
}

if (require.main === module) {
  main().then((code) => { process.exitCode = code; }, (err) => {
    process.stderr.write(`cardcheck: ${err.stack || err}\n`);
    process.exitCode = 1;
  });
}

module.exports = { launch, openPage, setTheme, THEMES };
