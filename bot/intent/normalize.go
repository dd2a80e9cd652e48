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
	f := folder{
		buf:   make([]byte, 0, min(len(text), MaxRunes*2)+8),
		runes: make([]nrune, 0, min(len(text), MaxRunes)+8),
	}
	var out normalized
	n := 0
	for off, r := range text {
		if n >= MaxRunes {
			out.truncated = true
			break
		}
		n++
		if r < utf8.RuneSelf {
			// The common case, kept out of foldRune.
			if c, ok := foldASCII(r); ok {
				f.emitASCII(byte(c), off)
			}
			continue
		}
		f.foldRune(text, off, r)
	}
	out.s = string(f.buf)
	out.runes = f.runes
	return out
}

// folder accumulates the normalized text and where each rune came from.
type folder struct {
	buf   []byte
	runes []nrune
}

// emitASCII is emit for the common case, small enough to be inlined.
func (f *folder) emitASCII(c byte, off int) {
	f.runes = append(f.runes, nrune{r: rune(c), b: int32(len(f.buf)), off: int32(off), end: int32(off + 1)})
	f.buf = append(f.buf, c)
}

func (f *folder) emit(r rune, off, end int, acc bool) {
	f.runes = append(f.runes, nrune{r: r, b: int32(len(f.buf)), off: int32(off), end: int32(end), accnt: acc})
	f.buf = utf8.AppendRune(f.buf, r)
}

// foldASCII lowers letters and turns whitespace into spaces; other
// control characters are dropped (ok false), not separators.
func foldASCII(r rune) (rune, bool) {
	switch {
	case 'A' <= r && r <= 'Z':
		return r + 'a' - 'A', true
	case r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f':
		return ' ', true
	case r < 0x20 || r == 0x7f:
		return 0, false
	}
	return r, true
}

// foldRune folds one non-ASCII rune that starts at byte off of text.
func (f *folder) foldRune(text string, off int, r rune) {
	if r == utf8.RuneError {
		// Not a word character, whether invalid bytes or a real U+FFFD.
		f.emit(' ', off, off+invalidRuneWidth(text, off), false)
		return
	}
	end := off + utf8.RuneLen(r)
	if f.foldTypographic(r, off, end) {
		return
	}
	switch {
	case unicode.IsControl(r) || unicode.Is(unicode.Cf, r):
		return
	case unicode.Is(unicode.Mn, r):
		// A combining mark typed on its own (decomposed input): it
		// belongs to the previous letter.
		if len(f.runes) > 0 {
			f.runes[len(f.runes)-1].accnt = true
		}
		return
	case unicode.IsSpace(r):
		f.emit(' ', off, end, false)
		return
	}
	f.foldDecomposed(r, off, end)
}

// invalidRuneWidth: invalid bytes decode as RuneError of width 1; a real
// U+FFFD is 3 bytes.
func invalidRuneWidth(text string, off int) int {
	size := utf8.RuneLen(utf8.RuneError)
	if off+size > len(text) || text[off:off+size] != "\uFFFD" {
		return 1
	}
	return size
}

// foldTypographic maps ligatures, typographic quotes, dashes, arrows and
// line separators to their ASCII forms, and reports whether r was one.
func (f *folder) foldTypographic(r rune, off, end int) bool {
	switch r {
	case 'œ', 'Œ':
		f.emit('o', off, end, true)
		f.emit('e', off, end, true)
	case 'æ', 'Æ':
		f.emit('a', off, end, true)
		f.emit('e', off, end, true)
	case 'ß':
		f.emit('s', off, end, false)
		f.emit('s', off, end, false)
	case '’', '‘', 'ʼ', '´', '′', '`':
		f.emit('\'', off, end, false)
	case '‐', '‑', '‒', '–', '—', '―', '−', '﹣', '－':
		f.emit('-', off, end, false)
	case '→', '⇒', '⟶', '➔', '➜', '⟹':
		f.emit('-', off, end, false)
		f.emit('>', off, end, false)
	case 'ı':
		f.emit('i', off, end, false)
	case '\u0085', '\u2028', '\u2029':
		f.emit(' ', off, end, false)
	default:
		return false
	}
	return true
}

// foldDecomposed emits r lower-cased without its diacritics (NFKD, marks
// dropped), and marks every rune it produced when it had one ("é" → "e").
func (f *folder) foldDecomposed(r rune, off, end int) {
	var enc [utf8.UTFMax]byte
	k := utf8.EncodeRune(enc[:], r)
	dec := norm.NFKD.Properties(enc[:k]).Decomposition()
	if dec == nil {
		f.emit(unicode.ToLower(r), off, end, false)
		return
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
		f.emit(unicode.ToLower(d), off, end, false)
	}
	if acc {
		for i := len(f.runes) - 1; i >= 0 && f.runes[i].off == int32(off); i-- {
			f.runes[i].accnt = true
		}
	}
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
	for i := 0; i < len(rs) && len(toks) < maxTokens; {
		r := rs[i].r
		switch {
		case isASCIIDigit(r):
			var t token
			t, i = numberToken(nt, i)
			toks = append(toks, t)
		case isWordRune(r):
			// Inline, not a function returning a token: words are most
			// of the text, and the copy shows in the benchmark.
			j := i
			acc := false
			for j < len(rs) && isWordRune(rs[j].r) {
				acc = acc || rs[j].accnt
				j++
			}
			t := token{text: nt.s[bytePos(nt, i):bytePos(nt, j)], start: int(rs[i].off), end: int(rs[j-1].end), accent: acc}
			if t.text == "a" && acc {
				t.text = "à" // the French preposition, not the article
			}
			if v, ok := multiplier(t.text); ok {
				t.num, t.val = true, v
			}
			toks = append(toks, t)
			i = j
		case r == '?':
			question = true
			i++
		case (r == '-' || r == '=') && runeAt(rs, i+1) == '>':
			toks = append(toks, token{text: "->", start: int(rs[i].off), end: int(rs[i+1].end)})
			i += 2
		default:
			i++
		}
	}
	return mergeLetterDigit(toks), question
}

