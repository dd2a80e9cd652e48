// Tests of cardcheck: the helpers alone, then the command against small
// cards made to break in one way each, in the real browser.
"use strict";

const test = require("node:test");
const assert = require("node:assert");
const fs = require("fs");
const os = require("os");
const path = require("path");
const { spawnSync } = require("child_process");
const lib = require("../lib");
const cardcheck = require("../cardcheck");

const HERE = __dirname;
const CLI = path.join(HERE, "..", "cardcheck.js");
const fixture = (name) => path.join(HERE, "fixtures", name);
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";

function run(...args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", timeout: 120000 });
  return { code: r.status, out: r.stdout + r.stderr };
}

test("nameOf reads the kind and the language from the file name", () => {
  assert.deepStrictEqual(lib.nameOf("bot/teams/testdata/cards/subscription.fr.golden.json"), { kind: "subscription", lang: "fr" });
  assert.deepStrictEqual(lib.nameOf("bot/teams/testdata/approval_pending.golden.json"), { kind: "approval_pending", lang: "en" });
});

test("extractCards finds cards in every shape a golden can have", () => {
  const card = { type: "AdaptiveCard", body: [] };
  assert.deepStrictEqual(lib.extractCards(card), [card]);
  assert.deepStrictEqual(lib.extractCards({ summary: "s", card }), [card]);
  const activity = { type: "message", attachments: [
    { contentType: "application/vnd.microsoft.card.hero", content: { title: "not ours" } },
    { contentType: "application/vnd.microsoft.card.adaptive", content: card },
  ] };
  assert.deepStrictEqual(lib.extractCards(activity), [card]);
  assert.deepStrictEqual(lib.extractCards([activity, activity]), [card, card]);
  assert.deepStrictEqual(lib.extractCards({ type: "message", text: "hi" }), []);
});

test("expandGlob matches * and ** and nothing else", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cardcheck-"));
  fs.mkdirSync(path.join(dir, "a", "cards"), { recursive: true });
  for (const f of ["a/x.golden.json", "a/cards/y.fr.golden.json", "a/z.json"]) fs.writeFileSync(path.join(dir, f), "{}");
  assert.deepStrictEqual(lib.expandGlob("a/*.golden.json", dir), [path.join(dir, "a/x.golden.json")]);
  assert.deepStrictEqual(lib.expandGlob("a/**/*.golden.json", dir).map((f) => path.relative(dir, f)), ["a/cards/y.fr.golden.json", "a/x.golden.json"]);
  assert.deepStrictEqual(lib.expandGlob("b/*.json", dir), []);
});

test("Teams' host configurations lay actions out in one row", () => {
  for (const theme of ["light", "dark"]) {
    const hc = JSON.parse(fs.readFileSync(path.join(HERE, "..", "teams", `microsoft-teams-${theme}.json`), "utf8"));
    assert.strictEqual(hc.actions.actionsOrientation, "Horizontal", theme);
  }
});

const haveBrowser = fs.existsSync(CHROMIUM);
const browserTest = (name, fn) => test(name, { skip: haveBrowser ? false : `no browser at ${CHROMIUM}` }, fn);

browserTest("the renderer puts a card's buttons side by side in both themes", async () => {
  const browser = await cardcheck.launch(CHROMIUM);
  try {
    const page = await cardcheck.openPage(browser);
    const card = JSON.parse(fs.readFileSync(fixture("good.en.golden.json"), "utf8")).attachments[0].content;
    for (const theme of ["light", "dark"]) {
      const hc = await cardcheck.setTheme(page, theme);
      const tops = await page.evaluate((c, hc) => {
        const problems = window.cardcheck.render(c, hc, 450);
        if (problems.length) return problems;
        return [...document.querySelectorAll("#host .ac-actionSet > .ac-pushButton")].map((b) => b.getBoundingClientRect().top);
      }, card, hc);
      assert.strictEqual(tops.length, 2, JSON.stringify(tops));
      assert.strictEqual(tops[0], tops[1], `${theme}: buttons on different rows`);
    }
  } finally {
    await browser.close();
  }
});

