package slack

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/cards/cardsamples"
	slackapi "github.com/slack-go/slack"
)

func samples(t *testing.T) []cardsamples.Sample {
	t.Helper()
	all, err := cardsamples.All()
	if err != nil {
		t.Fatal(err)
	}
	return all
}

func encodeMessage(t *testing.T, m bot.Message) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(golden{Text: FallbackText(m), Blocks: Render(testWords, m)}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every sample of the shared catalog (bot/cards/cardsamples), in
// English and French, as the message Slack receives: its fallback text
// and its blocks. Slack's confirmation dialogs are part of the buttons
// (the "confirm" objects of preview_upgrade and approval_pending).
func TestCardGoldens(t *testing.T) {
	dir := filepath.Join("testdata", "cards")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, s := range samples(t) {
		seen[s.File()] = true
		t.Run(s.File(), func(t *testing.T) {
			got := encodeMessage(t, s.Message)
			path := filepath.Join(dir, s.File())
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
			var back slackapi.Blocks
			if err := json.Unmarshal(mustJSON(t, Render(testWords, s.Message)), &back); err != nil {
				t.Fatalf("blocks do not round-trip: %v", err)
			}
		})
	}
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

// On a phone no actions block wraps into cut labels: at most three
// elements a row (buttons and the overflow menu), short labels, menu
// options within Block Kit's limits, and a menu option for every action
// not shown as a button.
func TestCardActionsFitAPhone(t *testing.T) {
	for _, s := range samples(t) {
		m := s.Message
		blocks := Render(testWords, m)
		if len(blocks) > maxMessageBlocks {
			t.Errorf("%s: %d blocks", s.File(), len(blocks))
		}
		limit := bot.MaxButtonLabel
		if m.Stacked() {
			limit = bot.MaxChoiceLabel
		}
		shown := 0
		for _, b := range blocks {
			switch x := b.(type) {
			case *slackapi.HeaderBlock:
				if n := utf8.RuneCountInString(x.Text.Text); n > maxHeaderText {
					t.Errorf("%s: header %d chars", s.File(), n)
				}
			case *slackapi.ActionBlock:
				if n := len(x.Elements.ElementSet); n > bot.MaxRowButtons {
					t.Errorf("%s: %d elements in a row", s.File(), n)
				}
				for _, el := range x.Elements.ElementSet {
					switch e := el.(type) {
					case *slackapi.ButtonBlockElement:
						shown++
						if n := utf8.RuneCountInString(e.Text.Text); n > limit {
							t.Errorf("%s: button %q is %d characters, over %d", s.File(), e.Text.Text, n, limit)
						}
					case *slackapi.OverflowBlockElement:
						if n := len(e.Options); n < 2 || n > maxOverflowOptions {
							t.Errorf("%s: overflow of %d options", s.File(), n)
						}
						for _, o := range e.Options {
							shown++
							if utf8.RuneCountInString(o.Text.Text) > maxOptionText || utf8.RuneCountInString(o.Value) > maxOptionValue {
								t.Errorf("%s: option %q = %q over the limits", s.File(), o.Text.Text, o.Value)
							}
						}
					}
				}
			}
		}
		if shown != len(m.Actions) {
			t.Errorf("%s: %d of %d actions shown", s.File(), shown, len(m.Actions))
		}
	}
}

// An option of the "More…" menu presses the action it stands for.
func TestOverflowOptionPresses(t *testing.T) {
	s, err := cardsamples.Get("subscription", "en")
	if err != nil {
		t.Fatal(err)
	}
	blocks := Render(testWords, s.Message)
	ab := blocks[len(blocks)-1].(*slackapi.ActionBlock)
	menu, ok := ab.Elements.ElementSet[len(ab.Elements.ElementSet)-1].(*slackapi.OverflowBlockElement)
	if !ok {
		t.Fatalf("no overflow menu: %s", mustJSON(t, ab))
	}
	opt := menu.Options[len(menu.Options)-1]
	press, label := blockPress(&slackapi.BlockAction{ActionID: menu.ActionID, SelectedOption: *opt})
	want := s.Message.Actions[len(s.Message.Actions)-1]
	if press.ID != want.ID || press.Value != want.Value || label != want.Label {
		t.Fatalf("option pressed %+v %q, want %+v", press, label, want)
	}
	// A button still presses as before.
	btn := ab.Elements.ElementSet[0].(*slackapi.ButtonBlockElement)
	press, _ = blockPress(&slackapi.BlockAction{ActionID: btn.ActionID, Value: btn.Value, Text: *btn.Text})
	if press.ID != s.Message.Actions[0].ID || press.Value != s.Message.Actions[0].Value {
		t.Fatalf("button pressed %+v", press)
	}
}

// The status line comes right under the title, with its colour.
func TestStatusLineUnderTheTitle(t *testing.T) {
	for name, want := range map[string]string{"approval_rejected": "❌ Rejected by Marc Dubois", "approval_pending": "⏳ Waiting for your decision", "approval_withdrawn": "⚪ Withdrawn"} {
		s, err := cardsamples.Get(name, "en")
		if err != nil {
			t.Fatal(err)
		}
		blocks := Render(testWords, s.Message)
		sec, ok := blocks[1].(*slackapi.SectionBlock)
		if !ok || !strings.Contains(sec.Text.Text, want) {
			t.Errorf("%s: second block %s", name, mustJSON(t, blocks[1]))
		}
	}
}
