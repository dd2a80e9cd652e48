package intent

// Buying a new subscription from the catalog: "buy 5 Office 365 E5",
// "je voudrais 3 licences Visio Plan 2", "I need a new Visio Plan 2
// subscription", "commander 4 licences E5". Topic bits 32–39 are this
// feature's.
const (
	// tBuy: the verbs of buying ("buy", "order", "acheter",
	// "commander"); unlike "add", they do not say the product is held.
	tBuy topic = 1 << (32 + iota)
	// tSeatWord: "seats", "sièges", "postes": words that count seats of
	// a subscription held, unlike "licences", which also name a product
	// bought ("3 licences Visio").
	tSeatWord
)

// buyTopicEntries is the vocabulary of buying, appended to topicEntries.
func buyTopicEntries() []topicEntry {
	return []topicEntry{
		{tBuy, langEN, "buy|buying|purchase|purchasing|order|ordering|subscribe|subscribe to|sign up for"},
		{tBuy, langFR, "acheter|achète|achetez|achetons|achat|commander|commande|commandez|commandons|souscrire|souscris|souscrivez|s abonner"},
		{tSeatWord, langEN, "seat|seats"},
		{tSeatWord, langFR, "siège|sièges|poste|postes"},
	}
}

// maxUnknownProduct bounds the words of a product the catalog lacks.
const maxUnknownProduct = 5

// addVerb: the message says "add" (or "ajoute", "il me faut"), a verb
// of adding to what is held, not only a verb of buying.
func (a *analysis) addVerb() bool {
	for _, it := range a.items {
		if it.kind == itConcept && it.c&cAdd != 0 && it.t&tBuy == 0 {
			return true
		}
	}
	return false
}

// namesSomething: a product of the catalog, or one it lacks.
func (a *analysis) namesSomething() bool { return a.offerCount() > 0 || a.unknownProduct() >= 0 }

// buysNew: "buy 5 Office 365 E5", "commander 4 licences E5", "order 10
// Power BI Pro" — a verb of buying, a product, and nothing that says the
// seats go to a line held ("more", "seats", "add"). Whether the
// customer already has the product is the dialogue's to find out.
func (a *analysis) buysNew() bool {
	return a.about(tBuy) && !a.has(cMore|cNot|cRemove|cUpgrade) && !a.about(tSeatWord) && !a.addVerb() && a.namesSomething()
}

// wantsNewSubscription: "new subscription of E5", "I need a new Visio
// Plan 2 subscription", "nouvel abonnement E5" — but "add 3 E3 as a new
// subscription" adds seats, and an upgrade into a new line is an upgrade.
func (a *analysis) wantsNewSubscription() bool {
	return a.has(cNew) && a.has(cSubNoun) && !a.addVerb() && !a.has(cUpgrade|cAlign|cMove|cRemove|cNot) && a.namesSomething()
}

// needsUnknownProduct: "je voudrais 3 licences Visio Plan 2", "I need
// Power BI Pro licences": something is wanted that the catalog does not
// have. (Products it has stay seat additions: "I need 3 E1 licences".)
func (a *analysis) needsUnknownProduct() bool {
	return a.has(cNeed|cRequest) && !a.has(cNot|cRemove) && a.offerCount() == 0 && a.unknownProduct() >= 0
}

// unknownProduct returns the index of the first item of words that name
// a product the catalog does not have ("Visio Plan 2", "Power BI Pro"),
// or -1: a run of unknown words (with a number after "plan") right after
// a quantity, a seat or subscription noun, "new", a verb of buying or
// "of"/"de", or right before a seat or subscription noun.
func (a *analysis) unknownProduct() int {
	i, _ := a.unknownProductRun()
	return i
}

func (a *analysis) unknownProductRun() (start, end int) {
	if len(a.mentions) > 0 {
		return -1, -1
	}
	for i := 0; i < len(a.items); {
		j := i
		letters := false
		for j < len(a.items) && j-i < maxUnknownProduct {
			it := a.items[j]
			if it.kind == itWord {
				letters = letters || len(a.toks[it.start].text) >= 2
				j++
				continue
			}
			if j > i && (it.kind == itNumber && it.excl || it.end-it.start == 1 && productTail(a.toks[it.start].text)) {
				j++
				continue
			}
			break
		}
		if j > i && letters && (a.introducesProduct(i-1) || a.followsProduct(j)) {
			return i, j
		}
		i = max(j, i+1)
	}
	return -1, -1
}

// productTail: words that continue a product's name after its own
// ("Visio Plan 2", "Project Online Premium") though the vocabulary gives
// them another meaning.
func productTail(w string) bool {
	switch w {
	case "plan", "forfait", "edition", "online", "premium", "standard", "basic", "pro", "essentials":
		return true
	}
	return false
}

// introducesProduct: item k can come right before a product's name.
func (a *analysis) introducesProduct(k int) bool {
	if k < 0 {
		return false
	}
	it := a.items[k]
	switch it.kind {
	case itNumber:
		return !it.excl
	case itConcept:
		if it.c&(cSeatNoun|cSubNoun|cNew) != 0 || it.t&tBuy != 0 {
			return true
		}
		switch a.toks[it.end-1].text {
		case "of", "de", "d", "des", "du":
			return k > 0 && a.items[k-1].kind == itConcept && a.items[k-1].c&(cSeatNoun|cSubNoun) != 0
		}
	}
	return false
}

// followsProduct: item k can come right after a product's name.
func (a *analysis) followsProduct(k int) bool {
	return k < len(a.items) && a.items[k].kind == itConcept && a.items[k].c&(cSeatNoun|cSubNoun) != 0
}

// unknownProductText is the unknown product as typed, or "".
func (a *analysis) unknownProductText() string {
	i, j := a.unknownProductRun()
	if i < 0 {
		return ""
	}
	first, last := a.toks[a.items[i].start], a.toks[a.items[j-1].end-1]
	if first.start < 0 || last.end > len(a.input) || first.start > last.end {
		return ""
	}
	return cleanText(a.input[first.start:last.end])
}
