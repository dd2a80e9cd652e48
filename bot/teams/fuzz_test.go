package teams

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// Whatever a message says, the markdown sent to Teams has every "]"
// escaped (so no link) and no "{{" (so no card function).
func FuzzMarkdown(f *testing.F) {
	for _, s := range []string{"*bold* _it_", "[a](b)", "\\](x)", "{{DATE(x)}}", "**", "_a_b_", "*[x](y)*", "\\\\]("} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		out := md(s)
		if strings.Contains(out, "{{") {
			t.Fatalf("md(%q) = %q keeps {{", s, out)
		}
		for i := 0; i < len(out); i++ {
			if out[i] != ']' {
				continue
			}
			n := 0
			for j := i - 1; j >= 0 && out[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				t.Fatalf("md(%q) = %q has an unescaped ]", s, out)
			}
		}
		if !utf8.ValidString(out) {
			t.Fatalf("md(%q) is not UTF-8", s)
		}
	})
}

// Decoding what a press or a message carries never panics.
func FuzzInboundDecoders(f *testing.F) {
	f.Add([]byte(`{"action":{"type":"Action.Execute","verb":"approve","data":{"action":"approve","value":"C1:R-3","reason":7}}}`), "<at>bot</at> hi")
	f.Add([]byte(`{"action":{"data":[1,2]}}`), "<p>a&amp;b</p>")
	f.Fuzz(func(t *testing.T, value []byte, text string) {
		var v invokeValue
		if json.Unmarshal(value, &v) == nil {
			_ = parseActionData(v.Action.Data)
		}
		act := &Activity{Text: text, Recipient: &ChannelAccount{ID: botMRI},
			Entities: []Entity{{Type: "mention", Text: text, Mentioned: &ChannelAccount{ID: botMRI}}}}
		_ = cleanText(act)
	})
}
