package intent

import (
	"sort"

	"github.com/licensebot/licensebot/csp"
)

// Offer matching works on token sequences, not characters: a trie of the
// normalized names and aliases of every offer, walked from each word of
// the message, longest match first. Three classes of phrases end in the
// trie, and the best class at the end of the longest match wins:
//
//   - explicit: the offer's name, id, English and French aliases, as the
//     catalog declares them;
//   - derived: tails of the name ("business standard" from "Microsoft 365
//     Business Standard"), the name without brand words ("exchange plan 1"
//     from "Exchange Online (Plan 1)"), and the m365/o365 short forms;
//   - keyword: one distinctive word of a name or a segment ("business",
//     "exchange"), which names every offer that has it, so that
//     "business" alone is ambiguous between Basic, Standard and Premium.
//
// Typos are tolerated on the same walk: a word may differ from a trie word
// by a bounded Damerau-Levenshtein distance (see fuzzyBound), never for
// short words or words with digits, so "e3" never becomes "e5".

const (
	classNone = iota
	classKeyword
	classDerived
	classExplicit
)

// maxPhraseTokens bounds alias length and so the depth of a trie walk.
const maxPhraseTokens = 8

// maxFuzzyTotal bounds the summed edit distance of one fuzzy match.
const maxFuzzyTotal = 4

type onode struct {
	next     map[string]*onode
	keys     []string // keys of next, sorted: fuzzy search visits them in a fixed order
	explicit []int
	derived  []int
	keyword  []int
	fr       bool // a French alias ends here: a language signal
}

func (n *onode) child(k string) *onode {
	if n.next == nil {
		n.next = make(map[string]*onode)
	}
	c := n.next[k]
	if c == nil {
		c = &onode{}
		n.next[k] = c
		n.keys = append(n.keys, k)
	}
	return c
}

func (n *onode) class() int {
	switch {
	case len(n.explicit) > 0:
		return classExplicit
	case len(n.derived) > 0:
		return classDerived
	case len(n.keyword) > 0:
		return classKeyword
	}
	return classNone
}

func (n *onode) candidates() []int {
	switch n.class() {
	case classExplicit:
		return n.explicit
	case classDerived:
		return n.derived
	case classKeyword:
		return n.keyword
	}
	return nil
}

func addUnique(s []int, v int) []int {
	for _, x := range s {
		if x == v {
			return s
		}
	}
	return append(s, v)
}

// offerIndex is immutable once built.
type offerIndex struct {
	root *onode
	ids  []string
	wc   wordClass
}

// wordClass tells the index builder what a word can do in a product name.
type wordClass struct {
	lex *lexicon
}

// brandWords appear in many names and name nothing on their own.
func isBrand(w string) bool {
	switch w {
	case "microsoft", "office", "365", "m365", "o365", "ms", "ms365", "online", "cloud":
		return true
	}
	return false
}

func isNumberText(w string) bool {
	if w == "" {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return true
}

func (wc wordClass) function(w string) bool {
	switch w {
	case "for", "of", "pour", "and", "et", "the", "de", "les", "la", "le":
		return true
	}
	e, ok := wc.lex.words[w]
	return ok && e.c&(cThe|cTo|cFrom|cBy|cWith) != 0
}

// generic words ("seats", "licences", "plan", "abonnement") must not name
// an offer on their own.
func (wc wordClass) generic(w string) bool {
	switch w {
	case "plan", "plans", "forfait", "forfaits", "product", "produit", "offer", "offre",
		"edition", "suite", "version", "licence", "licences", "license", "licenses":
		return true
	}
	e, ok := wc.lex.words[w]
	return ok && e.c&(cSeatNoun|cSubNoun|cLineNoun) != 0
}

// distinctive words can name offers alone: not brand, generic, function
// or vocabulary words, not bare numbers.
func (wc wordClass) distinctive(w string) bool {
	if len(w) < 2 || isBrand(w) || isNumberText(w) || wc.generic(w) || wc.function(w) {
		return false
	}
	_, vocab := wc.lex.words[w]
	return !vocab
}

// nameable reports whether a phrase may name an offer: it has a
// distinctive word, or a generic word with a number ("plan 1").
func (wc wordClass) nameable(ws []string) bool {
	for i, w := range ws {
		if wc.distinctive(w) {
			return true
		}
		if i+1 < len(ws) && wc.generic(w) && isNumberText(ws[i+1]) {
			return true
		}
	}
	return false
}

// phraseWords normalizes a name or alias the way messages are normalized.
func phraseWords(s string) []string {
	toks, _ := tokenize(normalize(s))
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		out = append(out, t.text)
	}
	return out
}

