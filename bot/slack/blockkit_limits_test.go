package slack

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Block Kit's documented limits (Slack's block and block element
// reference), written out here rather than taken from render.go so that a
// wrong limit there is caught. Slack refuses a message that breaks one (invalid_blocks), so
// a golden that breaks one is a message that would never arrive.
const (
	bkMaxBlocksPerMessage   = 50
	bkMaxBlockID            = 255
	bkMaxHeaderText         = 150
	bkMaxSectionText        = 3000
	bkMaxSectionFields      = 10
	bkMaxSectionFieldText   = 2000
	bkMaxActionsElements    = 25
	bkMaxContextElements    = 10
	bkMaxButtonText         = 75
	bkMaxActionID           = 255
	bkMaxButtonValue        = 2000
	bkMaxButtonURL          = 3000
	bkMinOverflowOptions    = 2
	bkMaxOverflowOptions    = 5
	bkMaxOptionText         = 75
	bkMaxOptionValue        = 150
	bkMaxConfirmTitle       = 100
	bkMaxConfirmText        = 300
	bkMaxConfirmButtonLabel = 30
)

// What fits a phone. Slack shows an actions block's buttons side by side
// and a button wider than the row is cut, so a row holds at most three
// buttons and the overflow menu ("…") for the rest (issue 17). Labels stay
// within 20 characters: in Lato Bold 15 px, the face of Slack's buttons,
// ordinary 20-character labels ("Schedule the renewal", "Ajouter des
// licences") measure 130 to 150 px, 175 px with the button's padding and
// border, which leaves room in the message column of a 360 px phone
// (about 290 px beside the avatar) for a label alone or two short ones.
const (
	bkMaxButtonsPerRow   = 3
	bkMaxPhoneLabelRunes = 20
	// A button alone in its row (a question's choices, one per row) has
	// the whole column: scaled from the 20-character measurement,
	// about 36 characters fit.
	bkMaxLoneLabelRunes = 36
)

// bkGoldenGlobs are the Slack goldens: the first ones and the
// per-language ones (cards/NAME.LANG.golden.json).
var bkGoldenGlobs = []string{"testdata/*.golden.json", "testdata/cards/*.golden.json"}

// bkProblem is one broken rule, and whether it is a phone-layout rule
// (issue 17) rather than a limit Slack enforces.
type bkProblem struct {
	where string
	msg   string
	phone bool
}

func (p bkProblem) String() string { return p.where + ": " + p.msg }

// bkMessageBlocks finds the blocks of a golden: a message {"blocks": […]}
// (also under attachments), or a bare list of blocks.
func bkMessageBlocks(doc any) ([]any, bool) {
	switch v := doc.(type) {
	case []any:
		return v, true
	case map[string]any:
		if b, ok := v["blocks"].([]any); ok {
			return b, true
		}
		if atts, ok := v["attachments"].([]any); ok {
			var all []any
			for _, a := range atts {
				if m, ok := a.(map[string]any); ok {
					if b, ok := m["blocks"].([]any); ok {
						all = append(all, b...)
					}
				}
			}
			return all, len(all) > 0
		}
	}
	return nil, false
}

