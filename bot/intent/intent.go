// Package intent turns a chat message in English or French into what the
// person wants ("add 2 Business Standard seats", "ajoute 2 licences E3",
// "upgrade 5 E1 to E3") and the products, quantity and options they named.
//
// The parser is rule-based: a fixed bilingual vocabulary of concepts
// (lexicon.go), the offers of the catalog indexed by name and alias with
// typo tolerance (offers.go), number reading (digits and words up to
// twenty), and ordered rules over those concepts (classify.go). There is
// no network call and no model: a Parse is a pure function of the text and
// the catalog, takes microseconds, and gives the same answer every time.
//
// Text is folded before matching (case, accents, ligatures, typographic
// quotes and dashes) and only the first MaxRunes runes are analysed, so
// hostile or oversized input costs no more than a normal sentence.
// Markup such as "<!channel>" or "*bold*" is just punctuation around
// words. Parse never panics.
package intent

import (
	"strconv"
	"strings"

	"github.com/licensebot/licensebot/csp"
)

// Kind is what a message asks for.
type Kind string

// The kinds of intent. The change kinds have the names of csp.ChangeKind.
const (
	KindHelp               Kind = "help"
	KindList               Kind = "list"
	KindShow               Kind = "show"
	KindAddSeats           Kind = "add_seats"
	KindRemoveSeats        Kind = "remove_seats"
	KindSetRenewalQuantity Kind = "set_renewal_quantity"
	KindAutoRenewOff       Kind = "auto_renew_off"
	KindAutoRenewOn        Kind = "auto_renew_on"
	KindCancel             Kind = "cancel"
	KindUpgrade            Kind = "upgrade"
	KindAlignEndDate       Kind = "align_end_date"
	KindCatalog            Kind = "catalog"
	KindMyRequests         Kind = "my_requests"
	KindPendingApprovals   Kind = "pending_approvals"
	KindWithdraw           Kind = "withdraw"
	KindLanguage           Kind = "language"
	KindAbort              Kind = "abort"
	KindYes                Kind = "yes"
	KindNo                 Kind = "no"
	KindUnknown            Kind = "unknown"
	// People and roles: make someone a licence admin, and the questions
	// about who may use the bot and who decides.
	KindMakeAdmin         Kind = "make_admin"
	KindWhoCanUse         Kind = "who_can_use"
	KindWhoApproves       Kind = "who_approves"
	KindWhoAccountManager Kind = "who_account_manager"
	// KindChoosePlatform: "send my messages to Slack", "écris-moi sur
	// Teams".
	KindChoosePlatform Kind = "choose_platform"
	// Licence usage (assigned against bought) and the reseller's
	// delegated admin access (GDAP).
	KindUsage           Kind = "usage"
	KindDelegatedAccess Kind = "delegated_access"
	// KindPurchase: buy a new subscription from the catalog
	// (csp.ChangePurchase; topics_buy.go).
	KindPurchase Kind = "purchase"
)

// Valid reports whether k is one of the kinds above.
func (k Kind) Valid() bool {
	switch k {
	case KindHelp, KindList, KindShow, KindAddSeats, KindRemoveSeats, KindSetRenewalQuantity,
		KindAutoRenewOff, KindAutoRenewOn, KindCancel, KindUpgrade, KindAlignEndDate, KindCatalog,
		KindMyRequests, KindPendingApprovals, KindWithdraw, KindLanguage, KindAbort, KindYes,
		KindNo, KindUnknown, KindMakeAdmin, KindWhoCanUse, KindWhoApproves, KindWhoAccountManager,
		KindChoosePlatform, KindUsage, KindDelegatedAccess,
		KindPurchase:
		return true
	}
	return k.isQuestion() // topics_questions.go
}

// Quantity errors: a number was given but cannot be a seat count.
const (
	QuantityNegative   = "negative"
	QuantityTooLarge   = "too_large"
	QuantityZero       = "zero"
	QuantityNotANumber = "not_a_number"
)

// MaxQuantity is the largest quantity accepted; larger numbers are
// reported as QuantityTooLarge rather than parsed.
const MaxQuantity = 100000

