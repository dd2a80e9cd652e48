package slack

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensebot/licensebot/bot"
	slackapi "github.com/slack-go/slack"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenMessages are messages as the engine writes them, one per kind and
// state the renderer must lay out.
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
		// Provider- and user-supplied text trying to notify everyone, link
		// out and mention people; it must come out inert.
		"injection": {Kind: bot.KindApproval, Lang: "en", Title: "Approval needed: <!channel>",
			Text: "Bob asks to add 2 seats to *<!channel> Free Pizza <https://evil.example|click>* & more.",
			Fields: []bot.Field{
				{Label: "Subscription", Value: "<!here> <@U024BE7LH> <#C123|general>"},
				{Label: "Justification <b>", Value: "&lt;!channel&gt; already escaped? & <!subteam^S1>"},
			},
			Context: "Rejected by <!everyone>: <https://evil.example>",
			Actions: []bot.Action{{ID: bot.ActReject, Label: "<!channel> Reject", Style: bot.StyleDanger, Value: "C1:R-9", Confirm: "<!channel> sure?"}},
			Key:     "approval:R-9"},
	}
}

// golden is what a golden file holds: the message's fallback text and
// its blocks.
type golden struct {
	Text   string           `json:"text"`
	Blocks []slackapi.Block `json:"blocks"`
}