func bkStr(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func bkTextOf(m map[string]any, key string) (string, string) {
	t, _ := m[key].(map[string]any)
	if t == nil {
		return "", ""
	}
	return bkStr(t, "text"), bkStr(t, "type")
}

// bkCheck returns every rule the blocks break.
func bkCheck(blocks []any) []bkProblem {
	var ps []bkProblem
	add := func(where string, phone bool, format string, args ...any) {
		ps = append(ps, bkProblem{where: where, msg: fmt.Sprintf(format, args...), phone: phone})
	}
	long := func(where, what, s string, max int) {
		if n := utf8.RuneCountInString(s); n > max {
			add(where, false, "%s is %d characters, more than Block Kit's %d", what, n, max)
		}
	}
	if len(blocks) > bkMaxBlocksPerMessage {
		add("message", false, "%d blocks, more than Block Kit's %d", len(blocks), bkMaxBlocksPerMessage)
	}
	for i, raw := range blocks {
		b, ok := raw.(map[string]any)
		if !ok {
			add(fmt.Sprintf("block %d", i), false, "not an object")
			continue
		}
		typ := bkStr(b, "type")
		where := fmt.Sprintf("block %d (%s)", i, typ)
		long(where, "block_id", bkStr(b, "block_id"), bkMaxBlockID)
		switch typ {
		case "header":
			text, tt := bkTextOf(b, "text")
			if tt != "plain_text" {
				add(where, false, "header text must be plain_text, is %q", tt)
			}
			long(where, "header text", text, bkMaxHeaderText)
		case "section":
			text, _ := bkTextOf(b, "text")
			long(where, "section text", text, bkMaxSectionText)
			fields, _ := b["fields"].([]any)
			if len(fields) > bkMaxSectionFields {
				add(where, false, "%d fields, more than Block Kit's %d", len(fields), bkMaxSectionFields)
			}
			for j, f := range fields {
				if fm, ok := f.(map[string]any); ok {
					long(fmt.Sprintf("%s field %d", where, j), "field text", bkStr(fm, "text"), bkMaxSectionFieldText)
				}
			}
			if text == "" && len(fields) == 0 {
				add(where, false, "a section needs text or fields")
			}
			if acc, ok := b["accessory"].(map[string]any); ok {
				ps = append(ps, bkCheckElement(where+" accessory", acc, false)...)
			}
		case "context":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > bkMaxContextElements {
				add(where, false, "%d elements, Block Kit takes 1 to %d", len(els), bkMaxContextElements)
			}
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > bkMaxActionsElements {
				add(where, false, "%d elements, Block Kit takes 1 to %d", len(els), bkMaxActionsElements)
			}
			buttons, overflows := 0, 0
			ids := map[string]bool{}
			for j, e := range els {
				em, ok := e.(map[string]any)
				if !ok {
					continue
				}
				ew := fmt.Sprintf("%s element %d", where, j)
				if id := bkStr(em, "action_id"); id != "" {
					if ids[id] {
						add(ew, false, "action_id %q used twice in one block", id)
					}
					ids[id] = true
				}
				switch bkStr(em, "type") {
				case "button":
					buttons++
				case "overflow":
					overflows++
				}
				ps = append(ps, bkCheckElement(ew, em, len(els) == 1)...)
			}
			if buttons > bkMaxButtonsPerRow || overflows > 1 {
				add(where, true, "%d buttons and %d overflow menus in one row: a phone cuts them; keep at most %d buttons and put the rest in one overflow menu", buttons, overflows, bkMaxButtonsPerRow)
			}
		}
	}
	return ps
}

// bkCheckElement checks one interactive element (button, overflow menu).
func bkCheckElement(where string, e map[string]any, alone bool) []bkProblem {
	var ps []bkProblem
	add := func(phone bool, format string, args ...any) {
		ps = append(ps, bkProblem{where: where, msg: fmt.Sprintf(format, args...), phone: phone})
	}
	long := func(what, s string, max int) {
		if n := utf8.RuneCountInString(s); n > max {
			add(false, "%s is %d characters, more than Block Kit's %d", what, n, max)
		}
	}
	long("action_id", bkStr(e, "action_id"), bkMaxActionID)
	switch bkStr(e, "type") {
	case "button":
		text, tt := bkTextOf(e, "text")
		if tt != "plain_text" {
			add(false, "button text must be plain_text, is %q", tt)
		}
		long("button text", text, bkMaxButtonText)
		limit := bkMaxPhoneLabelRunes
		if alone {
			limit = bkMaxLoneLabelRunes
		}
		if n := utf8.RuneCountInString(text); n > limit {
			add(true, "button label %q is %d characters: a phone cuts labels over %d", text, n, limit)
		}
		long("button value", bkStr(e, "value"), bkMaxButtonValue)
		long("button url", bkStr(e, "url"), bkMaxButtonURL)
		if s := bkStr(e, "style"); s != "" && s != "primary" && s != "danger" {
			add(false, "button style %q is neither primary nor danger", s)
		}
	case "overflow":
		opts, _ := e["options"].([]any)
		if len(opts) < bkMinOverflowOptions || len(opts) > bkMaxOverflowOptions {
			add(false, "overflow menu has %d options, Block Kit takes %d to %d", len(opts), bkMinOverflowOptions, bkMaxOverflowOptions)
		}
		for j, o := range opts {
			om, ok := o.(map[string]any)
			if !ok {
				continue
			}
			text, _ := bkTextOf(om, "text")
			long(fmt.Sprintf("option %d text", j), text, bkMaxOptionText)
			long(fmt.Sprintf("option %d value", j), bkStr(om, "value"), bkMaxOptionValue)
		}
	}
	if c, ok := e["confirm"].(map[string]any); ok {
		title, _ := bkTextOf(c, "title")
		text, _ := bkTextOf(c, "text")
		yes, _ := bkTextOf(c, "confirm")
		no, _ := bkTextOf(c, "deny")
		long("confirm title", title, bkMaxConfirmTitle)
		long("confirm text", text, bkMaxConfirmText)
		long("confirm button", yes, bkMaxConfirmButtonLabel)
		long("deny button", no, bkMaxConfirmButtonLabel)
	}
	return ps
}

// Every Slack golden keeps within Block Kit's limits and reads on a phone.
// The first goldens (testdata/*.golden.json) predate the phone rules: their
// phone problems are reported as a skip naming issue 17 until the
// per-language goldens (testdata/cards/) replace them; those are held to
// every rule.
func TestBlockKitLimits(t *testing.T) {
	var files []string
	for _, g := range bkGoldenGlobs {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	if len(files) == 0 {
		t.Fatalf("no Slack golden matches %v", bkGoldenGlobs)
	}
	for _, file := range files {
		t.Run(filepath.ToSlash(file), func(t *testing.T) {
			errs, phone, err := bkCheckGolden(file)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				t.Errorf("%s: %s", file, e)
			}
			if len(phone) > 0 {
				t.Skipf("issue 17 (phone layout, fixed in the testdata/cards goldens): %s: %s", file, strings.Join(phone, "; "))
			}
		})
	}
}

// bkCheckGolden checks one golden file: errs are the broken rules that
// fail the test, phone the phone-layout problems of a first-generation
// golden (outside a cards/ folder), which are only reported.
func bkCheckGolden(file string) (errs, phone []string, err error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, err
	}
	var doc any
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, nil, fmt.Errorf("%s: not JSON: %w", file, err)
	}
	blocks, ok := bkMessageBlocks(doc)
	if !ok {
		return nil, nil, fmt.Errorf("%s: no blocks found", file)
	}
	strict := filepath.Base(filepath.Dir(file)) == "cards"
	for _, p := range bkCheck(blocks) {
		if p.phone && !strict {
			phone = append(phone, p.String())
			continue
		}
		errs = append(errs, p.String())
	}
	return errs, phone, nil
}

