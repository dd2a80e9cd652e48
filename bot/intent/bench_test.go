package intent

import (
	"strings"
	"testing"
)

var benchSentences = []string{
	"add 2 Business Standard seats",
	"ajoute 2 licences E3",
	"reduce the renewal of Apps for business to 3",
	"upgrade all E1 to E3 into the existing line",
	"migrer toutes les licences E1 vers E3 dans la ligne existante",
	"bussiness standrad",
	"turn off auto-renew on the trial",
	"yes",
}

// BenchmarkParse measures one Parse of a normal sentence, cycling through
// typical messages (exact, French, fuzzy, short).
func BenchmarkParse(b *testing.B) {
	p := NewParser(testCatalog(b))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = p.Parse(benchSentences[i%len(benchSentences)])
		i++
	}
}

// BenchmarkParseHostile measures the worst case the truncation allows:
// 100 KB of unknown, typo-like words.
func BenchmarkParseHostile(b *testing.B) {
	p := NewParser(testCatalog(b))
	text := strings.Repeat("bussines exchnage standrad premum ", 3000)
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Parse(text)
	}
}

func BenchmarkNewParser(b *testing.B) {
	cat := testCatalog(b)
	b.ReportAllocs()
	for b.Loop() {
		_ = NewParser(cat)
	}
}