// runeAt is rs[i], or a space outside the text.
func runeAt(rs []nrune, i int) rune {
	if i < 0 || i >= len(rs) {
		return ' '
	}
	return rs[i].r
}

// bytePos is the offset of rune i in the normalized string.
func bytePos(nt normalized, i int) int {
	if i >= len(nt.runes) {
		return len(nt.s)
	}
	return int(nt.runes[i].b)
}

// numberToken reads the number at rune i with the sign or '#' before it,
// and returns the index after it.
func numberToken(nt normalized, i int) (token, int) {
	rs := nt.runes
	j, t := scanNumber(rs, i)
	t.text = nt.s[bytePos(nt, i):bytePos(nt, j)]
	t.start, t.end = int(rs[i].off), int(rs[j-1].end)
	prev, prev2 := runeAt(rs, i-1), runeAt(rs, i-2)
	switch {
	case prev == '-' && !isWordRune(prev2):
		// A minus sign, not the hyphen of "R-12" or "2-3".
		t.neg = true
	case prev == '+':
		t.plus = true
	case prev == '#':
		t.hash = true
	}
	return t, j
}

// multiplier reads "x5" as the number 5.
func multiplier(w string) (int64, bool) {
	if len(w) <= 1 || len(w) > 7 || w[0] != 'x' || !isNumberText(w[1:]) {
		return 0, false
	}
	var v int64
	for _, d := range w[1:] {
		v = v*10 + int64(d-'0')
	}
	return v, true
}

// maxGroups bounds the digit groups remembered for one number; more
// make it too big to be a quantity.
const maxGroups = 8

// digitGroups is what scanNumber has read so far: groups of digits and
// the separators between them (seps[g] precedes group g).
type digitGroups struct {
	n         int // groups read
	sigDigits int // significant digits (leading zeros skipped)
	lens      [maxGroups]int
	seps      [maxGroups]rune
}

// scanNumber reads digits from i, with thousands separators (1,000 1.000
// 1 000) and the shapes that are not a plain quantity: decimals and
// fractions (2.5, 2,5, 1/2), ranges and dates (2-3, 2025-06-30).
func scanNumber(rs []nrune, i int) (int, token) {
	var t token
	var g digitGroups
	j := i
	for {
		k := digitsEnd(rs, j)
		g.add(rs[j:k], &t.val)
		j = k
		if !g.continuesAt(rs, j) {
			break
		}
		if g.n < maxGroups {
			g.seps[g.n] = rs[j].r
		}
		j++
	}
	g.shape(&t)
	return j, t
}

// digitsEnd is the index after the ASCII digits that start at j.
func digitsEnd(rs []nrune, j int) int {
	for j < len(rs) && isASCIIDigit(rs[j].r) {
		j++
	}
	return j
}

// add records one group of digits and accumulates its value into val,
// never past 12 significant digits: no overflow, whatever the input.
func (g *digitGroups) add(digits []nrune, val *int64) {
	if g.n < maxGroups {
		g.lens[g.n] = len(digits)
	}
	for _, d := range digits {
		if g.sigDigits == 0 && d.r == '0' {
			continue
		}
		g.sigDigits++
		if g.sigDigits <= 12 {
			*val = *val*10 + int64(d.r-'0')
		}
	}
	g.n++
}

// continuesAt reports whether rune j separates the digits read from
// another group of the same number.
func (g *digitGroups) continuesAt(rs []nrune, j int) bool {
	if j+1 >= len(rs) || !isASCIIDigit(rs[j+1].r) {
		return false
	}
	switch rs[j].r {
	case '.', ',', '\'', '/', '-':
		return true
	case ' ':
		// "1 000": only a group of exactly three digits after a short
		// first group, otherwise "add 2 3 seats" would read 23.
		k := digitsEnd(rs, j+1)
		return g.n == 1 && g.lens[0] <= 3 && k-(j+1) == 3 && (k >= len(rs) || !isWordRune(rs[k].r))
	}
	return false
}

// shape says what the groups make: a plain or grouped integer, a
// fraction or decimal, a date, or a number too big to be a quantity.
func (g *digitGroups) shape(t *token) {
	n := min(g.n, maxGroups)
	lens, seps := g.lens[:n], g.seps[1:n]
	switch {
	case g.n == 1:
	case g.n >= 3 && g.seps[1] != ',' && g.seps[1] != ' ' && !thousands(lens, seps):
		t.date = true
	case g.seps[1] == '/' || g.seps[1] == '-':
		t.frac = true
	case thousands(lens, seps):
	default:
		t.frac = true
	}
	t.num = true
	if g.sigDigits > 12 || g.n > maxGroups {
		t.big, t.val = true, 0
	}
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
