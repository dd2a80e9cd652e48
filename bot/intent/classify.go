package intent

// The classifier is an ordered table of rules: each row is a named
// predicate over the analysis and the Kind it yields, and the first row
// whose predicate holds decides. The order encodes which reading wins
// when a sentence could be read two ways:
//
//  1. empty messages and short replies made only of known words (yes,
//     no, abort, help): "cancel" alone aborts the dialogue, "cancel the
//     subscription" does not;
//  2. language switches ("speak French"), without a product;
//  3. requests: withdraw, pending approvals, my requests — named by their
//     own nouns, so they come before the changes that share verbs
//     ("annule ma demande" is not "annule E3");
//  4. end-date alignment and upgrades, which name two products;
//  5. renewal and auto-renew, before cancel and remove, because "cancel
//     the renewal" and "reduce the renewal to 3" are about the renewal;
//  6. cancel now; then prices and the catalog when no change verb is used;
//  7. add and remove seats (the first verb wins when both appear);
//  8. show a product, list subscriptions, help, yes and no; unknown
//     otherwise.
//
// Because the first match wins, a predicate may assume that no earlier
// row matched: "cancels" does not repeat that the message is not about a
// trial, because "cancelsTrial" above it already took those.
//
// # Adding an intent
//
// Take "who approves my requests?" as the example:
//
//  1. add the constant (KindWhoApproves Kind = "who_approves") in
//     intent.go and to Kind.Valid;
//  2. if the question uses words the parser does not know yet, give them
//     a concept in lexicon.go (a new cApprover, or reuse cWhat and
//     cApproval);
//  3. write its predicate as a method of *analysis below, reading
//     concepts, never words: func (a *analysis) asksWhoApproves() bool {
//     return a.has(cWhat) && a.has(cApproval) && a.has(cMy) && ... };
//  4. add the row {KindWhoApproves, (*analysis).asksWhoApproves} to
//     classifierRules, above the first row that would otherwise take the
//     sentence (here asksApprovals, which would read it as "my pending
//     approvals"), with a comment saying why it sits there;
//  5. add the sentences to the table in intent_test.go, in both
//     languages, with the near misses that must keep their old reading.
//
// TestEveryRuleDecides fails when a row is never the one that decides,
// which is how a row placed under another that shadows it shows up.

// rule is one row of the classifier: when holds, the message is of kind.
type rule struct {
	kind Kind
	when func(*analysis) bool
}

