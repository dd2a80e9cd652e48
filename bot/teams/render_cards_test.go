package teams

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/cards/cardsamples"
)

// cardCase is one Teams golden of the shared sample catalog: the card
// the adapter sends for a sample, or a confirmation step.
type cardCase struct {
	file string
	m    bot.Message
	opt  renderOptions
}

// cardCases are the shared samples (bot/cards/cardsamples) as Teams
// shows them, plus the confirmation steps of a preview that goes for
// approval and of an irreversible approval.
func cardCases(t *testing.T) []cardCase {
	t.Helper()
	all, err := cardsamples.All()
	if err != nil {
		t.Fatal(err)
	}
	var out []cardCase
	for _, s := range all {
		var o renderOptions
		switch {
		case s.Message.Kind == bot.KindApproval || strings.HasPrefix(s.Message.To, "marc@"):
			o.userIDs = []string{"29:marc"}
		case s.Message.Key != "":
			o.userIDs = []string{"29:alice"}
		}
		out = append(out, cardCase{file: s.File(), m: s.Message, opt: o})
		if s.Name == "preview_upgrade" || s.Name == "approval_pending" {
			for i, a := range s.Message.Actions {
				if a.Confirm != "" {
					step := o
					step.confirm = &s.Message.Actions[i]
					name := map[string]string{"preview_upgrade": "confirm_preview", "approval_pending": "confirm_approve"}[s.Name]
					out = append(out, cardCase{file: name + "." + s.Lang + ".golden.json", m: s.Message, opt: step})
				}
			}
		}
	}
	return out
}

// Every Teams golden under testdata/cards is exactly the Adaptive Card
// the adapter sends ("type": "AdaptiveCard" at the top), so the browser
// check can render each file as it is.
func TestCardGoldens(t *testing.T) {
	dir := filepath.Join("testdata", "cards")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, cc := range cardCases(t) {
		seen[cc.file] = true
		t.Run(cc.file, func(t *testing.T) {
			got := encodeGolden(t, testRender(cc.m, cc.opt))
			path := filepath.Join(dir, cc.file)
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (go test -update rewrites it):\n%s", path, got)
			}
		})
	}
	// A golden whose sample is gone would be rendered by the browser
	// check for nothing.
	files, _ := filepath.Glob(filepath.Join(dir, "*.golden.json"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			if *update {
				_ = os.Remove(f)
				continue
			}
			t.Errorf("%s has no sample any more", f)
		}
	}
}

// Both languages have a golden of every sample.
func TestCardGoldensInBothLanguages(t *testing.T) {
	names := map[string][]string{}
	for _, cc := range cardCases(t) {
		parts := strings.Split(cc.file, ".")
		names[parts[0]] = append(names[parts[0]], parts[1])
	}
	for name, langs := range names {
		sort.Strings(langs)
		if !slices.Equal(langs, []string{"en", "fr"}) {
			t.Errorf("%s: languages %v", name, langs)
		}
	}
	for _, want := range []string{"subscriptions", "subscription", "preview_add", "preview_reduce_renewal", "preview_remove_seats",
		"preview_upgrade", "preview_upgrade_new", "preview_cancel", "preview_auto_renew_off", "preview_align_end_date",
		"refusal", "confirm_preview", "confirm_approve", "approval_pending", "approval_approved", "approval_rejected",
		"approval_expired", "approval_withdrawn", "approval_needs_attention", "request_pending", "request_completed",
		"request_rejected", "request_expired", "request_withdrawn", "reminder_renewal", "reminder_trial",
		"reminder_window_open", "reminder_window_closing", "reminder_personal", "reminder_approval_waiting",
		"reminder_approval_escalated", "reminder_escalated_requester", "help", "error_portal"} {
		if _, ok := names[want]; !ok {
			t.Errorf("no golden of %s", want)
		}
	}
}

