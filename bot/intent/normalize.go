package intent

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxRunes is how much of a message is analysed: the first MaxRunes runes
// (code points) of the input. Nobody asks for a licence change in more
// than a couple of sentences, and a bound keeps the cost of one Parse
// constant whatever a hostile or pasted message weighs (100 KB costs the
// same as 2 KB). Intent.Truncated says when the rest was ignored.
const MaxRunes = 2000

// maxTokens bounds the words looked at after normalization, for the same
// reason: the matchers are linear in it.
const maxTokens = 400

// nrune is one rune of the normalized text with where it came from.
type nrune struct {
	r     rune
	b     int32 // byte offset in the normalized string
	off   int32 // byte offset of the source rune in the input
	end   int32 // byte offset just after the source rune in the input
	accnt bool  // the source rune carried a diacritic (or was a ligature)
}

// normalized is the folded text: lower case, accents removed, control
// and format characters dropped, typographic variants (’ – − →) mapped to
// their ASCII forms.
type normalized struct {
	s         string
	runes     []nrune
	truncated bool
}

// normalize folds at most MaxRunes runes of text. Folding is per rune so
// that every normalized rune keeps the input offsets of its source, which
// is how OfferRef.Text quotes the user's own words.
func normalize(text string) normalized {
	var (
		buf   = make([]byte, 0, min(len(text), MaxRunes*2)+8)
		runes = make([]nrune, 0, min(len(text), MaxRunes)+8)
		n     int
		enc   [utf8.UTFMax]byte
		out   normalized
	)
	emit := func(r rune, off, end int, acc bool) {
		runes = append(runes, nrune{r: r, b: int32(len(buf)), off: int32(off), end: int32(end), accnt: acc})
		buf = utf8.AppendRune(buf, r)
	}
	for off, r := range text {
		if n >= MaxRunes {
			out.truncated = true
			break
		}
		n++
		size := utf8.RuneLen(r)
		if r == utf8.RuneError {
			// Invalid bytes decode as RuneError of width 1; a real U+FFFD
			// is 3 bytes. Either way it is not a word character.
			size = max(1, utf8.RuneLen(r))
			if off+size > len(text) || text[off:off+size] != "\uFFFD" {
				size = 1
			}
			emit(' ', off, off+size, false)
			continue
		}
		end := off + size
		if r < utf8.RuneSelf {
			switch {
			case 'A' <= r && r <= 'Z':
				r += 'a' - 'A'
			case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
				r = ' '
			case r < 0x20 || r == 0x7f:
				continue // control characters are ignored, not separators
			}
			emit(r, off, end, false)
			continue
		}
		switch r {
		case 'œ', 'Œ':
			emit('o', off, end, true)
			emit('e', off, end, true)
			continue
		case 'æ', 'Æ':
			emit('a', off, end, true)
			emit('e', off, end, true)
			continue
		case 'ß':
			emit('s', off, end, false)
			emit('s', off, end, false)
			continue
		case '’', '‘', 'ʼ', '´', '′', '`':
			emit('\'', off, end, false)
			continue
		case '‐', '‑', '‒', '–', '—', '―', '−', '﹣', '－':
			emit('-', off, end, false)
			continue
		case '→', '⇒', '⟶', '➔', '➜', '⟹':
			emit('-', off, end, false)
			emit('>', off, end, false)
			continue
		case 'ı':
			emit('i', off, end, false)
			continue
		case '\u0085', '\u2028', '\u2029':
			emit(' ', off, end, false)
			continue
		}
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			continue
		}
		if unicode.Is(unicode.Mn, r) {
			// A combining mark typed on its own (decomposed input): it
			// belongs to the previous letter.
			if len(runes) > 0 {
				runes[len(runes)-1].accnt = true
			}
			continue
		}
		if unicode.IsSpace(r) {
			emit(' ', off, end, false)
			continue
		}
		k := utf8.EncodeRune(enc[:], r)
		dec := norm.NFKD.Properties(enc[:k]).Decomposition()
		if dec == nil {
			emit(unicode.ToLower(r), off, end, false)
			continue
		}
		acc := false
		for i := 0; i < len(dec); {
			d, w := utf8.DecodeRune(dec[i:])
			i += w
			if unicode.Is(unicode.Mn, d) {
				acc = true
				continue
			}
			if unicode.IsSpace(d) {
				d = ' '
			}
			emit(unicode.ToLower(d), off, end, false)
		}
		if acc {
			// Mark every rune this source rune produced ("é" → "e").
			for i := len(runes) - 1; i >= 0 && runes[i].off == int32(off); i-- {
				runes[i].accnt = true
			}
		}
	}
	out.s = string(buf)
	out.runes = runes
	return out
}