// A golden under cards/ is held to the phone rules; an older one only
// reports them.
func TestBlockKitLimitsStrictForCardGoldens(t *testing.T) {
	dir := t.TempDir()
	msg := `{"text":"x","blocks":[{"type":"actions","elements":[` +
		`{"type":"button","action_id":"a","text":{"type":"plain_text","text":"One"}},` +
		`{"type":"button","action_id":"b","text":{"type":"plain_text","text":"Two"}},` +
		`{"type":"button","action_id":"c","text":{"type":"plain_text","text":"Three"}},` +
		`{"type":"button","action_id":"d","text":{"type":"plain_text","text":"Four"}}]}]}`
	if err := os.MkdirAll(filepath.Join(dir, "cards"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "subscription.golden.json")
	card := filepath.Join(dir, "cards", "subscription.en.golden.json")
	for _, f := range []string{old, card} {
		if err := os.WriteFile(f, []byte(msg), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	errs, phone, err := bkCheckGolden(card)
	if err != nil || len(errs) != 1 || len(phone) != 0 || !strings.Contains(errs[0], "4 buttons") {
		t.Errorf("cards/ golden: errs %q, phone %q, err %v; want one error about 4 buttons", errs, phone, err)
	}
	errs, phone, err = bkCheckGolden(old)
	if err != nil || len(errs) != 0 || len(phone) != 1 {
		t.Errorf("older golden: errs %q, phone %q, err %v; want the 4 buttons reported only", errs, phone, err)
	}
	if _, _, err := bkCheckGolden(filepath.Join(dir, "missing.golden.json")); err == nil {
		t.Error("a missing file gave no error")
	}
}

// The checker itself: each rule catches a message built to break it.
func TestBlockKitLimitsCatchBrokenMessages(t *testing.T) {
	button := func(label string) map[string]any {
		return map[string]any{"type": "button", "action_id": "a/" + label, "value": "v",
			"text": map[string]any{"type": "plain_text", "text": label}}
	}
	overflow := func(n int) map[string]any {
		var opts []any
		for i := range n {
			opts = append(opts, map[string]any{"text": map[string]any{"type": "plain_text", "text": fmt.Sprint("option ", i)}, "value": fmt.Sprint(i)})
		}
		return map[string]any{"type": "overflow", "action_id": "more", "options": opts}
	}
	actions := func(els ...any) map[string]any { return map[string]any{"type": "actions", "elements": els} }
	section := func(text string) map[string]any {
		return map[string]any{"type": "section", "text": map[string]any{"type": "mrkdwn", "text": text}}
	}
	many := func(n int, b any) []any {
		out := make([]any, n)
		for i := range out {
			out[i] = b
		}
		return out
	}
	fields := make([]any, 11)
	for i := range fields {
		fields[i] = map[string]any{"type": "mrkdwn", "text": "x"}
	}
	cases := []struct {
		name   string
		blocks []any
		want   string
		phone  bool
	}{
		{"51 blocks", many(51, section("x")), "51 blocks, more than Block Kit's 50", false},
		{"long header", []any{map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": strings.Repeat("é", 151)}}}, "header text is 151 characters", false},
		{"mrkdwn header", []any{map[string]any{"type": "header", "text": map[string]any{"type": "mrkdwn", "text": "x"}}}, "header text must be plain_text", false},
		{"long section", []any{section(strings.Repeat("x", 3001))}, "section text is 3001 characters", false},
		{"11 fields", []any{map[string]any{"type": "section", "fields": fields}}, "11 fields", false},
		{"long field", []any{map[string]any{"type": "section", "fields": []any{map[string]any{"type": "mrkdwn", "text": strings.Repeat("x", 2001)}}}}, "field text is 2001 characters", false},
		{"11 context elements", []any{map[string]any{"type": "context", "elements": many(11, map[string]any{"type": "mrkdwn", "text": "x"})}}, "11 elements, Block Kit takes 1 to 10", false},
		{"26 actions", []any{actions(many(26, button("ok"))...)}, "26 elements, Block Kit takes 1 to 25", false},
		{"button text over 75", []any{actions(button(strings.Repeat("x", 76)))}, "button text is 76 characters", false},
		{"long action_id", []any{actions(map[string]any{"type": "button", "action_id": strings.Repeat("x", 256), "text": map[string]any{"type": "plain_text", "text": "ok"}})}, "action_id is 256 characters", false},
		{"long value", []any{actions(map[string]any{"type": "button", "value": strings.Repeat("x", 2001), "text": map[string]any{"type": "plain_text", "text": "ok"}})}, "button value is 2001 characters", false},
		{"duplicate action_id", []any{actions(button("ok"), button("ok"))}, `action_id "a/ok" used twice`, false},
		{"overflow of 1", []any{actions(button("a"), overflow(1))}, "overflow menu has 1 options, Block Kit takes 2 to 5", false},
		{"overflow of 6", []any{actions(button("a"), overflow(6))}, "overflow menu has 6 options", false},
		{"long confirm", []any{actions(map[string]any{"type": "button", "text": map[string]any{"type": "plain_text", "text": "ok"},
			"confirm": map[string]any{"title": map[string]any{"type": "plain_text", "text": "Sure?"}, "text": map[string]any{"type": "plain_text", "text": "x"},
				"confirm": map[string]any{"type": "plain_text", "text": strings.Repeat("y", 31)}, "deny": map[string]any{"type": "plain_text", "text": "No"}}})}, "confirm button is 31 characters", false},
		{"four buttons", []any{actions(button("a"), button("b"), button("c"), button("d"))}, "4 buttons and 0 overflow menus in one row", true},
		{"two overflows", []any{actions(button("a"), overflow(2), overflow(2))}, "1 buttons and 2 overflow menus", true},
		{"long label", []any{actions(button("Remind me when the window opens"), button("Keep"))}, `button label "Remind me when the window opens" is 31 characters`, true},
		{"long lone label", []any{actions(button("Remind me when the removal window opens"))}, `button label "Remind me when the removal window opens" is 39 characters`, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ps := bkCheck(c.blocks)
			for _, p := range ps {
				if strings.Contains(p.msg, c.want) {
					if p.phone != c.phone {
						t.Errorf("%q: phone rule = %v, want %v", p, p.phone, c.phone)
					}
					return
				}
			}
			t.Errorf("no problem says %q; got %v", c.want, ps)
		})
	}
	// Three short buttons and an overflow menu fit a phone and every limit.
	ok := []any{map[string]any{"type": "header", "text": map[string]any{"type": "plain_text", "text": "Renewal"}},
		section("E1: 25 → 20 seats"), actions(button("Add seats"), button("Reduce renewal"), button("Upgrade"), overflow(3))}
	if ps := bkCheck(ok); len(ps) != 0 {
		t.Errorf("a message within every rule was refused: %v", ps)
	}
}