// One run over every fixture (a browser start costs seconds); each test
// then reads its own lines.
let all;
const runAll = () => {
  if (!all) all = run(...fs.readdirSync(path.join(HERE, "fixtures")).map(fixture));
  return all;
};
const linesOf = (file) => runAll().out.split("\n").filter((l) => l.includes(`fixtures/${file}`)).join("\n");

browserTest("one failing card makes the whole check fail", () => {
  const r = runAll();
  assert.strictEqual(r.code, 1, r.out);
  assert.match(r.out, /^cardcheck: 1 passed, 5 failed$/m);
});

browserTest("a card that fits passes, and a file without a card is skipped", () => {
  assert.strictEqual(linesOf("good.en.golden.json"), "");
  assert.match(runAll().out, /text-only\.golden\.json holds no Adaptive Card; skipped/);
});

const failures = [
  ["long-labels.golden.json", /^FAIL \S+long-labels\.golden\.json \[Teams light, 360 px\] button "Schedule the renewal at 22 seats": label does not fit: cut with an ellipsis/m],
  ["unknown-element.golden.json", /^FAIL \S+unknown-element\.golden\.json \[Teams dark, 450 px\] card \(renderer\): Parse warning: Unknown element type "FancyThing"/m],
  ["too-wide.golden.json", /^FAIL \S+too-wide\.golden\.json \[Teams light, 450 px\] TextBlock "right": sticks out of the card by \d+px/m],
  ["nowrap.golden.json", /^FAIL \S+nowrap\.golden\.json \[Teams light, 450 px\] TextBlock "Alice asks.*": text cut with an ellipsis/m],
  ["showcard-long.golden.json", /^FAIL \S+showcard-long\.golden\.json \[Teams dark, 360 px\] button "Turn off auto-renew for this subscription" \(after opening "More…"\): label does not fit/m],
];
for (const [file, want] of failures) {
  browserTest(`${file} fails with a line naming the file, theme, width and element`, () => {
    assert.match(linesOf(file), want);
  });
}

browserTest("--widths and --themes choose what is checked", () => {
  const r = run("--widths", "450", "--themes", "dark", fixture("long-labels.golden.json"));
  assert.strictEqual(r.code, 1, r.out);
  assert.match(r.out, /\[Teams dark, 450 px\]/);
  assert.doesNotMatch(r.out, /360 px\]|Teams light/);
});

browserTest("--lenient reports a file's problems as known without failing", () => {
  const r = run("--lenient", fixture("long-*.json"), fixture("long-labels.golden.json"), fixture("nowrap.golden.json"));
  assert.strictEqual(r.code, 1, r.out); // nowrap still fails
  assert.match(r.out, /^KNOWN \S+long-labels\.golden\.json \[Teams light, 450 px\] button/m);
  assert.match(r.out, /^FAIL \S+nowrap\.golden\.json/m);
  assert.match(r.out, /^cardcheck: 0 passed, 1 failed, 1 skipped$/m);
  const alone = run("--lenient", fixture("long-*.json"), fixture("long-labels.golden.json"));
  assert.strictEqual(alone.code, 0, alone.out);
});

test("a glob that matches nothing is an error, not a pass", () => {
  const r = run(path.join(HERE, "fixtures", "nothing-*.json"));
  assert.strictEqual(r.code, 1, r.out);
  assert.match(r.out, /no file matches/);
});

browserTest("--shots writes 450 px PNGs, light and dark", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "cardcheck-shots-"));
  const r = run("--shots", dir, fixture("good.en.golden.json"));
  assert.strictEqual(r.code, 0, r.out);
  for (const theme of ["light", "dark"]) {
    const png = fs.readFileSync(path.join(dir, `good.en.${theme}.png`));
    assert.strictEqual(png.toString("latin1", 1, 4), "PNG");
    assert.strictEqual(png.readUInt32BE(16), 450, "width");
  }
});