// buildOfferIndex indexes every offer of the catalog under its explicit
// names, the phrases derived from its name, and its distinctive keywords.
func buildOfferIndex(cat *csp.Catalog, lex *lexicon) *offerIndex {
	wc := wordClass{lex: lex}
	ix := &offerIndex{root: &onode{}, wc: wc}
	if cat == nil {
		return ix
	}
	kw := keywordHits{name: map[string][]int{}, seg: map[string][]int{}}
	for i, o := range cat.Offers {
		ix.ids = append(ix.ids, o.ID)
		ix.addExplicit(wc, o, i)
		name := phraseWords(o.Name)
		ix.addDerived(wc, name, i)
		for _, w := range name {
			if wc.distinctive(w) {
				kw.note(kw.name, w, i)
			}
		}
		for _, w := range phraseWords(o.Segment) {
			if wc.distinctive(w) {
				kw.note(kw.seg, w, i)
			}
		}
	}
	for _, w := range kw.order {
		for _, i := range kw.offers(w) {
			ix.add([]string{w}, i, classKeyword, false)
		}
	}
	sortKeys(ix.root)
	return ix
}

// add puts a phrase in the trie for an offer, in a class.
func (ix *offerIndex) add(ws []string, offer, class int, fr bool) {
	if len(ws) == 0 || len(ws) > maxPhraseTokens {
		return
	}
	n := ix.root
	for _, w := range ws {
		n = n.child(w)
	}
	switch class {
	case classExplicit:
		n.explicit = addUnique(n.explicit, offer)
		n.fr = n.fr || fr
	case classDerived:
		n.derived = addUnique(n.derived, offer)
	case classKeyword:
		n.keyword = addUnique(n.keyword, offer)
	}
}

// addExplicit indexes the offer's name, id and aliases, the French ones
// marked as a language signal.
func (ix *offerIndex) addExplicit(wc wordClass, o csp.Offer, offer int) {
	explicit := func(s string, fr bool) {
		if ws := phraseWords(s); wc.nameable(ws) {
			ix.add(ws, offer, classExplicit, fr)
		}
	}
	explicit(o.Name, false)
	explicit(o.ID, false)
	for _, a := range o.Aliases {
		explicit(a, false)
	}
	for _, a := range o.AliasesFR {
		explicit(a, true)
	}
}

// addDerived indexes the tails of the name's variants that can still
// name the offer ("business standard", "exchange plan 1").
func (ix *offerIndex) addDerived(wc wordClass, name []string, offer int) {
	for _, v := range nameVariants(name) {
		for k := 0; k+2 <= len(v); k++ {
			tail := v[k:]
			if wc.function(tail[0]) || !wc.nameable(tail) {
				continue
			}
			ix.add(tail, offer, classDerived, false)
		}
	}
}

// keywordHits collects the offers each distinctive word appears in, by
// name and by segment, in the order the words were first seen.
type keywordHits struct {
	name, seg map[string][]int
	order     []string
}

func (kh *keywordHits) note(hits map[string][]int, w string, offer int) {
	_, inName := kh.name[w]
	_, inSeg := kh.seg[w]
	if !inName && !inSeg {
		kh.order = append(kh.order, w)
	}
	hits[w] = addUnique(hits[w], offer)
}

// offers returns the offers keyword w names. A keyword that names a
// segment and also appears in the names of that segment's offers
// ("business") means those offers; other offers that merely contain the
// word ("Apps for business") are left out.
func (kh *keywordHits) offers(w string) []int {
	var both []int
	for _, i := range kh.name[w] {
		for _, j := range kh.seg[w] {
			if i == j {
				both = append(both, i)
			}
		}
	}
	if len(both) > 0 {
		return both
	}
	return append(append([]int(nil), kh.name[w]...), kh.seg[w]...)
}

func sortKeys(n *onode) {
	sort.Strings(n.keys)
	for _, c := range n.next {
		sortKeys(c)
	}
}

// nameVariants returns the name, the name without brand words, and the
// name with "microsoft 365"/"office 365" shortened to m365/o365.
func nameVariants(name []string) [][]string {
	out := [][]string{name}
	var nb []string
	for _, w := range name {
		if !isBrand(w) {
			nb = append(nb, w)
		}
	}
	if len(nb) > 0 && len(nb) < len(name) {
		out = append(out, nb)
	}
	if len(name) > 2 && name[1] == "365" && (name[0] == "microsoft" || name[0] == "office") {
		short := "m365"
		if name[0] == "office" {
			short = "o365"
		}
		out = append(out, append([]string{short}, name[2:]...))
		if name[0] == "microsoft" {
			out = append(out, append([]string{"ms", "365"}, name[2:]...), append([]string{"ms365"}, name[2:]...))
		}
	}
	return out
}

// mention is one product named in a message.
type mention struct {
	start, end int // token range
	cands      []int
	exact      bool
	fr         bool
}

// omatch is a candidate match during the trie walk.
type omatch struct {
	n     int // tokens matched
	dist  int // summed edit distance (0: exact)
	class int
	nodes []*onode // ties
}