// token is one word or number of the normalized text.
type token struct {
	text  string // folded form; "à" keeps its accent (it is the preposition)
	start int    // byte offsets of the token in the input
	end   int

	num    bool  // a run of ASCII digits (possibly grouped: 1,000)
	val    int64 // its value when num and !big
	big    bool  // too many digits to be a quantity
	frac   bool  // a decimal or a fraction (2.5, 1/2)
	date   bool  // three groups or more (2025-06-30): a date, not a quantity
	neg    bool  // a unary minus right before the digits
	plus   bool  // a unary plus right before the digits ("+2 E3")
	hash   bool  // '#' right before the digits ("#12")
	accent bool  // the word carried a diacritic: a French signal
}

func isASCIIDigit(r rune) bool { return '0' <= r && r <= '9' }

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsDigit(r) }

// tokenize splits the normalized text into words and numbers and records
// the punctuation that matters: signs before numbers, hyphens inside
// words, arrows, a question mark.
func tokenize(nt normalized) (toks []token, question bool) {
	rs := nt.runes
	toks = make([]token, 0, min(len(rs)/3+2, maxTokens))
	at := func(i int) rune {
		if i < 0 || i >= len(rs) {
			return ' '
		}
		return rs[i].r
	}
	bytePos := func(i int) int {
		if i >= len(rs) {
			return len(nt.s)
		}
		return int(rs[i].b)
	}
	for i := 0; i < len(rs) && len(toks) < maxTokens; {
		r := rs[i].r
		switch {
		case isASCIIDigit(r):
			j, t := scanNumber(rs, i)
			t.text = nt.s[bytePos(i):bytePos(j)]
			t.start, t.end = int(rs[i].off), int(rs[j-1].end)
			prev, prev2 := at(i-1), at(i-2)
			switch {
			case prev == '-' && !isWordRune(prev2):
				// A minus sign, not the hyphen of "R-12" or "2-3".
				t.neg = true
			case prev == '+':
				t.plus = true
			case prev == '#':
				t.hash = true
			}
			toks = append(toks, t)
			i = j
		case isWordRune(r):
			j := i
			acc := false
			for j < len(rs) && isWordRune(rs[j].r) {
				acc = acc || rs[j].accnt
				j++
			}
			t := token{text: nt.s[bytePos(i):bytePos(j)], start: int(rs[i].off), end: int(rs[j-1].end), accent: acc}
			if t.text == "a" && acc {
				t.text = "à" // the French preposition, not the article
			}
			if len(t.text) > 1 && len(t.text) <= 7 && t.text[0] == 'x' && isNumberText(t.text[1:]) {
				// "x5": a multiplier, read as the number 5.
				var v int64
				for _, d := range t.text[1:] {
					v = v*10 + int64(d-'0')
				}
				t.num, t.val = true, v
			}
			toks = append(toks, t)
			i = j
		case r == '?':
			question = true
			i++
		case (r == '-' || r == '=') && at(i+1) == '>':
			toks = append(toks, token{text: "->", start: int(rs[i].off), end: int(rs[i+1].end)})
			i += 2
		default:
			i++
		}
	}
	return mergeLetterDigit(toks), question
}