// classifierRules returns the rules in the order they are tried. It is a
// function, not a package variable, so there is no package-level state;
// NewParser calls it once.
func classifierRules() []rule {
	return []rule{
		// Nothing to read: no rule below may see an empty message.
		{KindHelp, (*analysis).isEmptyQuestion},
		{KindUnknown, (*analysis).isEmpty},
		// One-letter answers typed in a terminal, before anything reads
		// "o" or "n" as a word.
		{KindYes, (*analysis).isLetterYes},
		{KindNo, (*analysis).isLetterNo},

		// Questions about licences, requests and roles
		// (topics_questions.go), read by topics only: before the short
		// replies, which see "what's my role?" as "what?", and before the
		// requests, the renewal and the catalog, which share their words
		// — "reject R-1" is not "my requests", "when does the trial
		// end?" is not a change to the trial, "how much do we pay per
		// month?" is not the list prices.
		{KindReject, (*analysis).rejectsRequest},
		{KindRequestStatus, (*analysis).asksRequestStatus},
		{KindMyRole, (*analysis).asksMyRole},
		{KindTotalCost, (*analysis).asksTotalCost},
		{KindWhen, (*analysis).asksWhen},

		// Short replies made only of vocabulary: before every change, so
		// that "cancel" or "no, stop" answers the question being asked.
		{KindHelp, (*analysis).isFillerQuestion},
		{KindYes, (*analysis).isShortYes},
		{KindNo, (*analysis).isShortNo},
		{KindAbort, (*analysis).isShortAbort},
		{KindYes, (*analysis).confirmsCancel}, // "yes, cancel it": before isShortCancel
		{KindAbort, (*analysis).isShortCancel},
		{KindHelp, (*analysis).isShortHelp},
		{KindHelp, (*analysis).isShortWhat},

		// Language switches name no product and no quantity.
		{KindLanguage, (*analysis).asksLanguage},

		// People and roles, before the requests and approvals: "who
		// approves my requests?" is not "my pending approvals", and "make
		// Alice a licence admin" names no product.
		{KindMakeAdmin, (*analysis).makesAdmin},
		{KindWhoApproves, (*analysis).asksWhoApproves},
		{KindWhoAccountManager, (*analysis).asksAccountManager},
		{KindWhoCanUse, (*analysis).asksWhoCanUse},
		// "send my messages to Teams": before anything reads "Teams" as
		// the Teams Essentials product.
		{KindChoosePlatform, (*analysis).choosesPlatform},

		// Requests and approvals, named by their own nouns, before the
		// changes that share their verbs.
		{KindWithdraw, (*analysis).withdraws},
		{KindWithdraw, (*analysis).cancelsRequest},
		{KindPendingApprovals, (*analysis).asksApprovals},
		{KindPendingApprovals, (*analysis).asksPending},
		{KindMyRequests, (*analysis).asksRequests},

		// Changes that name two products, before the renewal rules: "align
		// E3 with teams" must not read "teams renews".
		{KindAlignEndDate, (*analysis).alignsEndDates},
		{KindUpgrade, (*analysis).upgrades},
		{KindUpgrade, (*analysis).movesBetweenTwo},
		{KindUpgrade, (*analysis).goesFromOneToAnother},

		// The end of the term and the renewal, before cancel and remove:
		// "cancel the renewal" and "reduce the renewal to 3" are about
		// the renewal.
		{KindAutoRenewOff, (*analysis).stopsTrial},
		{KindAutoRenewOff, (*analysis).letsExpire},
		{KindAutoRenewOff, (*analysis).cancelsAtTermEnd},
		{KindSetRenewalQuantity, (*analysis).setsRenewalQuantity},
		{KindAutoRenewOff, (*analysis).cancelsRenewal},
		{KindAutoRenewOn, (*analysis).turnsRenewalOn},
		{KindAutoRenewOn, (*analysis).renews},

		// Cancel now, and the reversible readings of stopping a product.
		{KindRemoveSeats, (*analysis).cancelsSeats},
		{KindAutoRenewOff, (*analysis).cancelsTrial},
		{KindCancel, (*analysis).cancels},
		{KindCancel, (*analysis).deletesSubscription},
		{KindRemoveSeats, (*analysis).needsFewerSeats},
		{KindAutoRenewOff, (*analysis).noLongerNeeds},
		{KindCancel, (*analysis).stopsNow},
		{KindAutoRenewOff, (*analysis).stopsProduct},

		// Prices and the catalog, only once no change is asked for.
		{KindCatalog, (*analysis).asksCatalog},
		{KindCatalog, (*analysis).asksWhatToBuy},

		// Buying a new subscription (topics_buy.go): a verb of buying
		// without "more" or "seats", "a new subscription of X", or a
		// product the catalog lacks — before the seat additions, which
		// share "buy" and "je voudrais".
		{KindPurchase, (*analysis).buysNew},
		{KindPurchase, (*analysis).wantsNewSubscription},
		{KindPurchase, (*analysis).needsUnknownProduct},

		// Add and remove seats: the first verb wins when both appear.
		{KindAddSeats, (*analysis).addsFirst},
		{KindRemoveSeats, (*analysis).removes},
		{KindAddSeats, (*analysis).needsSeats},
		{KindRemoveSeats, (*analysis).setsLowerTotal},
		{KindAddSeats, (*analysis).setsTotal},

		// Licence usage and delegated admin access: questions without a
		// change verb (the rows above took those), before a product
		// named alone reads as "show E3".
		{KindUsage, (*analysis).asksUsage},
		{KindDelegatedAccess, (*analysis).asksDelegatedAccess},

		// Views. A product or a number without a verb is most often the
		// answer to a question the bot asked ("which product?", "how
		// many?"), so it must not read as a command: the dialogue fills
		// its slot from a show/unknown intent, and would restart on
		// add_seats or list.
		{KindShow, (*analysis).namesProduct},
		{KindList, (*analysis).asksList},
		{KindList, (*analysis).namesSubscriptions},
		{KindList, (*analysis).asksShow},
		{KindHelp, (*analysis).asksHelp},

		// Yes and no inside a longer sentence, last: any change verb
		// above has already won.
		{KindNo, (*analysis).saysNo},
		{KindYes, (*analysis).saysYes},
		{KindHelp, (*analysis).greets},
	}
}

// classify returns the kind of the first rule that holds.
func (p *Parser) classify(a *analysis) Kind {
	if i := p.decidingRule(a); i >= 0 {
		return p.rules[i].kind
	}
	return KindUnknown
}