func (m *omatch) consider(n, dist int, node *onode) {
	c := node.class()
	if c == classNone {
		return
	}
	switch {
	case n > m.n, n == m.n && dist < m.dist, n == m.n && dist == m.dist && c > m.class:
		m.n, m.dist, m.class = n, dist, c
		m.nodes = append(m.nodes[:0], node)
	case n == m.n && dist == m.dist && c == m.class:
		for _, x := range m.nodes {
			if x == node {
				return
			}
		}
		m.nodes = append(m.nodes, node)
	}
}

// findOffers returns the products named in toks, in text order. blocked
// tokens (a request id) are never part of a product; fuzzy[i] says
// whether token i may be matched with a typo.
func (ix *offerIndex) findOffers(toks []token, blocked, fuzzy []bool) []mention {
	var out []mention
	var best omatch
	for i := 0; i < len(toks); {
		if blocked[i] {
			i++
			continue
		}
		best = omatch{nodes: best.nodes[:0]}
		ix.walk(toks, blocked, fuzzy, i, 0, ix.root, 0, &best)
		if best.n == 0 || ix.ownedByUnknownWord(toks, blocked, i, best) {
			i++
			continue
		}
		m := mention{start: i, end: i + best.n, exact: best.dist == 0}
		for _, node := range best.nodes {
			for _, c := range node.candidates() {
				m.cands = addUnique(m.cands, c)
			}
			m.fr = m.fr || (node.fr && node.class() == classExplicit)
		}
		out = append(out, m)
		i += best.n
	}
	return out
}

// ownedByUnknownWord: a match that starts with a generic word ("plan 2"
// of Exchange Online (Plan 2)) right after a word neither the catalog
// nor the vocabulary knows ("Visio Plan 2") is that unknown product's
// "plan 2", not the catalog's: reading it as Exchange would buy another
// product than the one asked for. An explicit name or alias is never
// dropped. The word before must be letters only, so "2 plan 2" or "the
// plan 2" still name Exchange.
func (ix *offerIndex) ownedByUnknownWord(toks []token, blocked []bool, i int, best omatch) bool {
	if i == 0 || blocked[i-1] || best.class == classExplicit || !ix.wc.generic(toks[i].text) {
		return false
	}
	prev := toks[i-1].text
	if len(prev) < 2 || ix.wc.function(prev) || isBrand(prev) {
		return false
	}
	for k := 0; k < len(prev); k++ {
		if c := prev[k]; c < 'a' || c > 'z' {
			return false
		}
	}
	if _, known := ix.wc.lex.words[prev]; known {
		return false
	}
	// A word of the catalog ("exchange plan 2" typed with a typo in
	// "plan") belongs to the match before, not to an unknown product.
	_, catalogWord := ix.root.next[prev]
	return !catalogWord
}

func (ix *offerIndex) walk(toks []token, blocked, fuzzy []bool, i, depth int, n *onode, dist int, best *omatch) {
	if depth > 0 {
		best.consider(depth, dist, n)
	}
	if i >= len(toks) || depth >= maxPhraseTokens || blocked[i] || len(n.next) == 0 {
		return
	}
	w := toks[i].text
	if c := n.next[w]; c != nil {
		ix.walk(toks, blocked, fuzzy, i+1, depth+1, c, dist, best)
	}
	if !fuzzy[i] {
		return
	}
	for _, k := range n.keys {
		if k == w {
			continue
		}
		d := fuzzyDist(w, k)
		if d > 0 && dist+d <= maxFuzzyTotal {
			ix.walk(toks, blocked, fuzzy, i+1, depth+1, n.next[k], dist+d, best)
		}
	}
}

// fuzzyBound is the edit distance tolerated for a word of the catalog:
// none up to four letters ("e3", "apps", "plan": a typo there is another
// word), one up to seven ("teams", "premium"), two beyond ("business",
// "standard", "exchange").
func fuzzyBound(n int) int {
	switch {
	case n <= 4:
		return 0
	case n <= 7:
		return 1
	}
	return 2
}

// fuzzyDist returns the optimal-string-alignment distance between a typed
// word and a catalog word when it is within fuzzyBound of the catalog
// word, and -1 otherwise. The first letter must agree: typos there are
// rare, and the check removes most false friends cheaply.
func fuzzyDist(typed, known string) int {
	b := fuzzyBound(len(known))
	if b == 0 || len(typed) == 0 || typed[0] != known[0] {
		return -1
	}
	if d := len(typed) - len(known); d > b || -d > b {
		return -1
	}
	for i := 0; i < len(known); i++ {
		if c := known[i]; c < 'a' || c > 'z' {
			return -1 // catalog words with digits are matched exactly
		}
	}
	d := osaDistance(typed, known, b)
	if d > b {
		return -1
	}
	return d
}

// osaDistance is the optimal string alignment distance (Levenshtein plus
// adjacent transpositions) of two short ASCII strings, giving up with
// limit+1 once every cell of a row exceeds limit.
func osaDistance(a, b string, limit int) int {
	const maxLen = 32
	if len(a) > maxLen || len(b) > maxLen {
		return limit + 1
	}
	var rows [3][maxLen + 1]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > limit {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