// What fits on a phone: at most three buttons in the action bar, short
// labels there and in "More…", choices one per row with labels that fit
// the card's width.
func TestCardButtonsFit(t *testing.T) {
	for _, cc := range cardCases(t) {
		c := testRender(cc.m, cc.opt)
		if n := len(c.Actions); n > bot.MaxRowButtons {
			t.Errorf("%s: %d buttons in a row", cc.file, n)
		}
		limit := bot.MaxButtonLabel
		if cc.m.Stacked() {
			limit = bot.MaxChoiceLabel
		}
		if cc.opt.confirm != nil {
			limit = maxButtonText // "Yes, send for approval" is alone with [No]
		}
		walkActions(c, func(a cardAction) {
			if n := utf8.RuneCountInString(a.Title); n > limit {
				t.Errorf("%s: button %q is %d characters, over %d", cc.file, a.Title, n, limit)
			}
		})
		for _, el := range c.Body {
			if el.Type == "ActionSet" && len(el.Actions) > 1 {
				t.Errorf("%s: %d choices on one row", cc.file, len(el.Actions))
			}
		}
	}
}

// Clients without Universal Actions get an Action.Submit with the same
// data in place of every Action.Execute button.
func TestEveryExecuteHasASubmitFallback(t *testing.T) {
	for _, cc := range cardCases(t) {
		var n int
		walkActions(testRender(cc.m, cc.opt), func(a cardAction) {
			if a.Type != "Action.Execute" {
				return
			}
			n++
			if a.Fallback == nil || a.Fallback.Type != "Action.Submit" || a.Fallback.Data != a.Data || a.Fallback.Title != a.Title {
				t.Errorf("%s: %q has fallback %+v", cc.file, a.Title, a.Fallback)
			}
		})
		if n == 0 && len(cc.m.Actions) > 0 {
			t.Errorf("%s: no button", cc.file)
		}
	}
}

// The decided and the pending cards say so at the top, in a coloured
// container.
func TestStatusLineIsColoured(t *testing.T) {
	want := map[string]string{"approval_pending": "accent", "approval_approved": "good", "approval_rejected": "attention",
		"approval_expired": "warning", "approval_withdrawn": "emphasis", "request_rejected": "attention", "request_completed": "good"}
	for _, cc := range cardCases(t) {
		name := strings.Split(cc.file, ".")[0]
		style, ok := want[name]
		if !ok || cc.opt.confirm != nil {
			continue
		}
		c := testRender(cc.m, cc.opt)
		if len(c.Body) < 2 || c.Body[0].Size != "Large" || c.Body[1].Type != "Container" || c.Body[1].Style != style {
			t.Errorf("%s: top of the card %+v", cc.file, c.Body[:min(2, len(c.Body))])
		}
	}
}

// The cards stay within the subset of Adaptive Cards 1.5 this adapter
// sends: known element and action types, each with only the properties
// the 1.5 schema gives it, and values from the schema's enumerations.
func TestCardsAreAdaptiveCards15(t *testing.T) {
	for _, cc := range cardCases(t) {
		raw, err := json.Marshal(testRender(cc.m, cc.opt))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := json.Unmarshal(raw, &doc); err != nil {
			t.Fatal(err)
		}
		for _, p := range checkAC15(doc, "card", true) {
			t.Errorf("%s: %s", cc.file, p)
		}
	}
}

// ac15 lists, per type, the properties the Adaptive Cards 1.5 schema
// allows that this adapter may send.
var ac15 = map[string][]string{
	"AdaptiveCard":    {"type", "$schema", "version", "refresh", "body", "actions", "msteams"},
	"TextBlock":       {"type", "text", "style", "weight", "size", "isSubtle", "wrap", "spacing", "separator", "id"},
	"Container":       {"type", "items", "style", "spacing", "separator", "id"},
	"FactSet":         {"type", "facts", "spacing", "separator", "id"},
	"ActionSet":       {"type", "actions", "spacing", "separator", "id"},
	"Input.Text":      {"type", "id", "label", "placeholder", "isMultiline", "maxLength", "spacing"},
	"Action.Execute":  {"type", "title", "verb", "data", "style", "fallback"},
	"Action.Submit":   {"type", "title", "data", "style"},
	"Action.ShowCard": {"type", "title", "card", "style"},
}