// Roles of products in an upgrade or an end-date alignment.
const (
	RoleSource    = "source"    // upgrade: the offer upgraded from
	RoleTarget    = "target"    // upgrade: the offer upgraded to
	RoleSubject   = "subject"   // align: the subscription whose end date changes
	RoleReference = "reference" // align: the subscription whose end date is copied
)

// OfferRef is one product named in a message.
type OfferRef struct {
	// Text is the user's words that matched, as typed.
	Text string
	// Candidates are offer ids, best first; more than one means the words
	// were ambiguous ("business" → Basic, Standard, Premium). The caller
	// narrows them down, typically to the subscriptions the customer has.
	Candidates []string
	// Exact is true when a name or alias matched word for word, false when
	// the match tolerated typos ("bussiness standrad").
	Exact bool
	// Role is set for upgrades and alignments: RoleSource/RoleTarget,
	// RoleSubject/RoleReference. Offers keeps the order [source, target]
	// (or [subject, reference]) whenever both were named; when only one
	// product was named its Role says which one it is ("upgrade to
	// premium" names only the target).
	Role string
}

// Intent is the result of parsing one message.
type Intent struct {
	Kind Kind
	// Lang is the language the message is written in, "en" or "fr", from
	// its function words, verbs and accents; "" when there is no signal
	// ("ok", "E3").
	Lang string
	// Quantity is the seat count asked for (0 when none or invalid), in
	// the unit of Kind: seats to add, remove or upgrade; the renewal total
	// for set_renewal_quantity.
	Quantity    int
	HasQuantity bool
	// Total is set instead of Quantity when the words gave a total where
	// Kind counts a change: "reduce E3 to 8", "set E3 to 12", "passer de
	// 10 à 8 licences" (add_seats/remove_seats). HasQuantity is then
	// false, so a caller that reads only Quantity asks how many rather
	// than removing 8 seats; one that reads Total computes the change.
	Total int
	// Delta is set instead of Quantity when the words gave a change where
	// Kind counts a total: "reduce the renewal by 2" → -2, "add 2 seats at
	// renewal" → +2 (set_renewal_quantity). HasQuantity is then false, for
	// the same reason.
	Delta int
	// All: "all", "all of them", "tous", "toutes".
	All bool
	// QuantityError is "" or one of QuantityNegative, QuantityTooLarge,
	// QuantityZero, QuantityNotANumber; Quantity is then 0 and
	// HasQuantity true.
	QuantityError string
	// Offers are the products named, in text order, except that upgrades
	// are ordered [source, target] and alignments [subject, reference].
	Offers []OfferRef
	// IntoExisting: "into the existing line", "dans la ligne existante",
	// "merge", or a reply such as "the existing one".
	IntoExisting bool
	// NewLine: "as a new line", "nouvelle ligne", or a reply "a new one".
	NewLine bool
	// RequestID is a request named by id, normalized to the workflow's
	// form "R-<n>" whatever was typed ("r12", "req-12", "#12", "demande 12").
	RequestID string
	// Language is the language asked for by Kind language: "en" or "fr".
	Language string
	// Platform is where Kind choose_platform asks the bot to write:
	// "slack" or "teams".
	Platform string
	// Truncated is true when only the first MaxRunes runes were analysed.
	Truncated bool
	// Question is what a question named beyond its kind (topics_questions.go).
	Question Question
	// UnknownProduct is a product named that the catalog does not have
	// ("Visio Plan 2"), as typed; set only when no offer was named.
	UnknownProduct string
}

// Parser parses messages against one catalog. It is immutable after
// NewParser and safe for concurrent use.
type Parser struct {
	lex    *lexicon
	offers *offerIndex
	nums   map[string]numberWord
	rules  []rule
}

// NewParser indexes the catalog's names and aliases and builds the
// vocabulary once, so that Parse does no setup work. A nil catalog gives
// a parser that recognises no products.
func NewParser(cat *csp.Catalog) *Parser {
	lex := buildLexicon(lexiconEntries(), topicEntries())
	return &Parser{
		lex:    lex,
		offers: buildOfferIndex(cat, lex),
		nums:   numberWords(),
		rules:  classifierRules(),
	}
}

