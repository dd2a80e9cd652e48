package intent

import (
	"reflect"
	"regexp"
	"testing"
	"unicode/utf8"
)

var requestIDShape = regexp.MustCompile(`^R-[0-9]+$`)

// FuzzParse checks that Parse never panics and that its result keeps its
// invariants, whatever the input: go test -fuzz=FuzzParse ./bot/intent/
func FuzzParse(f *testing.F) {
	for _, c := range table {
		f.Add(c.text)
	}
	for _, s := range []string{
		"<!channel> add *2* E3", "<script>alert(1)</script>", "add\x00 2\x07 E3",
		"99999999999999999999", "-99999999999999999999", "add -0 seats", "1.000.000.000.000.000",
		"2025-06-30", "1/2/3/4/5/6/7/8/9/10", "R-99999999999999999999", "#-3", "req-", "r-",
		"E 3 F 1 P 2", "dix-sept vingt et un twenty-one", "a a a a une une un",
		"à à a a", "de E1 a E3 a E5 -> F1 → F3", "\xff\xfe\xfd", "é\u0301\u0301\u0301",
		"ﬁ ½ ² ³ ㎏", "ｅ３", "\u202e3E dda", "x99999999", "x", "+", "-", "+-+-3",
		"bussiness standrad exchnage plan 1", "business", "exchange en ligne plan 1",
		"Exchange Online (Plan 2", "))((", "n", "y", "o",
	} {
		f.Add(s)
	}
	p := NewParser(testCatalog(f))
	ids := map[string]bool{}
	for _, o := range testOffers() {
		ids[o.ID] = true
	}
	f.Fuzz(func(t *testing.T, text string) {
		in := p.Parse(text)
		if !in.Kind.Valid() {
			t.Fatalf("invalid kind %q", in.Kind)
		}
		if in.Quantity < 0 || in.Quantity > MaxQuantity {
			t.Fatalf("quantity %d out of range", in.Quantity)
		}
		switch in.QuantityError {
		case "":
		case QuantityNegative, QuantityTooLarge, QuantityZero, QuantityNotANumber:
			if in.Quantity != 0 || !in.HasQuantity {
				t.Fatalf("error %q with quantity %d/%v", in.QuantityError, in.Quantity, in.HasQuantity)
			}
		default:
			t.Fatalf("unknown quantity error %q", in.QuantityError)
		}
		if !in.HasQuantity && (in.Quantity != 0 || in.QuantityError != "") {
			t.Fatalf("no quantity but %d %q", in.Quantity, in.QuantityError)
		}
		if in.HasQuantity && in.QuantityError == "" && in.Quantity == 0 {
			t.Fatal("quantity 0 without an error")
		}
		if in.Lang != "" && in.Lang != "en" && in.Lang != "fr" {
			t.Fatalf("lang %q", in.Lang)
		}
		if (in.Kind == KindLanguage) != (in.Language != "") || (in.Language != "" && in.Language != "en" && in.Language != "fr") {
			t.Fatalf("kind %q with language %q", in.Kind, in.Language)
		}
		if in.RequestID != "" && !requestIDShape.MatchString(in.RequestID) {
			t.Fatalf("request id %q", in.RequestID)
		}
		if in.Delta != 0 && (in.Kind != KindSetRenewalQuantity || in.HasQuantity) {
			t.Fatalf("delta %d on %q (has quantity %v)", in.Delta, in.Kind, in.HasQuantity)
		}
		if in.Total != 0 && ((in.Kind != KindAddSeats && in.Kind != KindRemoveSeats) || in.HasQuantity || in.Total < 0 || in.Total > MaxQuantity) {
			t.Fatalf("total %d on %q (has quantity %v)", in.Total, in.Kind, in.HasQuantity)
		}
		if in.Delta < -MaxQuantity || in.Delta > MaxQuantity {
			t.Fatalf("delta %d", in.Delta)
		}
		if len(in.Offers) > maxOffers {
			t.Fatalf("%d offers", len(in.Offers))
		}
		for _, o := range in.Offers {
			if len(o.Candidates) == 0 {
				t.Fatal("offer without candidates")
			}
			seen := map[string]bool{}
			for _, c := range o.Candidates {
				if !ids[c] || seen[c] {
					t.Fatalf("bad or repeated candidate %q in %v", c, o.Candidates)
				}
				seen[c] = true
			}
			if !utf8.ValidString(o.Text) {
				t.Fatalf("offer text %q is not valid UTF-8", o.Text)
			}
		}
		if in.Truncated != (utf8.RuneCountInString(text) > MaxRunes) {
			t.Fatalf("truncated %v for %d runes", in.Truncated, utf8.RuneCountInString(text))
		}
		if again := p.Parse(text); !reflect.DeepEqual(in, again) {
			t.Fatalf("not deterministic:\n%+v\n%+v", in, again)
		}
		ref := p.MatchOffer(text)
		for _, c := range ref.Candidates {
			if !ids[c] {
				t.Fatalf("MatchOffer candidate %q", c)
			}
		}
	})
}
