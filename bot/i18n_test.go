package bot

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/licensebot/licensebot/rules"
)

func mustTranslator(t *testing.T) *Translator {
	t.Helper()
	tr, err := NewTranslator()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// Every message exists in every language: a sentence missing in French
// would show its id to a French speaker.
func TestCatalogsHaveTheSameMessages(t *testing.T) {
	keys := map[string]map[string]bool{}
	for _, l := range Languages {
		keys[l] = map[string]bool{}
		files, _ := filepath.Glob("locales/*" + l + ".yaml")
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := yaml.Unmarshal(data, &m); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for k := range m {
				keys[l][k] = true
			}
		}
	}
	for _, a := range Languages {
		for _, b := range Languages {
			for k := range keys[a] {
				if !keys[b][k] {
					t.Errorf("%q is in %s.yaml but not in %s.yaml", k, a, b)
				}
			}
		}
	}
}

// Every code the rules can produce has a sentence in every language.
func TestEveryRulesCodeIsTranslated(t *testing.T) {
	tr := mustTranslator(t)
	for _, l := range Languages {
		for _, c := range rules.AllCodes() {
			ok := false
			for _, prefix := range []string{"reason.", "warning.", "alt."} {
				if tr.Has(l, prefix+string(c)) {
					ok = true
				}
			}
			if !ok {
				t.Errorf("%s: no reason./warning./alt. message for rules code %q", l, c)
			}
		}
	}
}
