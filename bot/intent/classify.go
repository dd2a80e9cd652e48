package intent

// The rules run in a fixed order and the first that applies decides. The
// order encodes which reading wins when a sentence could be read two ways:
//
//  1. short replies made only of known words (yes, no, abort, help):
//     "cancel" alone aborts the dialogue, "cancel the subscription" does not;
//  2. language switches ("speak French"), without a product;
//  3. requests: withdraw, pending approvals, my requests — named by their
//     own nouns, so they come before the changes that share verbs
//     ("annule ma demande" is not "annule E3");
//  4. end-date alignment and upgrades, which name two products;
//  5. renewal and auto-renew, before cancel and remove, because "cancel
//     the renewal" and "reduce the renewal to 3" are about the renewal;
//  6. cancel now; then prices and the catalog when no change verb is used;
//  7. add and remove seats (the first verb wins when both appear);
//  8. show a product, list subscriptions, help; unknown otherwise.

// shortSet: what a bare "cancel"/"stop" reply may contain and still be a
// reply rather than a change ("cancel it", "annule tout", "no, stop").
const shortSet = cAbort | cCancel | cStop | cIt | cAll | cNo | cNot | cNow | cThe | cYes

func (p *Parser) classify(a *analysis) Kind {
	nOffers := len(a.mentions)
	hasQty := a.qty != nil

	if len(a.toks) == 0 {
		if a.question {
			return KindHelp
		}
		return KindUnknown
	}
	if len(a.toks) == 1 {
		// One-letter answers typed in a terminal.
		switch a.toks[0].text {
		case "y", "o": // "o" is "oui" in French terminals
			return KindYes
		case "n":
			return KindNo
		}
	}
	if a.pure() {
		if k, ok := a.shortReply(); ok {
			return k
		}
	}

	// Language.
	if nOffers == 0 && !hasQty {
		if a.has(cEnglish|cFrench) && !a.has(cAction&^(cMove|cSet)) {
			return KindLanguage
		}
		if a.has(cLanguage) && a.langCode != "" {
			return KindLanguage
		}
	}

	// Requests and approvals.
	named := a.has(cRequest) || a.requestID != ""
	if a.has(cWithdraw) {
		return KindWithdraw
	}
	if named && nOffers == 0 && a.has(cCancel|cRemove|cRetire|cStop|cAbort) {
		return KindWithdraw
	}
	if a.has(cApproval) && !a.has(cAdd|cMore|cRemove|cUpgrade|cAlign|cCancel|cRenewal) {
		return KindPendingApprovals
	}
	if a.has(cPending) && !a.has(cMy) && nOffers == 0 && !hasQty && !a.has(cAction) {
		return KindPendingApprovals
	}
	if named && nOffers == 0 && !hasQty && !a.has(cAction|cNeed) {
		return KindMyRequests
	}

	// Two-product changes.
	if a.has(cAlign) || (a.has(cEndDate) && (nOffers >= 2 || a.has(cSet|cMove))) {
		return KindAlignEndDate
	}
	if a.has(cUpgrade) {
		return KindUpgrade
	}
	if nOffers >= 2 && a.has(cMove) {
		return KindUpgrade
	}
	if nOffers >= 2 && !a.has(cAction|cNeed|cPrice|cCatalog) {
		for _, pr := range a.preps(nOffers)[1:] {
			if pr&cTo != 0 {
				return KindUpgrade // "5 E1 to E3", "E1 → E3"
			}
		}
	}

	// Renewal and auto-renew.
	cancelCue := a.has(cCancel | cStop | cRetire | cOff | cNot | cRemove)
	if a.has(cTrial) && a.has(cNot|cOff|cStop) && !hasQty && !a.has(cNow) {
		return KindAutoRenewOff // "don't let the trial convert", "stop the trial"
	}
	if a.has(cEndTerm) && a.hasWord("let", "laisser", "laisse", "laissez") && !hasQty && !a.question {
		return KindAutoRenewOff // "let E3 expire", "laisser expirer teams"
	}
	if a.has(cEndTerm) && cancelCue && !hasQty && !a.has(cOn) {
		return KindAutoRenewOff // "cancel at the end of the term", "résilier à échéance"
	}
	if a.has(cRenewal) || (a.has(cEndTerm) && hasQty) {
		switch {
		case hasQty && !a.has(cAuto):
			return KindSetRenewalQuantity
		case cancelCue:
			return KindAutoRenewOff
		case a.has(cOn|cKeep) || a.endsWithOn():
			return KindAutoRenewOn
		case a.has(cRenewVerb|cAuto) && !a.has(cWhat|cShow|cDetails|cStatus|cEndDate) && !a.question:
			return KindAutoRenewOn // "renew teams", "auto-renew E3"
		}
	}

	// Cancel now.
	if a.has(cCancel) {
		switch {
		case hasQty && a.has(cSeatNoun):
			return KindRemoveSeats // "cancel 2 seats"
		case a.has(cTrial) && !a.has(cNow):
			// Cancelling a trial is stopping its conversion to paid (G5):
			// turning auto-renew off, which can be undone.
			return KindAutoRenewOff
		}
		return KindCancel
	}
	if a.has(cRemove|cRetire) && a.has(cSubNoun) && !a.has(cSeatNoun) && !hasQty {
		return KindCancel // "delete the subscription", "supprimer l'abonnement"
	}
	if a.has(cNeed) && a.has(cNot) && nOffers > 0 {
		if hasQty {
			return KindRemoveSeats // "we don't need 2 of the E3 seats"
		}
		return KindAutoRenewOff // "je n'en veux plus de teams": the reversible reading
	}
	if a.has(cStop) && nOffers > 0 {
		if a.has(cNow) {
			return KindCancel
		}
		// "stop teams": the reversible reading; the bot explains the
		// difference with a cancellation.
		return KindAutoRenewOff
	}

	// Prices and catalog, when no change is asked for.
	if a.has(cCatalog|cPrice) && !a.has(cAdd|cRemove|cRetire) {
		return KindCatalog
	}
	if a.has(cAdd) && a.has(cCan) && a.has(cWhat) && !hasQty && nOffers == 0 {
		return KindCatalog // "what licences can we buy"
	}

	// Add and remove seats.
	addAt := a.firstIndex(cAdd | cMore)
	remAt := a.firstIndex(cRemove | cRetire)
	switch {
	case addAt >= 0 && remAt >= 0:
		if addAt < remAt {
			return KindAddSeats
		}
		return KindRemoveSeats
	case addAt >= 0:
		return KindAddSeats
	case remAt >= 0:
		return KindRemoveSeats
	case a.has(cNeed|cRequest) && !a.has(cNot) && (hasQty || nOffers > 0):
		return KindAddSeats // "I need 3 E1 licences", "je voudrais 2 E3"
	case a.has(cSet|cMove) && a.qtyTarget && nOffers <= 1:
		// "set E3 to 12", "passer de 10 à 8 licences": a total (Total).
		// With a starting number the direction is known; otherwise the
		// caller compares the total with the current quantity.
		if a.qtyFrom != nil && a.qtyFrom.val > a.qty.val {
			return KindRemoveSeats
		}
		return KindAddSeats
	}

	// Views. A product or a number without a verb is most often the
	// answer to a question the bot asked ("which product?", "how many?"),
	// so it must not read as a command: the dialogue fills its slot from
	// a show/unknown intent, and would restart on add_seats or list.
	if nOffers > 0 {
		return KindShow
	}
	if a.has(cList) {
		return KindList
	}
	if !hasQty && a.has(cSubNoun|cSeatNoun) && (a.has(cShow|cMy|cWhat|cAll|cStatus) || a.mask&^(cSubNoun|cSeatNoun|cThe|cFiller) == 0) {
		return KindList
	}
	if a.has(cShow) && a.mask&^(cShow|cThe|cFiller|cAll|cMy|cIt) == 0 {
		return KindList
	}
	if a.has(cHelp) {
		return KindHelp
	}
	if !a.has(cAction) {
		switch {
		case a.has(cNo):
			return KindNo
		case a.has(cYes):
			return KindYes
		case a.has(cGreet) && a.unknown == 0:
			return KindHelp
		}
	}
	return KindUnknown
}

