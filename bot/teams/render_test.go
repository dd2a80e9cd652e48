package teams

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensebot/licensebot/bot"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenMessages are messages as the engine writes them, one per kind and
// state the renderer must lay out (the same as the Slack renderer's).
func goldenMessages() map[string]bot.Message {
	approval := func(state string) bot.Message {
		m := bot.Message{
			To: "marc@reseller.example", Kind: bot.KindApproval, Lang: "en",
			Title: "Approval needed: R-3",
			Text:  "Alice (Contoso) asks to upgrade 5 seats of Microsoft 365 E1 to Microsoft 365 E3, as a new subscription.\n⚠️ This cannot be undone.",
			Fields: []bot.Field{
				{Label: "Requested by", Value: "Alice <alice@contoso.example>"},
				{Label: "Customer", Value: "Contoso"},
				{Label: "Subscription", Value: "Microsoft 365 E1"},
				{Label: "Microsoft 365 E1", Value: "10 → 5"},
				{Label: "Microsoft 365 E3 (new subscription)", Value: "0 → 5"},
				{Label: "Monthly cost", Value: "€84.00 → €232.50"},
				{Label: "Why approval", Value: "an upgrade is irreversible"},
				{Label: "Decision needed by", Value: "Mar 5, 2026 18:00"},
				{Label: "Justification", Value: "New hires need Teams Phone"},
			},
			Key: "approval:R-3", RequestID: "R-3", CustomerID: "C1",
		}
		switch state {
		case "pending":
			m.Actions = []bot.Action{
				{ID: bot.ActApprove, Label: "Approve", Style: bot.StylePrimary, Value: "C1:R-3", Confirm: "Approving R-3 makes an irreversible change. Are you sure?"},
				{ID: bot.ActReject, Label: "Reject", Style: bot.StyleDanger, Value: "C1:R-3"},
			}
		case "approved":
			m.Context = "✅ Approved by Marc at Mar 2, 2026 10:42 and carried out."
		case "rejected":
			m.Context = "❌ Rejected by Marc at Mar 2, 2026 10:42. Not in this quarter's budget."
		case "expired":
			m.Context = "⌛ Expired at Mar 5, 2026 18:00: the deadline passed."
		}
		return m
	}
	return map[string]bot.Message{
		"help": {Kind: bot.KindHelp, Lang: "en", Title: "What I can do", Text: "• *my subscriptions* — your licences, renewal dates and removal windows\n" +
			"• *add 2 Business Standard seats* — seats can be added at any time\n" +
			"• *remove 3 E1 seats* — only in the 72 hours after a purchase or renewal\n" +
			"• *upgrade 5 E1 to E3* — same family, higher plan, irreversible\n" +
			"• *my requests*, *withdraw R-3*, *speak French*"},
		"list": {Kind: bot.KindList, Lang: "fr", Title: "Abonnements de Contoso", Text: "• *Microsoft 365 Business Standard* — 12 licences, renouvellement auto le 14/01/2027\n" +
			"   _2 licences retirables jusqu'au 05/03/2026 10:00_\n" +
			"• *Microsoft 365 E1* — 10 licences, se termine le 30/06/2026 (renouvellement auto désactivé)"},
		"subscription": {Kind: bot.KindList, Lang: "en", Title: "Microsoft 365 Business Standard",
			Fields: []bot.Field{{Label: "Status", Value: "active"}, {Label: "Seats", Value: "12"}, {Label: "Term", Value: "Annual, billed monthly"},
				{Label: "Commitment end", Value: "Jan 14, 2027"}, {Label: "Cost", Value: "€151.20 / month"}},
			Actions: []bot.Action{
				{ID: bot.ActStart, Label: "Add seats", Value: "add_seats:S1"},
				{ID: bot.ActStart, Label: "Reduce the renewal", Value: "set_renewal_quantity:S1"},
				{ID: bot.ActStart, Label: "Turn off auto-renew", Value: "auto_renew_off:S1"},
			}},
		"preview": {Kind: bot.KindPreview, Lang: "en", Title: "Please check",
			Text:   "You're about to add 2 seats to Microsoft 365 Business Standard.\n⚠️ Changing it now deletes the renewal settings scheduled for it (renewal at 8 seats) — set them again afterwards.",
			Fields: []bot.Field{{Label: "Seats", Value: "12 → 14"}, {Label: "Monthly cost", Value: "€151.20 → €176.40"}, {Label: "Charged now (prorated)", Value: "€265.10"}, {Label: "Approval", Value: "none needed — it runs as soon as you confirm"}},
			Actions: []bot.Action{
				{ID: bot.ActConfirm, Label: "Confirm", Style: bot.StylePrimary, Value: "a1b2c3"},
				{ID: bot.ActCancel, Label: "Cancel", Value: "a1b2c3"},
			}},
		"refusal": {Kind: bot.KindRefusal, Lang: "en",
			Text: "Seats of Microsoft 365 E1 can only be removed in the 72 hours after the commitment date (Jun 30, 2026), not before. You can schedule the renewal with fewer seats now.\nWhat you can do instead:",
			Actions: []bot.Action{
				{ID: bot.ActAlt, Label: "Schedule the renewal at 7 seats", Value: "d9:0"},
				{ID: bot.ActAlt, Label: "Remind me when the window opens (Jun 30, 2026)", Value: "d9:1"},
			}},
		"approval_pending":  approval("pending"),
		"approval_approved": approval("approved"),
		"approval_rejected": approval("rejected"),
		"approval_expired":  approval("expired"),
		"request_pending": {Kind: bot.KindRequest, Lang: "en", Title: "Request R-3",
			Text: "R-3: upgrade 5 seats of Microsoft 365 E1 to Microsoft 365 E3, as a new subscription — waiting for your account manager (decision needed by Mar 5, 2026 18:00).",
			Key:  "request:R-3", RequestID: "R-3", CustomerID: "C1",
			Actions: []bot.Action{{ID: bot.ActWithdraw, Label: "Withdraw", Value: "C1:R-3"}}},
		"request_completed": {Kind: bot.KindRequest, Lang: "fr", Title: "Demande R-4",
			Text:   "✅ R-4 : fait — ajouter 2 licences à Microsoft 365 Business Standard.",
			Fields: []bot.Field{{Label: "Licences", Value: "12 → 14"}},
			Key:    "request:R-4", RequestID: "R-4", CustomerID: "C1"},
		"reminder": {Kind: bot.KindReminder, Lang: "en", Title: "Removal window open",
			Text:    "The window to remove seats of *Microsoft 365 E1* is open until _Jul 3, 2026 00:00_.",
			Context: "You asked to be reminded on Jun 12, 2026.",
			Actions: []bot.Action{{ID: bot.ActStart, Label: "Remove seats", Value: "remove_seats:S2"}}},
		"error": {Kind: bot.KindError, Lang: "en", Text: "I can't reach the licence portal right now. Nothing was changed — please try again in a few minutes."},
		// Provider- and user-supplied text trying to make links, bold
		// text, mentions and card functions; it must come out inert.
		"injection": {Kind: bot.KindApproval, Lang: "en", Title: "Approval needed: [Free pizza](https://evil.example)",
			Text: "Bob asks to add 2 seats to *Contoso [click](https://evil.example) **urgent**_* & <at>everyone</at>\n" +
				"{{DATE(2017-02-14T06:00:00Z, SHORT)}} \\*not bold\\* __strong__ snake_case_name",
			Fields: []bot.Field{
				{Label: "Subscription", Value: "[E3](https://evil.example \"title\") ![img](https://evil.example/x.png)"},
				{Label: "Justification *", Value: "<at>Marc</at> _please_ ~~no~~ `code`"},
			},
			Context: "Rejected by [Marc](https://evil.example): {{TIME(2017-02-14T06:00:00Z)}}",
			Actions: []bot.Action{{ID: bot.ActReject, Label: "[x](https://evil.example) Reject", Style: bot.StyleDanger, Value: "C1:R-9", Confirm: "**sure?** [y](https://evil.example)"}},
			Key:     "approval:R-9"},
	}
}