// decidingRule returns the index of the first rule that holds, or -1.
func (p *Parser) decidingRule(a *analysis) int {
	for i, r := range p.rules {
		if r.when(a) {
			return i
		}
	}
	return -1
}

// shortSet: what a bare "cancel"/"stop" reply may contain and still be a
// reply rather than a change ("cancel it", "annule tout", "no, stop").
const shortSet = cAbort | cCancel | cStop | cIt | cAll | cNo | cNot | cNow | cThe | cYes

// cancelCue: words that turn a renewal or the end of the term off.
const cancelCue = cCancel | cStop | cRetire | cOff | cNot | cRemove

func (a *analysis) offerCount() int { return len(a.mentions) }

func (a *analysis) hasQty() bool { return a.qty != nil }

// --- empty and one-letter messages ---

func (a *analysis) isEmptyQuestion() bool { return len(a.toks) == 0 && a.question }

func (a *analysis) isEmpty() bool { return len(a.toks) == 0 }

func (a *analysis) isLetterYes() bool {
	return len(a.toks) == 1 && (a.toks[0].text == "y" || a.toks[0].text == "o") // "o": "oui"
}

func (a *analysis) isLetterNo() bool { return len(a.toks) == 1 && a.toks[0].text == "n" }

// --- short replies ---

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

// shortMask returns the concepts of a short reply, fillers aside; ok is
// false when the message is not one, or is only fillers (which no short
// rule but isFillerQuestion reads).
func (a *analysis) shortMask() (m concept, ok bool) {
	m = a.mask &^ cFiller
	return m, m != 0 && a.pure()
}

// isFillerQuestion: "thanks?", "euh ?": only fillers, asked. (A
// greeting is not a filler alone: "hi" is read by greets, last.)
func (a *analysis) isFillerQuestion() bool {
	return a.mask&^cFiller == 0 && a.question && a.pure()
}

func (a *analysis) isShortYes() bool {
	m, ok := a.shortMask()
	return ok && m&^cYes == 0
}

func (a *analysis) isShortNo() bool {
	m, ok := a.shortMask()
	return ok && m&^(cNo|cNot) == 0
}

// isShortAbort: "stop", "never mind", "laisse tomber".
func (a *analysis) isShortAbort() bool {
	m, ok := a.shortMask()
	return ok && m&^shortSet == 0 && m&(cAbort|cStop) != 0
}

// confirmsCancel: "yes, cancel it" confirms the cancellation on screen.
func (a *analysis) confirmsCancel() bool {
	m, ok := a.shortMask()
	return ok && m&^shortSet == 0 && m&cCancel != 0 && m&cYes != 0 && m&cNo == 0
}

// isShortCancel: "cancel", "annule tout", "no, cancel": leave the dialogue.
func (a *analysis) isShortCancel() bool {
	m, ok := a.shortMask()
	return ok && m&^shortSet == 0 && m&cCancel != 0
}

func (a *analysis) isShortHelp() bool {
	m, ok := a.shortMask()
	return ok && m&cHelp != 0 && m&^(cHelp|cWhat|cCan|cMy|cThe|cIt) == 0
}

// isShortWhat: "what?".
func (a *analysis) isShortWhat() bool {
	m, ok := a.shortMask()
	return ok && m&^(cWhat|cIt) == 0 && a.question
}

// --- language ---

// asksLanguage: "speak French", "en anglais", "lang fr".
func (a *analysis) asksLanguage() bool {
	if a.offerCount() > 0 || a.hasQty() {
		return false
	}
	return (a.has(cEnglish|cFrench) && !a.has(cAction&^(cMove|cSet))) ||
		(a.has(cLanguage) && a.langCode != "")
}

// --- requests and approvals ---

// namesRequest: the message speaks of a request, by noun or by id.
func (a *analysis) namesRequest() bool { return a.has(cRequest) || a.requestID != "" }

func (a *analysis) withdraws() bool { return a.has(cWithdraw) }

// cancelsRequest: "annule ma demande", "cancel R-12".
func (a *analysis) cancelsRequest() bool {
	return a.namesRequest() && a.offerCount() == 0 && a.has(cCancel|cRemove|cRetire|cStop|cAbort)
}

// asksApprovals: "approvals", "what needs my approval" — unless a change
// is asked for ("add 2 E3 for approval").
func (a *analysis) asksApprovals() bool {
	return a.has(cApproval) && !a.has(cAdd|cMore|cRemove|cUpgrade|cAlign|cCancel|cRenewal)
}

// --- people and roles ---

