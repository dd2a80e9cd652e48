package bot_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/licensebot/licensebot/bot"
)

// Counted words agree with their number: "at 1 seat", "1 licence", and
// French's own form for a million.
func TestPluralsAgreeWithTheirNumber(t *testing.T) {
	tr, err := bot.NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		lang, id string
		n        int
		want     string
	}{
		{"en", "alt.schedule_renewal", 1, "Renew at 1 seat"},
		{"en", "alt.schedule_renewal", 3, "Renew at 3 seats"},
		{"fr", "already_has", 1, "E3 a déjà 1 licence : rien à changer."},
		{"fr", "already_has", 2, "E3 a déjà 2 licences : rien à changer."},
		{"fr", "already_has", 1000000, "E3 a déjà 1000000 de licences : rien à changer."},
	} {
		if got := tr.T(c.lang, c.id, map[string]any{"Quantity": c.n, "Count": c.n, "Name": "E3"}); got != c.want {
			t.Errorf("%s %s %d: %q, want %q", c.lang, c.id, c.n, got, c.want)
		}
	}
	// A message without plural forms is not disturbed by a Quantity.
	if got := tr.T("en", "ask.quantity.add_seats", map[string]any{"Quantity": 1, "Name": "E3"}); !strings.Contains(got, "(it has 1)") {
		t.Errorf("plain message with a quantity: %q", got)
	}
}

// Every message with plural forms has English's one/other and French's
// one/many/other.
func TestPluralFormsComplete(t *testing.T) {
	files, err := filepath.Glob("locales/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no locales: %v", err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var msgs map[string]any
		if err := yaml.Unmarshal(data, &msgs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		want := []string{"one", "other"}
		if strings.HasSuffix(f, "fr.yaml") {
			want = []string{"one", "many", "other"}
		}
		for id, v := range msgs {
			forms, ok := v.(map[string]any)
			if !ok {
				continue
			}
			for _, w := range want {
				if _, ok := forms[w]; !ok {
					t.Errorf("%s: %s has no %q form", f, id, w)
				}
			}
		}
	}
}
