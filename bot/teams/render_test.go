package teams

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensebot/licensebot/bot/channel"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/internal/chantest"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// goldenMessages are the shared sample messages (bot/internal/chantest)
// plus an injection case for this platform's markup.
func goldenMessages() map[string]bot.Message {
	m := chantest.Messages()
	for k, v := range map[string]bot.Message{
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
	} {
		m[k] = v
	}
	return m
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
			got := encodeGolden(t, golden{Summary: summary(gc.m), Card: testRender(gc.m, gc.opt)})
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
		raw, err := json.Marshal(testRender(gc.m, gc.opt))
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
	c := testRender(goldenMessages()["approval_pending"], renderOptions{})
	if len(c.Actions) != 2 {
		t.Fatalf("%d actions", len(c.Actions))
	}
	ap, rj := c.Actions[0], c.Actions[1]
	if ap.Type != "Action.Execute" || ap.Verb != "approve" || ap.Style != "positive" ||
		ap.Data != (actionData{Action: "approve", Value: "C1:R-3", Key: "approval:R-3", Confirm: "1"}) {
		t.Fatalf("approve %+v", ap)
	}
	if ap.Fallback == nil || ap.Fallback.Type != "Action.Submit" || ap.Fallback.Data != ap.Data {
		t.Fatalf("approve fallback %+v", ap.Fallback)
	}
	// [Reject] opens the reason box with its own [Reject]: the box is not
	// in the card's body, above [Approve].
	if rj.Type != "Action.ShowCard" || rj.Style != "destructive" || rj.Card == nil ||
		len(rj.Card.Body) != 1 || rj.Card.Body[0].Type != "Input.Text" || rj.Card.Body[0].ID != inputReason ||
		rj.Card.Body[0].MaxLength != maxReason || len(rj.Card.Actions) != 1 {
		t.Fatalf("reject %+v", rj)
	}
	if send := rj.Card.Actions[0]; send.Type != "Action.Execute" || send.Verb != "reject" || send.Data.Confirm != "" || send.Fallback == nil {
		t.Fatalf("reject's send %+v", send)
	}
	for _, el := range c.Body {
		if el.Type == "Input.Text" {
			t.Fatal("a reason box in the body")
		}
	}
	if c.Refresh == nil || c.Refresh.Action.Verb != verbRefresh || c.Refresh.Action.Data.Key != "approval:R-3" {
		t.Fatalf("refresh %+v", c.Refresh)
	}
	// A message without a Key is not refreshed.
	if testRender(goldenMessages()["preview"], renderOptions{}).Refresh != nil {
		t.Error("preview has a refresh")
	}
}

// Teams refreshes a card automatically for at most 60 users; a longer
// list is cut, never sent.
func TestRefreshUserIDsAtMost60(t *testing.T) {
	var ids []string
	for i := range 100 {
		ids = append(ids, "29:user"+strconv.Itoa(i))
	}
	for _, n := range []int{1, 60, 61, 100} {
		c := testRender(goldenMessages()["approval_pending"], renderOptions{userIDs: ids[:n]})
		want := min(n, 60)
		if got := len(c.Refresh.UserIDs); got != want || c.Refresh.UserIDs[0] != "29:user0" {
			t.Errorf("%d users: refresh lists %d, want %d", n, got, want)
		}
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
	m.Actions = append(m.Actions, bot.Action{ID: bot.ActReject, Label: "Reject", Value: "v", Reason: true})
	c := testRender(m, renderOptions{})
	raw, _ := json.Marshal(c)
	if len(raw) > maxCardBytes {
		t.Fatalf("card is %d bytes", len(raw))
	}
	if len(c.Actions) > bot.MaxRowButtons {
		t.Fatalf("%d buttons in the action bar", len(c.Actions))
	}
	more := c.Actions[len(c.Actions)-1]
	if more.Type != "Action.ShowCard" || more.Card == nil {
		t.Fatalf("no More… %+v", more)
	}
	var buttons int
	walkActions(c, func(a cardAction) {
		if n := utf8.RuneCountInString(a.Title); n > maxButtonText {
			t.Errorf("button title %d chars", n)
		}
		if a.Type == "Action.Execute" {
			buttons++
		}
	})
	if buttons != 10 {
		t.Fatalf("%d buttons, want the 10 actions", buttons)
	}
	if !strings.Contains(string(raw), testWords.Say("en", channel.CardTruncated)) {
		t.Fatal("shortened card does not say so")
	}
	if n := utf8.RuneCountInString(summary(m)); n > maxSummaryText {
		t.Fatalf("summary %d chars", n)
	}
}

// walkActions calls f on every action of c: the bar, the action sets of
// the body, and the cards Action.ShowCard opens.
func walkActions(c *card, f func(cardAction)) {
	var onAction func(a cardAction)
	var onElements func(els []element)
	onAction = func(a cardAction) {
		f(a)
		if a.Card != nil {
			onElements(a.Card.Body)
			for _, b := range a.Card.Actions {
				onAction(b)
			}
		}
	}
	onElements = func(els []element) {
		for _, el := range els {
			for _, a := range el.Actions {
				onAction(a)
			}
			onElements(el.Items)
		}
	}
	onElements(c.Body)
	for _, a := range c.Actions {
		onAction(a)
	}
}

func TestConfirmStepFrench(t *testing.T) {
	m := goldenMessages()["approval_pending"]
	m.Lang = "fr"
	m.Actions[0].Label = "Approuver"
	c := testRender(m, renderOptions{confirm: &m.Actions[0]})
	if len(c.Actions) != 2 || c.Actions[0].Title != "Oui, approuver" || c.Actions[1].Title != "Non" ||
		c.Actions[0].Data.Confirmed != "1" || c.Actions[0].Data.Confirm != "" || c.Actions[1].Verb != verbRefresh {
		t.Fatalf("actions %+v", c.Actions)
	}
}

// testWords are the adapter's sentences from the embedded catalogs.
var testWords = func() channel.Words {
	tr, err := bot.NewTranslator()
	if err != nil {
		panic(err)
	}
	return channel.NewWords(tr)
}()

// testRender renders as the adapter does, with the catalogs' words.
func testRender(m bot.Message, o renderOptions) *card {
	o.words = testWords
	return render(m, o)
}

// Lines people type ("- item", "# Title", "1. first", "> quote") stay
// text in a card: never a list, heading or quote.
func TestTypedBlocksStayText(t *testing.T) {
	typed := "- item\n# Title\n1. first\n> quote\n+ plus"
	m := bot.Message{Kind: bot.KindApproval, Lang: "en", Text: "Approval needed\n- not a list",
		Fields: []bot.Field{{Label: "Justification", Value: typed}}}
	c := testRender(m, renderOptions{})
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var facts []string
	var blocks []string
	for _, el := range c.Body {
		for _, f := range el.Facts {
			facts = append(facts, f.Value)
		}
		if el.Type == "TextBlock" {
			blocks = append(blocks, el.Text)
		}
	}
	want := `\- item` + "\n" + `\# Title` + "\n" + `1\. first` + "\n" + `\> quote` + "\n" + `\+ plus`
	if len(facts) != 1 || facts[0] != want {
		t.Fatalf("facts %q, want %q\n%s", facts, want, raw)
	}
	if !slices.Contains(blocks, `\- not a list`) {
		t.Fatalf("text blocks %q", blocks)
	}
	// Our own bullets and sentences are left alone.
	if got := md("• 12 seats - 2 removable"); got != "• 12 seats - 2 removable" {
		t.Fatalf("md changed our bullet: %q", got)
	}
}