// goldenCase is a message and how it is rendered.
type goldenCase struct {
	m   bot.Message
	opt renderOptions
}

func goldenCases() map[string]goldenCase {
	cases := map[string]goldenCase{}
	for name, m := range goldenMessages() {
		var o renderOptions
		switch {
		case m.Kind == bot.KindApproval:
			o.userIDs = []string{"29:marc"}
		case m.Key != "":
			o.userIDs = []string{"29:alice"}
		}
		cases[name] = goldenCase{m: m, opt: o}
	}
	pending := goldenMessages()["approval_pending"]
	cases["approval_confirm"] = goldenCase{m: pending, opt: renderOptions{userIDs: []string{"29:marc"}, confirm: &pending.Actions[0]}}
	inj := goldenMessages()["injection"]
	cases["injection_confirm"] = goldenCase{m: inj, opt: renderOptions{confirm: &inj.Actions[0]}}
	return cases
}

func encodeGolden(t *testing.T, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// golden is what a golden file holds: the notification summary and the
// card.
type golden struct {
	Summary string `json:"summary"`
	Card    *card  `json:"card"`
}

func TestRenderGolden(t *testing.T) {
	for name, gc := range goldenCases() {
		t.Run(name, func(t *testing.T) {
			got := encodeGolden(t, golden{Summary: summary(gc.m), Card: render(gc.m, gc.opt)})
			path := filepath.Join("testdata", name+".golden.json")
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
}

// Nothing a message says can become a link, emphasis of its own, a
// mention or a card function.
func TestRenderEscapesInjection(t *testing.T) {
	for _, name := range []string{"injection", "injection_confirm"} {
		gc := goldenCases()[name]
		raw, err := json.Marshal(render(gc.m, gc.opt))
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		_ = json.Unmarshal(raw, &doc)
		unescapedLink := regexp.MustCompile(`(^|[^\\])\]\(`)
		// Button titles are plain text in Teams (no markdown), so they
		// are sent as written.
		var walk func(v any, key string)
		walk = func(v any, key string) {
			switch x := v.(type) {
			case map[string]any:
				typ, _ := x["type"].(string)
				for k, vv := range x {
					if k == "title" && strings.HasPrefix(typ, "Action.") {
						continue
					}
					walk(vv, k)
				}
			case []any:
				for _, vv := range x {
					walk(vv, key)
				}
			case string:
				if key != "text" && key != "value" && key != "title" {
					return
				}
				if unescapedLink.MatchString(x) {
					t.Errorf("%s: link syntax left in %q", name, x)
				}
				if strings.Contains(x, "{{") {
					t.Errorf("%s: card function left in %q", name, x)
				}
				if strings.Contains(x, "**sure?**") || strings.Contains(x, "**urgent**") || strings.Contains(x, "__strong__") {
					t.Errorf("%s: injected emphasis in %q", name, x)
				}
			}
		}
		walk(doc, "")
		if strings.Contains(string(raw), `"entities"`) || strings.Contains(string(raw), "msteams\":{\"entities") {
			t.Errorf("%s: the card declares mention entities", name)
		}
	}
}

func TestMarkdownConversion(t *testing.T) {
	for in, want := range map[string]string{
		"*bold* and _italic_":                  "**bold** and _italic_",
		"• *my subscriptions* — your licences": "• **my subscriptions** — your licences",
		"snake_case_name and 2*3*4":            `snake\_case\_name and 2\*3\*4`,
		"(*E3*), then _done_.":                 "(**E3**), then _done_.",
		"* not bold *":                         `\* not bold \*`,
		"**":                                   `\*\*`,
		"[a](b) \\":                            `\[a\](b) \\`,
		"{{DATE(x)}}":                          "{\u200b{DATE(x)}}",
		"*[x](y)*":                             `**\[x\](y)**`,
		"":                                     "",
	} {
		if got := md(in); got != want {
			t.Errorf("md(%q) = %q, want %q", in, got, want)
		}
	}
	if got := plain("*Microsoft 365 E1* until _Jul 3_"); got != "Microsoft 365 E1 until Jul 3" {
		t.Errorf("plain = %q", got)
	}
}

func TestActionData(t *testing.T) {
	c := render(goldenMessages()["approval_pending"], renderOptions{})
	if len(c.Actions) != 2 {
		t.Fatalf("%d actions", len(c.Actions))
	}
	ap, rj := c.Actions[0], c.Actions[1]
	if ap.Type != "Action.Execute" || ap.Verb != "approve" || ap.Style != "positive" ||
		ap.Data != (actionData{Action: "approve", Value: "C1:R-3", Key: "approval:R-3", Confirm: "1"}) {
		t.Fatalf("approve %+v", ap)
	}
	if rj.Verb != "reject" || rj.Style != "destructive" || rj.Data.Confirm != "" {
		t.Fatalf("reject %+v", rj)
	}
	var input *element
	for i := range c.Body {
		if c.Body[i].Type == "Input.Text" {
			input = &c.Body[i]
		}
	}
	if input == nil || input.ID != inputReason || input.MaxLength != maxReason {
		t.Fatalf("reason box %+v", input)
	}
	if c.Refresh == nil || c.Refresh.Action.Verb != verbRefresh || c.Refresh.Action.Data.Key != "approval:R-3" {
		t.Fatalf("refresh %+v", c.Refresh)
	}
	// Decided cards and cards without Reject have no reason box.
	for _, name := range []string{"approval_approved", "preview", "request_pending"} {
		for _, el := range render(goldenMessages()[name], renderOptions{}).Body {
			if el.Type == "Input.Text" {
				t.Errorf("%s has a reason box", name)
			}
		}
	}
	// A message without a Key is not refreshed.
	if render(goldenMessages()["preview"], renderOptions{}).Refresh != nil {
		t.Error("preview has a refresh")
	}
}

func TestRenderLimits(t *testing.T) {
	long := strings.Repeat("é*", 3000)
	m := bot.Message{Title: long, Text: long + "\n" + strings.Repeat("line\n", 2000), Kind: bot.KindApproval}
	for i := range 40 {
		m.Fields = append(m.Fields, bot.Field{Label: "L" + strconv.Itoa(i), Value: long})
	}
	for range 9 {
		m.Actions = append(m.Actions, bot.Action{ID: "alt", Label: long, Value: "v", Confirm: long})
	}
	m.Actions = append(m.Actions, bot.Action{ID: bot.ActReject, Label: "Reject", Value: "v"})
	c := render(m, renderOptions{})
	raw, _ := json.Marshal(c)
	if len(raw) > maxCardBytes {
		t.Fatalf("card is %d bytes", len(raw))
	}
	var sets, inputs int
	for _, el := range c.Body {
		switch el.Type {
		case "ActionSet":
			sets++
			if len(el.Actions) > maxCardActions {
				t.Errorf("%d buttons in a set", len(el.Actions))
			}
			for _, a := range el.Actions {
				if n := utf8.RuneCountInString(a.Title); n > maxButtonText {
					t.Errorf("button title %d chars", n)
				}
			}
		case "Input.Text":
			inputs++
		}
	}
	if sets != 2 || inputs != 1 || c.Actions != nil {
		t.Fatalf("action sets %d, inputs %d, card actions %d", sets, inputs, len(c.Actions))
	}
	if !strings.Contains(string(raw), phrase("", phCardTruncated)) {
		t.Fatal("shortened card does not say so")
	}
	if n := utf8.RuneCountInString(summary(m)); n > maxSummaryText {
		t.Fatalf("summary %d chars", n)
	}
}

func TestConfirmStepFrench(t *testing.T) {
	m := goldenMessages()["approval_pending"]
	m.Lang = "fr"
	m.Actions[0].Label = "Approuver"
	c := render(m, renderOptions{confirm: &m.Actions[0]})
	if len(c.Actions) != 2 || c.Actions[0].Title != "Oui, approuver" || c.Actions[1].Title != "Non" ||
		c.Actions[0].Data.Confirmed != "1" || c.Actions[0].Data.Confirm != "" || c.Actions[1].Verb != verbRefresh {
		t.Fatalf("actions %+v", c.Actions)
	}
}