// Parse reads one message. It never panics and never calls out.
func (p *Parser) Parse(text string) Intent {
	a := p.analyse(text)
	in := Intent{Truncated: a.truncated}
	in.Kind = p.classify(a)
	p.fill(a, &in)
	a.fillQuestion(&in) // topics_questions.go
	return in
}

// MatchOffer matches free text against the catalog, for answers to "which
// product?" ("the E3 one", "bussiness standard"). Several products named
// give one ambiguous OfferRef with all their candidates; none gives a
// zero OfferRef.
func (p *Parser) MatchOffer(text string) OfferRef {
	a := p.analyse(text)
	var ref OfferRef
	for i, m := range a.mentions {
		r := p.offerRef(a, m)
		if i == 0 {
			ref = r
			continue
		}
		ref.Text += ", " + r.Text
		ref.Exact = ref.Exact && r.Exact
		for _, c := range r.Candidates {
			if !contains(ref.Candidates, c) {
				ref.Candidates = append(ref.Candidates, c)
			}
		}
	}
	return ref
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

type itemKind uint8

const (
	itWord itemKind = iota
	itConcept
	itNumber
	itOffer
)

// item is one unit of meaning: a phrase of the lexicon, a number, a
// product, or a word the parser does not know.
type item struct {
	kind       itemKind
	start, end int // token range
	c          concept
	t          topic
	lang       langTag
	offer      int // index in analysis.mentions

	// numbers
	val     int64
	numErr  string
	article bool // "a", "une": one only in front of a seat or product
	spelled bool // written as a word
	one     bool // the word "one" (also a pronoun: "the E3 one")
	plus    bool
	neg     bool
	excl    bool // part of a product name or a date: not a quantity
}

// analysis is everything the rules look at.
type analysis struct {
	input     string
	toks      []token
	items     []item
	mentions  []mention
	mask      concept // union of the concepts of all items
	topics    topic   // union of the topics of all items
	question  bool
	truncated bool
	requestID string
	unknown   int // words the parser does not know
	en, fr    int // language scores
	qty       *item
	qtyTarget bool
	qtyFrom   *item   // the starting number of "from 10 to 8"
	langCode  string  // "en"/"fr" typed after a language word ("lang fr")
	lastLang  concept // the last of cEnglish/cFrench named
}

func (a *analysis) has(c concept) bool { return a.mask&c != 0 }

// about reports whether the message names any of the topics t.
func (a *analysis) about(t topic) bool { return a.topics&t != 0 }

func (a *analysis) firstIndex(c concept) int {
	for i, it := range a.items {
		if it.kind == itConcept && it.c&c != 0 {
			return i
		}
		if it.kind == itNumber && it.plus && c&cAdd != 0 {
			return i
		}
	}
	return -1
}

func (p *Parser) analyse(text string) *analysis {
	nt := normalize(text)
	toks, question := tokenize(nt)
	a := &analysis{input: text, toks: toks, question: question, truncated: nt.truncated}

	blocked := make([]bool, len(toks))
	a.requestID = findRequestID(toks, blocked)

	fuzzy := make([]bool, len(toks))
	for i, t := range toks {
		fuzzy[i] = p.fuzzyEligible(t)
	}
	a.mentions = p.offers.findOffers(toks, blocked, fuzzy)
	p.buildItems(a, blocked)
	p.pickQuantity(a)
	p.scoreLanguage(a)
	return a
}

// fuzzyEligible: only unknown, all-letter words of four letters or more
// may be typos of a product word. Vocabulary words ("seats", "terms",
// "premier", "entreprise") never are, which keeps "terms" from becoming
// Teams and "entreprise" from becoming Apps for enterprise.
func (p *Parser) fuzzyEligible(t token) bool {
	if len(t.text) < 4 || len(t.text) > 32 {
		return false
	}
	for i := 0; i < len(t.text); i++ {
		if c := t.text[i]; c < 'a' || c > 'z' {
			return false
		}
	}
	if _, ok := p.lex.words[t.text]; ok {
		return false
	}
	_, num := p.nums[t.text]
	return !num
}

// findRequestID finds "R-12", "r12", "req-12", "REQ 12", "#12",
// "request 12", "demande n° 12" and blocks the tokens it used so that the
// number is not read as a quantity. The first id named wins; every one
// is blocked.
func findRequestID(toks []token, blocked []bool) string {
	id := ""
	for i := range toks {
		n, from, ok := requestNumberAt(toks, i)
		if !ok {
			continue
		}
		if id == "" {
			id = "R-" + strconv.FormatInt(n, 10)
		}
		for k := from; k <= i; k++ {
			blocked[k] = true
		}
	}
	return id
}

// requestNumberAt reads a request number ending at token i, and returns
// the first token that belongs to it (the "r" of "r 12", the "n°" of
// "demande n° 12"; the noun itself stays a word).
func requestNumberAt(toks []token, i int) (n int64, from int, ok bool) {
	t := toks[i]
	if n, ok := gluedRequestNumber(t.text); ok {
		return n, i, true // r12, req12
	}
	if t.num && t.hash && !t.big && !t.frac && !t.date {
		return t.val, i, true // #12
	}
	if !t.num || t.big || t.frac || t.date || t.neg || i == 0 {
		return 0, 0, false
	}
	switch toks[i-1].text {
	case "r", "req":
		return t.val, i - 1, true
	}
	if j, ok := requestNounBefore(toks, i); ok && !isSeatWord(toks, i+1) {
		return t.val, j + 1, true
	}
	return 0, 0, false
}

// gluedRequestNumber reads letters glued to digits: "r12", "req12".
func gluedRequestNumber(w string) (int64, bool) {
	if len(w) <= 1 || w[0] != 'r' {
		return 0, false
	}
	rest := strings.TrimPrefix(strings.TrimPrefix(w, "req"), "r")
	if rest == "" || !isNumberText(rest) || len(rest) > 9 {
		return 0, false
	}
	n, _ := strconv.ParseInt(rest, 10, 64)
	return n, true
}

// requestNounBefore finds "request", "demande", "ticket"… before the
// number at i, possibly through "n°"/"no"/"number", and returns its index.
func requestNounBefore(toks []token, i int) (int, bool) {
	j := i - 1
	switch toks[j].text {
	case "n", "no", "number", "numero", "num":
		if j > 0 {
			j--
		}
	}
	switch toks[j].text {
	case "request", "demande", "requete", "ticket", "id":
		return j, true
	}
	return 0, false
}

// isSeatWord: a number followed by seats counts them ("je demande 2
// licences"), it does not name a request.
func isSeatWord(toks []token, i int) bool {
	if i >= len(toks) {
		return false
	}
	switch toks[i].text {
	case "seat", "seats", "licence", "licences", "license", "licenses", "user", "users", "poste", "postes", "siege", "sieges", "utilisateurs":
		return true
	}
	return false
}

// brandBefore: a number right after these words is part of a product
// name ("Office 365", "Plan 2", "Exchange 2"), not a quantity.
func brandBefore(w string) bool {
	switch w {
	case "microsoft", "office", "plan", "forfait", "exchange", "windows", "project", "visio",
		"dynamics", "version", "v", "m", "o", "e", "f", "p", "kb", "ms", "365", "teams":
		return true
	}
	return false
}

// buildItems reads the tokens into items: products where findOffers
// matched, then the longest lexicon phrase, a number, or an unknown word.
func (p *Parser) buildItems(a *analysis, blocked []bool) {
	toks := a.toks
	a.items = make([]item, 0, len(toks))
	mi := 0
	for i := 0; i < len(toks); {
		if mi < len(a.mentions) && a.mentions[mi].start == i {
			m := a.mentions[mi]
			a.items = append(a.items, item{kind: itOffer, start: m.start, end: m.end, offer: mi})
			i = m.end
			mi++
			continue
		}
		if blocked[i] {
			i++
			continue
		}
		limit := len(toks) // phrases and numbers stop at the next product
		if mi < len(a.mentions) {
			limit = a.mentions[mi].start
		}
		i += p.appendWordItem(a, blocked, i, limit)
	}
	a.foldConcepts()
	a.readNeQue()
	a.readLangCode()
}

// appendWordItem appends the item that starts at token i and returns the
// number of tokens it covers. A phrase of two words or more wins over a
// number ("one drive"); a number wins over a one-word concept.
func (p *Parser) appendWordItem(a *analysis, blocked []bool, i, limit int) int {
	toks := a.toks
	n, ln := p.lex.longest(toks, i, limit, blocked)
	if n >= 2 {
		a.items = append(a.items, item{kind: itConcept, start: i, end: i + n, c: ln.c, t: ln.t, lang: ln.lang})
		return n
	}
	if toks[i].num {
		a.items = append(a.items, digitItem(toks, i))
		return 1
	}
	if v, k, nw := p.numberWordAt(toks, i, limit); k > 0 {
		it := item{kind: itNumber, start: i, end: i + k, val: int64(v), spelled: true, article: nw.article, lang: nw.lang, one: toks[i].text == "one" && k == 1}
		if n == 1 {
			it.c, it.t = ln.c, ln.t
		}
		a.items = append(a.items, it)
		return k
	}
	if n == 1 {
		a.items = append(a.items, item{kind: itConcept, start: i, end: i + 1, c: ln.c, t: ln.t, lang: ln.lang})
		return 1
	}
	a.items = append(a.items, item{kind: itWord, start: i, end: i + 1})
	a.unknown++
	return 1
}

// digitItem is the number item of digits token i: a date or a number
// after a brand word ("Office 365") is never a quantity; too large or
// fractional numbers carry their error.
func digitItem(toks []token, i int) item {
	t := toks[i]
	it := item{kind: itNumber, start: i, end: i + 1, val: t.val, plus: t.plus, neg: t.neg}
	switch {
	case t.date:
		it.excl = true
	case t.big:
		it.numErr = QuantityTooLarge
	case t.frac:
		it.numErr = QuantityNotANumber
	}
	if i > 0 && brandBefore(toks[i-1].text) && !t.plus && !t.neg {
		it.excl = true
	}
	return it
}

// foldConcepts sets the message's concept mask and the last language
// named.
func (a *analysis) foldConcepts() {
	for i := range a.items {
		it := &a.items[i]
		a.mask |= it.c
		a.topics |= it.t
		if it.kind == itConcept && it.c&(cEnglish|cFrench) != 0 {
			a.lastLang = it.c & (cEnglish | cFrench)
		}
	}
}

// readNeQue: French "ne … que" is "only", not a negation: "ne renouveler
// que 6".
func (a *analysis) readNeQue() {
	if a.mask&cNot == 0 {
		return
	}
	seenNe := false
	for _, t := range a.toks {
		switch t.text {
		case "ne", "n":
			seenNe = true
		case "que", "qu":
			if seenNe {
				a.mask = a.mask&^cNot | cOnly
			}
		}
	}
}

// readLangCode reads a language code typed last: "lang fr",
// "language: en".
func (a *analysis) readLangCode() {
	n := len(a.items)
	if n == 0 {
		return
	}
	last := a.items[n-1]
	if last.kind == itWord {
		switch a.toks[last.start].text {
		case "fr", "fra", "fre":
			a.langCode = "fr"
		case "eng":
			a.langCode = "en"
		}
	}
	if last.kind == itConcept && a.toks[last.start].text == "en" && last.end-last.start == 1 {
		a.langCode = "en"
	}
}

// numberWordAt reads a spelled quantity at i: "two", "douze", and the
// compounds "dix-sept", "vingt et un", "twenty-one".
func (p *Parser) numberWordAt(toks []token, i, limit int) (int, int, numberWord) {
	nw, ok := p.nums[toks[i].text]
	if !ok {
		return 0, 0, nw
	}
	next := func(k int) (numberWord, bool) {
		if i+k >= limit {
			return numberWord{}, false
		}
		w, ok := p.nums[toks[i+k].text]
		return w, ok && !w.article && w.val >= 1 && w.val <= 9
	}
	switch toks[i].text {
	case "dix":
		if w, ok := next(1); ok && w.val >= 7 {
			return 10 + w.val, 2, nw
		}
	case "vingt":
		if i+2 < limit && toks[i+1].text == "et" && (toks[i+2].text == "un" || toks[i+2].text == "une") {
			return 21, 3, nw
		}
		if w, ok := next(1); ok && w.val >= 2 {
			return 20 + w.val, 2, nw
		}
	case "twenty":
		if w, ok := next(1); ok {
			return 20 + w.val, 2, nw
		}
	}
	return nw.val, 1, nw
}

// quantityPick collects, over the numbers of a message, the candidates
// for its seat count.
type quantityPick struct {
	first        *item // the first number that may be a quantity
	firstArticle *item // the first "a"/"une" that counts as one
	lastTarget   *item // the last number after "to"/"à": a total
	best         *item // the number that most looks like a seat count
	bestScore    int
}

// pickQuantity chooses the seat count among the numbers of the message:
// a target ("to 8") first, then the number that counts something, then
// the first number, then an article ("a new E3 licence").
func (p *Parser) pickQuantity(a *analysis) {
	var q quantityPick
	for k := range a.items {
		it := &a.items[k]
		if it.kind != itNumber || it.excl {
			continue
		}
		var prev *item
		if k > 0 {
			prev = &a.items[k-1]
		}
		if it.article {
			if q.firstArticle == nil && a.articleCounts(k, prev) {
				q.firstArticle = it
			}
			continue
		}
		if it.one && prev != nil && (prev.kind == itOffer || prev.c&(cThe|cWhat|cIt|cNew|cExisting) != 0) {
			continue // "the E3 one", "which one", "a new one": a pronoun
		}
		if prev != nil && prev.kind == itConcept && prev.c&cMinus != 0 {
			it.neg = true
		}
		q.consider(it, a.introducesTotal(prev, it), a.countScore(k))
	}
	q.decide(a)
}

// articleCounts: "a"/"an"/"une" count as one only before a seat noun or
// a product, possibly through "new"/"more" ("a new E3 licence"). A bare
// "a" after a product or a number is "à" typed without its accent ("de
// E1 a E3", "de 10 a 8").
func (a *analysis) articleCounts(k int, prev *item) bool {
	if prev != nil && (prev.kind == itOffer || prev.kind == itNumber) && a.toks[a.items[k].start].text == "a" {
		return false
	}
	j := k + 1
	for j < len(a.items) && a.items[j].kind == itConcept && a.items[j].c != 0 && a.items[j].c&^(cMore|cNew|cFiller) == 0 {
		j++
	}
	if j >= len(a.items) {
		return false
	}
	nx := a.items[j]
	return nx.kind == itOffer || (nx.kind == itConcept && nx.c&cSeatNoun != 0)
}

// introducesTotal: the number follows "to"/"à" (not "from … to" in one
// word), or a bare "a" that is "à" without its accent ("de 10 a 8").
func (a *analysis) introducesTotal(prev, it *item) bool {
	if prev == nil {
		return false
	}
	if prev.kind == itConcept {
		return prev.c&cTo != 0 && prev.c&cFrom == 0
	}
	return prev.kind == itNumber && prev.article && a.toks[prev.start].text == "a" && !it.spelled
}

// consider notes a number that may be the quantity. Stray digits (a
// link, "alert(1)") only count when nothing better is there: the best is
// the number before seats or a product ("2 E3", "3 more licences"), or
// right after a change verb ("add 2").
func (q *quantityPick) consider(it *item, total bool, score int) {
	if q.first == nil {
		q.first = it
	}
	if total {
		q.lastTarget = it
	}
	if score > q.bestScore {
		q.best, q.bestScore = it, score
	}
}

func (q *quantityPick) decide(a *analysis) {
	switch {
	case q.lastTarget != nil:
		a.qty, a.qtyTarget = q.lastTarget, true
		if q.first != nil && q.first != q.lastTarget && q.first.numErr == "" && !q.first.neg {
			a.qtyFrom = q.first // "from 10 to 8"
		}
	case q.bestScore > 0:
		a.qty = q.best
	case q.first != nil:
		a.qty = q.first
	case q.firstArticle != nil:
		a.qty = q.firstArticle
	}
}

// countScore rates how much number k looks like a seat count.
func (a *analysis) countScore(k int) int {
	score := 0
	j := k + 1
	for j < len(a.items) && a.items[j].kind == itConcept && a.items[j].c != 0 && a.items[j].c&^(cMore|cNew|cAll|cFiller|cExisting) == 0 {
		j++
	}
	if j < len(a.items) && (a.items[j].kind == itOffer || (a.items[j].kind == itConcept && a.items[j].c&cSeatNoun != 0)) {
		score += 2
	}
	if k > 0 && a.items[k-1].kind == itConcept && a.items[k-1].c&(cAction|cNeed|cOnly) != 0 {
		score++
	}
	return score
}

func (p *Parser) scoreLanguage(a *analysis) {
	add := func(t langTag) {
		switch t {
		case langEN:
			a.en += 2
		case langENWeak:
			a.en++
		case langFR:
			a.fr += 2
		case langFRWeak:
			a.fr++
		}
	}
	for _, it := range a.items {
		switch it.kind {
		case itOffer:
			if a.mentions[it.offer].fr {
				a.fr++
			}
			continue
		case itConcept, itNumber:
			add(it.lang)
		}
		for k := it.start; k < it.end; k++ {
			if a.toks[k].accent {
				a.fr++
			}
		}
	}
}

// fill sets everything but Kind from the analysis.
func (p *Parser) fill(a *analysis, in *Intent) {
	switch {
	case len(a.toks) == 1 && len(a.toks[0].text) == 1:
		// "y", "n", "o": no language signal in a single letter.
	case a.en > a.fr:
		in.Lang = "en"
	case a.fr > a.en:
		in.Lang = "fr"
	}
	in.RequestID = a.requestID
	in.All = a.has(cAll)
	if q := a.qty; q != nil {
		in.HasQuantity = true
		switch {
		case q.neg:
			in.QuantityError = QuantityNegative
		case q.numErr != "":
			in.QuantityError = q.numErr
		case q.val == 0:
			in.QuantityError = QuantityZero
		case q.val > MaxQuantity:
			in.QuantityError = QuantityTooLarge
		default:
			in.Quantity = int(q.val)
		}
	}
	if in.HasQuantity && in.QuantityError == "" {
		switch in.Kind {
		case KindAddSeats, KindRemoveSeats:
			if a.qtyTarget {
				in.Total, in.Quantity, in.HasQuantity = in.Quantity, 0, false
			}
		case KindSetRenewalQuantity:
			// A renewal quantity is a total unless the words asked for a
			// change: "reduce the renewal by 2", "remove 3 seats at renewal".
			if a.has(cRemove|cReduce|cAdd|cMore|cCancel) && !a.qtyTarget && !a.has(cOnly|cKeep) {
				sign := 1
				if a.has(cRemove | cReduce | cCancel) {
					sign = -1
				}
				in.Delta, in.Quantity, in.HasQuantity = sign*in.Quantity, 0, false
			}
		}
	}
	// "existing"/"new" speak of a line only next to a line or subscription
	// noun, a merge verb, or as a bare reply to "merge or new line?"
	// ("the existing one"): "quand même" or "2 new seats" say nothing.
	short := len(a.mentions) == 0 && a.qty == nil
	in.IntoExisting = a.has(cExisting) && (a.has(cLineNoun|cSubNoun) || short)
	in.NewLine = a.has(cNew) && (a.has(cLineNoun|cSubNoun) || short)
	if in.Kind == KindLanguage {
		in.Language = a.languageAsked()
	}
	if in.Kind == KindChoosePlatform {
		in.Platform = a.platformNamed()
	}
	in.Offers = p.offerRefs(a, in.Kind)
	in.UnknownProduct = a.unknownProductText()
}

func (a *analysis) languageAsked() string {
	switch {
	case a.lastLang == cEnglish:
		return "en"
	case a.lastLang == cFrench:
		return "fr"
	}
	return a.langCode
}

func (p *Parser) offerRef(a *analysis, m mention) OfferRef {
	ref := OfferRef{Exact: m.exact}
	if len(a.toks) > 0 && m.start < m.end && m.end <= len(a.toks) {
		s, e := a.toks[m.start].start, a.toks[m.end-1].end
		if 0 <= s && s <= e && e < len(a.input) && a.input[e] == ')' &&
			strings.Count(a.input[s:e], "(") > strings.Count(a.input[s:e], ")") {
			e++ // quote "Exchange Online (Plan 2)" with its closing bracket
		}
		if 0 <= s && s <= e && e <= len(a.input) {
			ref.Text = cleanText(a.input[s:e])
		}
	}
	ref.Candidates = make([]string, 0, len(m.cands))
	for _, c := range m.cands {
		ref.Candidates = append(ref.Candidates, p.offers.ids[c])
	}
	return ref
}

// maxOffers bounds the products reported for one message.
const maxOffers = 16

// offerRefs lists the products in text order, or in role order for
// upgrades and alignments.
func (p *Parser) offerRefs(a *analysis, kind Kind) []OfferRef {
	if len(a.mentions) == 0 {
		return nil
	}
	n := min(len(a.mentions), maxOffers)
	refs := make([]OfferRef, 0, n)
	for _, m := range a.mentions[:n] {
		refs = append(refs, p.offerRef(a, m))
	}
	switch kind {
	case KindUpgrade:
		return assignRoles(refs, a.preps(n), cTo, cFrom, RoleSource, RoleTarget)
	case KindAlignEndDate:
		return assignRoles(refs, a.preps(n), cWith|cTo, 0, RoleSubject, RoleReference)
	}
	return refs
}

// preps returns, for each of the first n products, the concept of the
// preposition that introduces it ("to E3", "from E1", "sur E3"), looking
// back over words that do not change it ("to all my E3 seats").
func (a *analysis) preps(n int) []concept {
	out := make([]concept, n)
	for k, it := range a.items {
		if it.kind != itOffer || it.offer >= n {
			continue
		}
		for j := k - 1; j >= 0; j-- {
			pj := a.items[j]
			if pj.kind == itNumber {
				if pj.article && a.toks[pj.start].text == "a" && it.offer > 0 {
					// "de E1 a E3" typed without the accent.
					out[it.offer] = cTo
					break
				}
				continue
			}
			if pj.kind != itConcept {
				break
			}
			if pj.c&(cTo|cFrom|cWith) != 0 {
				out[it.offer] = pj.c & (cTo | cFrom | cWith)
				break
			}
			if pj.c != 0 && pj.c&^cOfferNoise != 0 {
				break
			}
		}
	}
	return out
}

// assignRoles orders two products as [first role, second role]: the one
// introduced by toPrep ("to", "vers", "with", "sur") is second, the one
// introduced by fromPrep ("from", "de") first, otherwise text order.
func assignRoles(refs []OfferRef, preps []concept, toPrep, fromPrep concept, firstRole, secondRole string) []OfferRef {
	isTo := func(i int) bool { return preps[i]&toPrep != 0 && (fromPrep == 0 || preps[i]&fromPrep == 0) }
	if len(refs) == 1 {
		if isTo(0) {
			refs[0].Role = secondRole
		} else {
			refs[0].Role = firstRole
		}
		return refs
	}
	// The second product is the first one after the start introduced by
	// toPrep; the first product itself only when nothing else is ("to E3
	// from E1").
	second := -1
	for i := 1; i < len(refs); i++ {
		if isTo(i) {
			second = i
			break
		}
	}
	if second == -1 && isTo(0) {
		second = 0
	}
	first := -1
	if fromPrep != 0 {
		for i := range refs {
			if i != second && preps[i]&fromPrep != 0 {
				first = i
				break
			}
		}
	}
	if first == -1 {
		for i := range refs {
			if i != second {
				first = i
				break
			}
		}
	}
	if second == -1 {
		for i := range refs {
			if i != first {
				second = i
				break
			}
		}
	}
	out := make([]OfferRef, 0, len(refs))
	a, b := refs[first], refs[second]
	a.Role, b.Role = firstRole, secondRole
	out = append(out, a, b)
	for i, r := range refs {
		if i != first && i != second {
			out = append(out, r)
		}
	}
	return out
}