// noChange: no product, quantity or change verb, so a question about
// people is not read into a seat change.
func (a *analysis) noChange() bool {
	return a.offerCount() == 0 && !a.hasQty() && !a.has(cAdd|cRemove|cUpgrade|cAlign|cCancel|cRenewal)
}

// makesAdmin: "make Alice a licence admin", "fais de Alice une
// administratrice", "nomme bob@x.fr admin des licences".
func (a *analysis) makesAdmin() bool {
	return a.has(cMake) && a.has(cAdmin) && !a.has(cWho) && a.noChange()
}

// asksWhoApproves: "who approves my requests?", "qui valide mes demandes ?".
func (a *analysis) asksWhoApproves() bool {
	return a.has(cWho) && a.has(cApproval) && a.noChange()
}

// asksAccountManager: "who is my account manager?", "qui est mon chargé
// de clientèle ?".
func (a *analysis) asksAccountManager() bool {
	return a.has(cAccountManager) && (a.has(cWho) || a.question) && a.noChange()
}

// asksWhoCanUse: "who can use the bot?", "who are our licence admins?",
// "qui peut utiliser le bot ?".
func (a *analysis) asksWhoCanUse() bool {
	return a.has(cWho) && a.has(cUse|cAdmin) && a.noChange()
}

// asksPending: "pending", "what is waiting" — "my pending requests" is
// asksRequests.
func (a *analysis) asksPending() bool {
	return a.has(cPending) && !a.has(cMy) && a.offerCount() == 0 && !a.hasQty() && !a.has(cAction)
}

func (a *analysis) asksRequests() bool {
	return a.namesRequest() && a.offerCount() == 0 && !a.hasQty() && !a.has(cAction|cNeed)
}

// --- two products ---

func (a *analysis) alignsEndDates() bool {
	return a.has(cAlign) || (a.has(cEndDate) && (a.offerCount() >= 2 || a.has(cSet|cMove)))
}

func (a *analysis) upgrades() bool { return a.has(cUpgrade) }

// movesBetweenTwo: "move 5 E1 to E3": a weak verb with two products.
func (a *analysis) movesBetweenTwo() bool { return a.offerCount() >= 2 && a.has(cMove) }

// goesFromOneToAnother: "5 E1 to E3", "E1 → E3", without any verb.
func (a *analysis) goesFromOneToAnother() bool {
	n := a.offerCount()
	if n < 2 || a.has(cAction|cNeed|cPrice|cCatalog) {
		return false
	}
	for _, pr := range a.preps(n)[1:] {
		if pr&cTo != 0 {
			return true
		}
	}
	return false
}

// --- the end of the term and the renewal ---

// stopsTrial: "don't let the trial convert", "stop the trial".
func (a *analysis) stopsTrial() bool {
	return a.has(cTrial) && a.has(cNot|cOff|cStop) && !a.hasQty() && !a.has(cNow)
}

// letsExpire: "let E3 expire", "laisser expirer teams".
func (a *analysis) letsExpire() bool {
	return a.has(cEndTerm) && a.hasWord("let", "laisser", "laisse", "laissez") && !a.hasQty() && !a.question
}

// cancelsAtTermEnd: "cancel at the end of the term", "résilier à échéance".
func (a *analysis) cancelsAtTermEnd() bool {
	return a.has(cEndTerm) && a.has(cancelCue) && !a.hasQty() && !a.has(cOn)
}

// aboutRenewal: the renewal is named, or a quantity is asked for at the
// end of the term.
func (a *analysis) aboutRenewal() bool {
	return a.has(cRenewal) || (a.has(cEndTerm) && a.hasQty())
}

// setsRenewalQuantity: "reduce the renewal to 3" — but "auto-renew 3 E3"
// turns auto-renew on.
func (a *analysis) setsRenewalQuantity() bool {
	return a.aboutRenewal() && a.hasQty() && !a.has(cAuto)
}

// cancelsRenewal: "cancel the renewal", "turn off auto-renew".
func (a *analysis) cancelsRenewal() bool { return a.aboutRenewal() && a.has(cancelCue) }

// turnsRenewalOn: "turn auto-renew back on", "keep renewing".
func (a *analysis) turnsRenewalOn() bool {
	return a.aboutRenewal() && (a.has(cOn|cKeep) || a.endsWithOn())
}

// renews: "renew teams", "auto-renew E3" — not "what is the renewal
// date?" or "show the renewal".
func (a *analysis) renews() bool {
	return a.aboutRenewal() && a.has(cRenewVerb|cAuto) &&
		!a.has(cWhat|cShow|cDetails|cStatus|cEndDate) && !a.question
}