// scanNumber reads digits from i, with thousands separators (1,000 1.000
// 1 000) and the shapes that are not a plain quantity: decimals and
// fractions (2.5, 2,5, 1/2), ranges and dates (2-3, 2025-06-30).
func scanNumber(rs []nrune, i int) (int, token) {
	var t token
	sigDigits := 0 // significant digits seen (leading zeros skipped)
	groups := 0
	var lens [8]int
	var seps [8]rune
	j := i
	for {
		k := j
		for k < len(rs) && isASCIIDigit(rs[k].r) {
			k++
		}
		if groups < len(lens) {
			lens[groups] = k - j
		}
		for _, d := range rs[j:k] {
			if sigDigits == 0 && d.r == '0' {
				continue
			}
			sigDigits++
			if sigDigits <= 12 {
				t.val = t.val*10 + int64(d.r-'0')
			}
		}
		groups++
		j = k
		if j+1 >= len(rs) || !isASCIIDigit(rs[j+1].r) {
			break
		}
		sep := rs[j].r
		if sep != '.' && sep != ',' && sep != '\'' && sep != ' ' && sep != '/' && sep != '-' {
			break
		}
		if sep == ' ' {
			// "1 000": only a group of exactly three digits after a short
			// first group, otherwise "add 2 3 seats" would read 23.
			k := j + 1
			for k < len(rs) && isASCIIDigit(rs[k].r) {
				k++
			}
			if groups != 1 || lens[0] > 3 || k-(j+1) != 3 || (k < len(rs) && isWordRune(rs[k].r)) {
				break
			}
		}
		if groups < len(seps) {
			seps[groups] = sep
		}
		j++
	}
	n := min(groups, len(lens))
	switch {
	case groups == 1:
	case groups >= 3 && seps[1] != ',' && seps[1] != ' ' && !thousands(lens[:n], seps[1:n]):
		t.date = true
	case seps[1] == '/' || seps[1] == '-':
		t.frac = true
	case thousands(lens[:n], seps[1:n]):
	default:
		t.frac = true
	}
	t.num = true
	if sigDigits > 12 || groups > len(lens) {
		// Never accumulate past 12 digits: no overflow, whatever the input.
		t.big, t.val = true, 0
	}
	return j, t
}

// thousands reports whether digit groups are a grouped integer: a first
// group of one to three digits, then groups of exactly three, one
// separator throughout.
func thousands(lens []int, seps []rune) bool {
	if len(lens) < 2 || lens[0] < 1 || lens[0] > 3 {
		return false
	}
	for i := 1; i < len(lens); i++ {
		if lens[i] != 3 || seps[i-1] != seps[0] || seps[i-1] == '/' || seps[i-1] == '-' {
			return false
		}
	}
	return true
}

// mergeLetterDigit joins "E 3" and "F-1" into "e3" and "f1": people type
// the plan letter and digit apart, and the digit is not a quantity.
func mergeLetterDigit(toks []token) []token {
	out := toks[:0]
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if (t.text == "e" || t.text == "f" || t.text == "p") && i+1 < len(toks) {
			n := toks[i+1]
			if n.num && !n.neg && !n.plus && !n.hash && !n.frac && !n.date && len(n.text) == 1 && n.val >= 1 {
				t.text = t.text + n.text
				t.end = n.end
				out = append(out, t)
				i++
				continue
			}
		}
		out = append(out, t)
	}
	return out
}

// cleanText returns text without control or format characters and with
// invalid UTF-8 replaced: OfferRef.Text is shown back to users.
func cleanText(s string) string {
	return strings.Map(func(r rune) rune {
		if r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			if r == '\t' || r == '\n' {
				return ' '
			}
			return -1
		}
		return r
	}, strings.ToValidUTF8(s, ""))
}