var ac15Enums = map[string][]string{
	"weight":  {"Default", "Lighter", "Bolder"},
	"size":    {"Default", "Small", "Medium", "Large", "ExtraLarge"},
	"spacing": {"None", "Small", "Default", "Medium", "Large", "ExtraLarge", "Padding"},
}

func checkAC15(v map[string]any, path string, top bool) []string {
	var out []string
	typ, _ := v["type"].(string)
	allowed, ok := ac15[typ]
	if !ok {
		return []string{fmt.Sprintf("%s: type %q is not one we send", path, typ)}
	}
	for k, val := range v {
		if !slices.Contains(allowed, k) {
			out = append(out, fmt.Sprintf("%s: %s has no property %q", path, typ, k))
		}
		if enum, ok := ac15Enums[k]; ok && !slices.Contains(enum, val.(string)) {
			out = append(out, fmt.Sprintf("%s: %s %q", path, k, val))
		}
	}
	if top && (v["version"] != "1.5" || v["$schema"] == nil) {
		out = append(out, path+": no version 1.5")
	}
	if !top && typ == "AdaptiveCard" && v["version"] != nil {
		out = append(out, path+": an inner card declares a version")
	}
	switch typ {
	case "TextBlock":
		if s, _ := v["style"].(string); s != "" && s != "heading" && s != "default" {
			out = append(out, path+": TextBlock style "+s)
		}
	case "Container":
		styles := []string{"default", "emphasis", "good", "attention", "warning", "accent"}
		if s, _ := v["style"].(string); s != "" && !slices.Contains(styles, s) {
			out = append(out, path+": container style "+s)
		}
	case "Action.Execute", "Action.Submit", "Action.ShowCard":
		if s, _ := v["style"].(string); s != "" && s != "positive" && s != "destructive" && s != "default" {
			out = append(out, path+": action style "+s)
		}
		if typ == "Action.Execute" && v["verb"] == nil {
			out = append(out, path+": Action.Execute without a verb")
		}
	}
	for k, val := range v {
		switch x := val.(type) {
		case map[string]any:
			if k == "data" || k == "msteams" {
				continue
			}
			if k == "refresh" {
				if a, ok := x["action"].(map[string]any); ok {
					out = append(out, checkAC15(a, path+".refresh.action", false)...)
				}
				continue
			}
			out = append(out, checkAC15(x, path+"."+k, false)...)
		case []any:
			if k == "facts" {
				continue
			}
			for i, it := range x {
				if m, ok := it.(map[string]any); ok {
					out = append(out, checkAC15(m, fmt.Sprintf("%s.%s[%d]", path, k, i), false)...)
				}
			}
		}
	}
	return out
}

// Three buttons share a phone's action bar only when their labels are
// short enough for a third of it each: the renewal reminder's "Reduce
// renewal" and "Stop auto-renew" beside "More…" were cut, so the second
// goes behind "More…" (first, keeping the order); nothing is lost.
func TestActionBarFitsAPhone(t *testing.T) {
	a := func(l string) bot.Action { return bot.Action{ID: "x", Label: l} }
	row, more := narrowRow([]bot.Action{a("Reduce renewal"), a("Stop auto-renew")}, []bot.Action{a("Keep as is"), a("Stop reminders")})
	if len(row) != 1 || row[0].Label != "Reduce renewal" || len(more) != 3 || more[0].Label != "Stop auto-renew" {
		t.Fatalf("row %v, more %v", row, more)
	}
	row, more = narrowRow([]bot.Action{a("Add seats"), a("Reduce the renewal")}, []bot.Action{a("Cancel")})
	if len(row) != 2 || len(more) != 1 {
		t.Fatalf("a row that fits was changed: row %v, more %v", row, more)
	}
	row, more = narrowRow([]bot.Action{a("Approve"), a("Reject")}, nil)
	if len(row) != 2 || len(more) != 0 {
		t.Fatalf("two buttons were changed: row %v, more %v", row, more)
	}
}