// --- cancel now ---

// cancelsSeats: "cancel 2 seats".
func (a *analysis) cancelsSeats() bool { return a.has(cCancel) && a.hasQty() && a.has(cSeatNoun) }

// cancelsTrial: cancelling a trial is stopping its conversion to paid
// (G5): turning auto-renew off, which can be undone. "cancel the trial
// now" is a cancellation.
func (a *analysis) cancelsTrial() bool { return a.has(cCancel) && a.has(cTrial) && !a.has(cNow) }

func (a *analysis) cancels() bool { return a.has(cCancel) }

// deletesSubscription: "delete the subscription", "supprimer l'abonnement".
func (a *analysis) deletesSubscription() bool {
	return a.has(cRemove|cRetire) && a.has(cSubNoun) && !a.has(cSeatNoun) && !a.hasQty()
}

// noLongerNeeds: "je n'en veux plus de teams": without a number, the
// reversible reading (auto-renew off).
func (a *analysis) noLongerNeeds() bool {
	return a.has(cNeed) && a.has(cNot) && a.offerCount() > 0
}

// needsFewerSeats: "we don't need 2 of the E3 seats".
func (a *analysis) needsFewerSeats() bool { return a.noLongerNeeds() && a.hasQty() }

func (a *analysis) stopsNow() bool { return a.has(cStop) && a.offerCount() > 0 && a.has(cNow) }

// stopsProduct: "stop teams": the reversible reading; the bot explains
// the difference with a cancellation.
func (a *analysis) stopsProduct() bool { return a.has(cStop) && a.offerCount() > 0 }

// --- prices and catalog ---

func (a *analysis) asksCatalog() bool {
	return a.has(cCatalog|cPrice) && !a.has(cAdd|cRemove|cRetire)
}

// asksWhatToBuy: "what licences can we buy".
func (a *analysis) asksWhatToBuy() bool {
	return a.has(cAdd) && a.has(cCan) && a.has(cWhat) && !a.hasQty() && a.offerCount() == 0
}

// --- add and remove seats ---

// addsFirst: an add verb, before any remove verb ("add 2 E3 and remove
// 2 E1" adds).
func (a *analysis) addsFirst() bool {
	addAt := a.firstIndex(cAdd | cMore)
	if addAt < 0 {
		return false
	}
	remAt := a.firstIndex(cRemove | cRetire)
	return remAt < 0 || addAt < remAt
}

func (a *analysis) removes() bool { return a.firstIndex(cRemove|cRetire) >= 0 }

// needsSeats: "I need 3 E1 licences", "je voudrais 2 E3".
func (a *analysis) needsSeats() bool {
	return a.has(cNeed|cRequest) && !a.has(cNot) && (a.hasQty() || a.offerCount() > 0)
}

// setsTotal: "set E3 to 12", "passer de 10 à 8 licences": a total
// (Intent.Total). The caller compares it with the current quantity.
func (a *analysis) setsTotal() bool {
	return a.has(cSet|cMove) && a.qtyTarget && a.offerCount() <= 1
}

// setsLowerTotal: a total with a larger starting number ("from 10 to 8")
// is known to remove seats.
func (a *analysis) setsLowerTotal() bool {
	return a.setsTotal() && a.qtyFrom != nil && a.qtyFrom.val > a.qty.val
}

// --- views ---

func (a *analysis) namesProduct() bool { return a.offerCount() > 0 }

func (a *analysis) asksList() bool { return a.has(cList) }

// namesSubscriptions: "my subscriptions", "which licences", "seats".
func (a *analysis) namesSubscriptions() bool {
	return !a.hasQty() && a.has(cSubNoun|cSeatNoun) &&
		(a.has(cShow|cMy|cWhat|cAll|cStatus) || a.mask&^(cSubNoun|cSeatNoun|cThe|cFiller) == 0)
}

// asksShow: "show", "show me all", "montre-moi tout".
func (a *analysis) asksShow() bool {
	return a.has(cShow) && a.mask&^(cShow|cThe|cFiller|cAll|cMy|cIt) == 0
}

func (a *analysis) asksHelp() bool { return a.has(cHelp) }

func (a *analysis) saysNo() bool { return !a.has(cAction) && a.has(cNo) }

func (a *analysis) saysYes() bool { return !a.has(cAction) && a.has(cYes) }

// greets: "hello bot, how are you" with no word the parser does not know.
func (a *analysis) greets() bool {
	return !a.has(cAction) && a.has(cGreet) && a.unknown == 0
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
