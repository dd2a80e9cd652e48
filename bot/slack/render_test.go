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
	"github.com/licensebot/licensebot/bot/internal/chantest"
	slackapi "github.com/slack-go/slack"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenMessages are the shared sample messages (bot/internal/chantest)
// plus an injection case for this platform's markup.
func goldenMessages() map[string]bot.Message {
	m := chantest.Messages()
	for k, v := range map[string]bot.Message{
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
	} {
		m[k] = v
	}
	return m
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
			if err := enc.Encode(golden{Text: FallbackText(m), Blocks: Render(testWords, m)}); err != nil {
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
			if err := json.Unmarshal(mustJSON(t, Render(testWords, m)), &back); err != nil {
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
	raw := string(mustJSON(t, golden{Text: FallbackText(m), Blocks: Render(testWords, m)}))
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
	blocks := Render(testWords, m)
	// A refusal's alternatives are one per row: gather every row's.
	var els []slackapi.BlockElement
	for _, b := range blocks {
		if ab, ok := b.(*slackapi.ActionBlock); ok {
			els = append(els, ab.Elements.ElementSet...)
		}
	}
	if len(els) != len(m.Actions) {
		t.Fatalf("%d buttons for %d actions", len(els), len(m.Actions))
	}
	seen := map[string]bool{}
	for i, el := range els {
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
	blocks := Render(testWords, m)
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
			if n := len(x.Elements.ElementSet); n > bot.MaxRowButtons {
				t.Errorf("%d buttons in a row", n)
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
	// 30 actions that ask "are you sure?": none can go in a menu, so
	// they are buttons, three a row.
	if sections < 2 || fieldSections != 3 || actions != 10 {
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
	blocks := Render(testWords, m)
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
	v := RenderHome(testWords, "en", msgs)
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
	v, err := rejectModal(testWords, "en", "R-3", modalMeta{Value: "C1:R-3", Channel: "D1"})
	if err != nil {
		t.Fatal(err)
	}
	if v.CallbackID != rejectCallbackID || v.Title.Text != "Reject request" || !strings.Contains(v.PrivateMetadata, "C1:R-3") {
		t.Fatalf("%+v", v)
	}
	if _, err := rejectModal(testWords, "en", "R-3", modalMeta{Value: strings.Repeat("x", 4000)}); err == nil {
		t.Fatal("oversized metadata accepted")
	}
}

// What people type and others see (a justification, a rejection reason)
// keeps its marks: never bold, struck through or a mention.
func TestTypedTextStaysPlain(t *testing.T) {
	typed := "*URGENT* ~struck~ <!channel> `code` _it_"
	m := bot.Message{Kind: bot.KindApproval, Lang: "en", Text: "Approval needed",
		Fields:  []bot.Field{{Label: "Justification", Value: typed}, {Label: "Customer", Value: "Contoso"}},
		Context: "Rejected by Marc: " + typed}
	var found int
	for _, b := range Render(testWords, m) {
		raw := string(mustJSON(t, b))
		var objs []slackapi.TextBlockObject
		switch v := b.(type) {
		case *slackapi.SectionBlock:
			objs = append(objs, fieldsOf(v)...)
		case *slackapi.ContextBlock:
			for _, el := range v.ContextElements.Elements {
				if o, ok := el.(*slackapi.TextBlockObject); ok {
					objs = append(objs, *o)
				}
			}
		}
		for _, o := range objs {
			if !strings.Contains(o.Text, "URGENT") {
				continue
			}
			found++
			if o.Type != slackapi.PlainTextType || !strings.Contains(o.Text, typed) {
				t.Errorf("typed text rendered as %s %q in %s", o.Type, o.Text, raw)
			}
		}
	}
	if found != 2 {
		t.Fatalf("typed text found in %d objects, want the field and the context", found)
	}
	// A value without marks keeps the usual bold label.
	if f := fieldObject(bot.Field{Label: "Customer", Value: "Contoso"}); f.Type != slackapi.MarkdownType || f.Text != "*Customer*\nContoso" {
		t.Fatalf("plain field rendered %+v", f)
	}
}

func fieldsOf(s *slackapi.SectionBlock) []slackapi.TextBlockObject {
	var out []slackapi.TextBlockObject
	for _, f := range s.Fields {
		out = append(out, *f)
	}
	return out
}