func TestRenderGolden(t *testing.T) {
	for name, m := range goldenMessages() {
		t.Run(name, func(t *testing.T) {
			// Without HTML escaping, so "&lt;" reads as what Slack gets.
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(golden{Text: FallbackText(m), Blocks: Render(m)}); err != nil {
				t.Fatal(err)
			}
			got := buf.Bytes()
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
			// What Slack receives must decode back into blocks.
			var back slackapi.Blocks
			if err := json.Unmarshal(mustJSON(t, Render(m)), &back); err != nil {
				t.Fatalf("blocks do not round-trip: %v", err)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// No mrkdwn text may carry Slack's control sequences: every "<" the
// message had must arrive as "&lt;".
func TestRenderEscapesEverything(t *testing.T) {
	m := goldenMessages()["injection"]
	raw := string(mustJSON(t, golden{Text: FallbackText(m), Blocks: Render(m)}))
	var walk func(v any, inMrkdwn bool)
	var doc any
	_ = json.Unmarshal([]byte(raw), &doc)
	walk = func(v any, mrk bool) {
		switch x := v.(type) {
		case map[string]any:
			isMrk := x["type"] == "mrkdwn"
			if isMrk {
				if x["verbatim"] != true {
					t.Errorf("mrkdwn object not verbatim: %v", x)
				}
				s := x["text"].(string)
				if strings.ContainsAny(s, "<>") {
					t.Errorf("unescaped markup in mrkdwn: %q", s)
				}
				if strings.Contains(strings.ReplaceAll(s, "&amp;", ""), "&") && !strings.Contains(s, "&lt;") && !strings.Contains(s, "&gt;") {
					t.Errorf("bare & in mrkdwn: %q", s)
				}
			}
			for _, vv := range x {
				walk(vv, isMrk)
			}
		case []any:
			for _, vv := range x {
				walk(vv, mrk)
			}
		}
	}
	walk(doc, false)
	if ft := FallbackText(m); strings.ContainsAny(ft, "<>") {
		t.Errorf("fallback text not escaped: %q", ft)
	}
}

func TestActionIDsDistinctAndReversible(t *testing.T) {
	m := goldenMessages()["refusal"]
	blocks := Render(m)
	ab := blocks[len(blocks)-1].(*slackapi.ActionBlock)
	seen := map[string]bool{}
	for i, el := range ab.Elements.ElementSet {
		b := el.(*slackapi.ButtonBlockElement)
		if seen[b.ActionID] {
			t.Fatalf("duplicate action_id %q", b.ActionID)
		}
		seen[b.ActionID] = true
		if pressID(b.ActionID) != m.Actions[i].ID || b.Value != m.Actions[i].Value {
			t.Fatalf("button %d: %s=%s", i, b.ActionID, b.Value)
		}
	}
	for in, want := range map[string]string{"confirm/0": "confirm", "alt/12": "alt", "plain": "plain", "a/b": "a/b", "x/1/2": "x/1"} {
		if got := pressID(in); got != want {
			t.Errorf("pressID(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRenderLimits(t *testing.T) {
	long := strings.Repeat("é<", 4000)
	m := bot.Message{Title: long, Text: long + "\n" + strings.Repeat("line\n", 2000)}
	for i := range 23 {
		m.Fields = append(m.Fields, bot.Field{Label: "L" + strconv.Itoa(i), Value: long})
	}
	for range 30 {
		m.Actions = append(m.Actions, bot.Action{ID: "alt", Label: long, Value: "v", Confirm: long})
	}
	blocks := Render(m)
	if len(blocks) > maxMessageBlocks {
		t.Fatalf("%d blocks", len(blocks))
	}
	var sections, fieldSections, actions int
	for _, b := range blocks {
		switch x := b.(type) {
		case *slackapi.HeaderBlock:
			if n := utf8.RuneCountInString(x.Text.Text); n > maxHeaderText {
				t.Errorf("header %d chars", n)
			}
		case *slackapi.SectionBlock:
			if x.Text != nil {
				sections++
				if n := utf8.RuneCountInString(x.Text.Text); n > maxSectionText {
					t.Errorf("section %d chars", n)
				}
				if strings.HasSuffix(x.Text.Text, "&") || strings.Contains(x.Text.Text, "&l…") {
					t.Errorf("entity cut: %q", x.Text.Text[len(x.Text.Text)-10:])
				}
			}
			if len(x.Fields) > 0 {
				fieldSections++
				if len(x.Fields) > maxFieldsPerBlock {
					t.Errorf("%d fields in a section", len(x.Fields))
				}
				for _, f := range x.Fields {
					if n := utf8.RuneCountInString(f.Text); n > maxFieldText {
						t.Errorf("field %d chars", n)
					}
				}
			}
		case *slackapi.ActionBlock:
			actions++
			if n := len(x.Elements.ElementSet); n > maxButtonsPerBlock {
				t.Errorf("%d buttons", n)
			}
			for _, el := range x.Elements.ElementSet {
				btn := el.(*slackapi.ButtonBlockElement)
				if n := utf8.RuneCountInString(btn.Text.Text); n > maxButtonText {
					t.Errorf("button text %d chars", n)
				}
				if n := utf8.RuneCountInString(btn.Confirm.Text.Text); n > maxConfirmText {
					t.Errorf("confirm text %d chars", n)
				}
			}
		}
	}
	if sections < 2 || fieldSections != 3 || actions != 2 {
		t.Fatalf("sections %d, field sections %d, action blocks %d", sections, fieldSections, actions)
	}
	if n := utf8.RuneCountInString(FallbackText(m)); n > maxFallbackText {
		t.Fatalf("fallback %d chars", n)
	}
}

func TestRenderKeepsButtonsWhenTooLong(t *testing.T) {
	m := bot.Message{Actions: []bot.Action{{ID: "confirm", Label: "Confirm", Value: "x"}}}
	for i := range 600 {
		m.Fields = append(m.Fields, bot.Field{Label: "F" + strconv.Itoa(i), Value: "v"})
	}
	blocks := Render(m)
	if len(blocks) != maxMessageBlocks {
		t.Fatalf("%d blocks", len(blocks))
	}
	if _, ok := blocks[len(blocks)-1].(*slackapi.ActionBlock); !ok {
		t.Fatal("buttons dropped")
	}
}

func TestRenderHomeLimit(t *testing.T) {
	var msgs []bot.Message
	for i := range 60 {
		msgs = append(msgs, bot.Message{Title: "Sub " + strconv.Itoa(i), Text: "x"})
	}
	v := RenderHome("en", msgs)
	if n := len(v.Blocks.BlockSet); n > maxHomeBlocks {
		t.Fatalf("%d blocks", n)
	}
	last := v.Blocks.BlockSet[len(v.Blocks.BlockSet)-1].(*slackapi.ContextBlock)
	if !strings.Contains(mustString(t, last), "my subscriptions") {
		t.Fatalf("no pointer to the rest: %s", mustString(t, last))
	}
}

func mustString(t *testing.T, v any) string { return string(mustJSON(t, v)) }

func TestPlainText(t *testing.T) {
	for in, want := range map[string]string{
		"<@U0BOT> add 2 seats":                        "add 2 seats",
		"<@U0BOT|licensebot>   my   subscriptions":    "my subscriptions",
		"see <https://example.com|the docs> &amp; go": "see the docs & go",
		"<mailto:a@b.example> 3 &lt; 4 &gt; 2":        "mailto:a@b.example 3 < 4 > 2",
		"in <#C1|general> <!here>":                    "in general",
		"line one\n  line two ":                       "line one\nline two",
	} {
		if got := plainText(in); got != want {
			t.Errorf("plainText(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRejectModal(t *testing.T) {
	v, err := rejectModal("en", "R-3", modalMeta{Value: "C1:R-3", Channel: "D1"})
	if err != nil {
		t.Fatal(err)
	}
	if v.CallbackID != rejectCallbackID || v.Title.Text != "Reject request" || !strings.Contains(v.PrivateMetadata, "C1:R-3") {
		t.Fatalf("%+v", v)
	}
	if _, err := rejectModal("en", "R-3", modalMeta{Value: strings.Repeat("x", 4000)}); err == nil {
		t.Fatal("oversized metadata accepted")
	}
}
