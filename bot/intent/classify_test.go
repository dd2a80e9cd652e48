package intent

import (
	"reflect"
	"runtime"
	"strings"
	"testing"
)

// ruleName is the predicate's name, for messages.
func ruleName(r rule) string {
	name := runtime.FuncForPC(reflect.ValueOf(r.when).Pointer()).Name()
	return name[strings.LastIndex(name, ".")+1:]
}

// TestEveryRuleDecides: every row of the classifier is the one that
// decides for at least one sentence. A row that never decides is dead or
// shadowed by a row above it, which is how a new row put in the wrong
// place shows up.
func TestEveryRuleDecides(t *testing.T) {
	p := NewParser(testCatalog(t))
	// Sentences for rows the main table does not reach, with the kind
	// each must keep.
	extra := []struct {
		text string
		kind Kind
	}{
		{"thanks?", KindHelp},
		{"what?", KindHelp},
		{"we don't need 2 of the E3 seats", KindRemoveSeats},
		{"what licences can we buy", KindCatalog},
		{"help zorglub", KindHelp},
		{"no idea", KindNo},
		// Usage and delegated access (usage_test.go has their table).
		{"how many E3 licences are used?", KindUsage},
		{"quels accès délégués a ERP Cloud ?", KindDelegatedAccess},
	}
	decided := make([]int, len(p.rules))
	read := func(text string) Kind {
		a := p.analyse(text)
		i := p.decidingRule(a)
		if i < 0 {
			return KindUnknown
		}
		decided[i]++
		return p.rules[i].kind
	}
	for _, c := range table {
		read(c.text)
	}
	for _, c := range extra {
		if got := read(c.text); got != c.kind {
			t.Errorf("%q: kind %q, want %q", c.text, got, c.kind)
		}
	}
	for i, n := range decided {
		if n == 0 {
			t.Errorf("rule %d (%s → %s) never decides", i, ruleName(p.rules[i]), p.rules[i].kind)
		}
	}
}

func TestRulesYieldValidKinds(t *testing.T) {
	for i, r := range classifierRules() {
		if !r.kind.Valid() || r.when == nil {
			t.Errorf("rule %d (%s): kind %q", i, ruleName(r), r.kind)
		}
	}
}
