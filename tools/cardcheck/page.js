// Runs inside the headless browser page, next to Microsoft's Adaptive
// Cards renderer (window.AdaptiveCards) and markdown-it. It renders one
// card into #host at a given width and reports what a person would see go
// wrong: renderer warnings, cut button labels, content wider than the card.
/* global window, document, getComputedStyle */
(function () {
  "use strict";
  const AC = window.AdaptiveCards;

  // Teams renders text with markdown; the renderer uses markdown-it when
  // it is on the page, as the Adaptive Cards designer does.
  const md = window.markdownit ? window.markdownit() : null;
  AC.AdaptiveCard.onProcessMarkdown = (text, result) => {
    if (!md) return;
    result.outputHtml = md.render(text);
    result.didProcess = true;
  };

  const phases = ["Parse", "ToJSON", "Validation"];

  // describe names an element the way the card author would look for it.
  function describe(el) {
    const kinds = [
      ["ac-adaptiveCard", "card"],
      ["ac-pushButton", "button"], ["ac-pushButton-disabled", "button"],
      ["ac-textBlock", "TextBlock"], ["ac-richTextBlock", "RichTextBlock"],
      ["ac-factset", "FactSet"], ["ac-columnSet", "ColumnSet"],
      ["ac-column", "Column"], ["ac-container", "Container"],
      ["ac-image", "Image"], ["ac-input", "Input"], ["ac-actionSet", "ActionSet"],
    ];
    for (let e = el; e; e = e.parentElement) {
      for (const [cls, name] of kinds) {
        if (e.classList && e.classList.contains(cls)) {
          const text = (e.innerText || e.textContent || "").replace(/\s+/g, " ").trim();
          const short = text.length > 60 ? text.slice(0, 57) + "…" : text;
          return short ? `${name} "${short}"` : name;
        }
      }
    }
    return el.tagName.toLowerCase();
  }

  function visible(el) {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;
    const s = getComputedStyle(el);
    return s.visibility !== "hidden" && s.display !== "none";
  }

  // layoutProblems looks at what is on screen now inside root (the card).
  function layoutProblems(root, where) {
    const problems = [];
    const seen = new Set();
    const add = (el, message) => {
      const element = describe(el);
      const key = element + "|" + message;
      if (seen.has(key)) return;
      seen.add(key);
      problems.push({ where, element, message });
    };
    const cardBox = root.getBoundingClientRect();
    if (root.scrollWidth > root.clientWidth + 1) {
      add(root, `card content is ${root.scrollWidth - root.clientWidth}px wider than the card`);
    }
    for (const el of root.querySelectorAll("*")) {
      if (!visible(el)) continue;
      const r = el.getBoundingClientRect();
      if (r.right > cardBox.right + 1 || r.left < cardBox.left - 1) {
        const over = Math.round(Math.max(r.right - cardBox.right, cardBox.left - r.left));
        add(el, `sticks out of the card by ${over}px`);
        continue;
      }
      const s = getComputedStyle(el);
      const clipsX = s.overflowX === "hidden" || s.overflowX === "clip";
      if (clipsX && el.scrollWidth > el.clientWidth + 1) {
        const isLabel = el.parentElement && (el.parentElement.classList.contains("ac-pushButton") ||
          el.parentElement.classList.contains("ac-pushButton-disabled"));
        const how = s.textOverflow === "ellipsis" ? "cut with an ellipsis" : "clipped";
        if (isLabel) {
          add(el, `label does not fit: ${how} (needs ${el.scrollWidth}px, has ${el.clientWidth}px)`);
        } else if (!el.classList.contains("ac-pushButton")) {
          add(el, `text ${how} (needs ${el.scrollWidth}px, has ${el.clientWidth}px)`);
        }
      }
    }
    return problems;
  }

  function rendererEvents(card, ctx) {
    const out = [];
    const name = (o) => {
      if (!o) return "card";
      const type = typeof o.getJsonTypeName === "function" ? o.getJsonTypeName() : "element";
      const label = o.id ? ` #${o.id}` : (o.title ? ` "${o.title}"` : "");
      return type + label;
    };
    for (let i = 0; i < ctx.eventCount; i++) {
      const e = ctx.getEventAt(i);
      out.push({ where: "renderer", element: name(e.source), message: `${phases[e.phase] || "?"} warning: ${e.message}` });
    }
    const v = card.validateProperties();
    for (const e of v.validationEvents) {
      out.push({ where: "renderer", element: name(e.source), message: `validation: ${e.message}` });
    }
    return out;
  }

  // render draws cardJson into #host and returns the problems found, with
  // every Action.ShowCard opened in turn so its inline card is checked too.
  function render(cardJson, hostConfigJson, width, opts) {
    const host = document.getElementById("host");
    host.innerHTML = "";
    host.style.width = width + "px";
    const problems = [];
    const hc = new AC.HostConfig(hostConfigJson);
    if (hc.actions.actionsOrientation !== AC.Orientation.Horizontal) {
      problems.push({ where: "host config", element: "actions", message: "actionsOrientation is not Horizontal: Teams lays actions out in one row" });
    }
    const card = new AC.AdaptiveCard();
    card.hostConfig = hc;
    const ctx = new AC.SerializationContext();
    try {
      card.parse(cardJson, ctx);
    } catch (err) {
      problems.push({ where: "renderer", element: "card", message: "parse error: " + err.message });
      return problems;
    }
    problems.push(...rendererEvents(card, ctx));
    let el;
    try {
      el = card.render();
    } catch (err) {
      problems.push({ where: "renderer", element: "card", message: "render error: " + err.message });
      return problems;
    }
    if (!el) {
      problems.push({ where: "renderer", element: "card", message: "the renderer produced nothing" });
      return problems;
    }
    host.appendChild(el);
    if (opts && opts.shotOnly) return problems;
    problems.push(...layoutProblems(el, "card"));
    // Open each Action.ShowCard in turn (and the ones inside it) so the
    // cards people only see after a press are checked too.
    const openEach = (depth, path, outer) => {
      if (depth > 3) return;
      const closed = [...el.querySelectorAll('[aria-expanded="false"]')].filter((b) => visible(b) && !outer.has(b));
      const known = new Set([...outer, ...closed]);
      for (const b of closed) {
        const label = (b.innerText || "").trim();
        b.click();
        const here = path.concat(label);
        problems.push(...layoutProblems(el, "after opening " + here.map((l) => `"${l}"`).join(" > ")));
        openEach(depth + 1, here, known);
        b.click();
      }
    };
    openEach(1, [], new Set());
    return problems;
  }

  window.cardcheck = { render };
})();