// pure: only vocabulary words, no product, number or request id.
func (a *analysis) pure() bool {
	if len(a.mentions) > 0 || a.requestID != "" || a.unknown > 0 {
		return false
	}
	for _, it := range a.items {
		if it.kind == itNumber && !it.article {
			return false
		}
	}
	return true
}

// shortReply reads replies made of a few known words.
func (a *analysis) shortReply() (Kind, bool) {
	m := a.mask &^ cFiller
	switch {
	case m == 0:
		if a.has(cGreet) || a.question {
			return KindHelp, true // "hi", "bonjour", "?"
		}
		return "", false
	case m&^cYes == 0:
		return KindYes, true
	case m&^(cNo|cNot) == 0:
		return KindNo, true
	case m&^shortSet == 0 && m&(cAbort|cStop) != 0:
		return KindAbort, true
	case m&^shortSet == 0 && m&cCancel != 0:
		if m&cYes != 0 && m&cNo == 0 {
			return KindYes, true // "yes, cancel it" confirms
		}
		return KindAbort, true
	case m&cHelp != 0 && m&^(cHelp|cWhat|cCan|cMy|cThe|cIt) == 0:
		return KindHelp, true
	case m&^(cWhat|cIt) == 0 && a.question:
		return KindHelp, true // "what?"
	}
	return "", false
}

// endsWithOn: "turn auto-renew on", "auto-renew on for teams".
func (a *analysis) endsWithOn() bool {
	for i := len(a.items) - 1; i >= 0; i-- {
		it := a.items[i]
		if it.kind == itOffer || (it.kind == itConcept && it.c&cFiller != 0) {
			continue
		}
		if it.kind == itConcept && it.end-it.start == 1 {
			w := a.toks[it.start].text
			return w == "on"
		}
		return false
	}
	return false
}

// hasWord reports whether one of the words occurs outside products.
func (a *analysis) hasWord(words ...string) bool {
	for _, it := range a.items {
		if it.kind == itOffer {
			continue
		}
		for k := it.start; k < it.end; k++ {
			for _, w := range words {
				if a.toks[k].text == w {
					return true
				}
			}
		}
	}
	return false
}
