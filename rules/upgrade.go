package rules

import (
	"github.com/licensebot/licensebot/csp"
)

// upgradeSeats is the number of seats an upgrade moves: n, or all of them
// when n is 0.
func upgradeSeats(s csp.Subscription, n int) int {
	if n == 0 {
		return s.Quantity
	}
	return n
}

// upgrade: G6–G8. Same segment, strictly higher tier, end date unchanged,
// into a new line (same term and billing as the source) or merged into an
// existing line of the target offer that is active, outside its own
// cancellation window, with a term not shorter and a commitment not
// ending earlier. Always the account manager: it cannot be undone.
func (e *evaluation) upgrade() {
	s, ch, cat := e.s, e.ch, e.in.Catalog
	if ch.Quantity < 0 {
		e.refuse(CodeInvalidQuantity, "seats to upgrade must be at least 1 (0 for all), got %d", ch.Quantity)
		return
	}
	if ch.Quantity > s.Quantity {
		e.refuse(CodeQuantityAboveCurrent, "cannot upgrade %d of %d seats", ch.Quantity, s.Quantity)
		return
	}
	moved := upgradeSeats(s, ch.Quantity)
	src, ok := e.offer()
	if !ok {
		e.refuse(CodeUnknownOffer, "offer %q is not in the catalog", s.OfferID)
		return
	}
	if src.Upgradable != nil && !*src.Upgradable {
		e.refuse(CodeNoUpgradePath, "%s has no upgrade path", src.Name)
		return
	}
	eligible := e.eligibleOffers(src.ID)
	tgt, ok := cat.Offer(ch.TargetOfferID)
	switch {
	case !ok && len(eligible) == 0:
		e.refuse(CodeNoUpgradePath, "%s has no upgrade path", src.Name)
		return
	case !ok:
		e.upgradeToAlts(eligible)
		e.refuse(CodeUnknownTargetOffer, "target offer %q is not in the catalog", ch.TargetOfferID)
		return
	case tgt.Segment != src.Segment:
		e.upgradeToAlts(eligible)
		e.refuse(CodeCrossSegmentUpgrade, "%s (%s) → %s (%s) crosses segments", src.Name, src.Segment, tgt.Name, tgt.Segment)
		return
	case tgt.Tier <= src.Tier:
		e.upgradeToAlts(eligible)
		e.refuse(CodeNotHigherTier, "%s is not above %s", tgt.Name, src.Name)
		return
	case !cat.CanUpgrade(src.ID, tgt.ID):
		// Unreachable with today's CanUpgrade; kept so that a stricter
		// catalog rule can never be bypassed here.
		e.refuse(CodeNoUpgradePath, "catalog refuses %s → %s", src.Name, tgt.Name)
		return
	}

	// The moved seats are billed as the line they land in: the merge
	// line's term, or a new line with the source's term and billing so
	// that the end date does not move.
	var (
		line   *csp.Subscription
		tp     csp.Price
		hasTP  bool
		tStart = s.TermStart
		tEnd   = s.TermEnd
	)
	if id := ch.TargetSubscriptionID; id != "" {
		t, found := e.other(id)
		code := CodeMergeTargetNotFound
		if found {
			code = e.mergeProblem(t, tgt.ID)
		}
		if code != "" {
			e.param(ParamSubscriptionID, id)
			if code == CodeMergeTargetNotActive {
				e.param(ParamStatus, string(t.Status))
			}
			e.mergeAlts(tgt, moved, id)
			e.refuse(code, "cannot merge into %q", id)
			return
		}
		line, tStart, tEnd = &t, t.TermStart, t.TermEnd
		if tp, hasTP = tgt.Price(t.Term, t.Billing); !hasTP {
			tp, hasTP = t.Price(), true
		}
	} else if tp, hasTP = tgt.Price(s.Term, s.Billing); !hasTP {
		e.refuse(CodeTargetTermUnavailable, "%s is not sold as %s billed %s", tgt.Name, s.Term, s.Billing)
		return
	}
	if e.overCap(tgt, moved) {
		return
	}

	sp := s.Price()
	lineSeats := 0
	// The target line goes from its seats (none, for a new line) to
	// those plus the moved ones: a new line shows the seats it gets.
	if line != nil {
		lineSeats = line.Quantity
	}
	e.d.TargetFrom, e.d.TargetTo = lineSeats, lineSeats+moved
	// Cost covers the lines the upgrade touches: the source and, when
	// merging, the target line (valued at the target price before and
	// after, so the difference is the moved seats only).
	e.d.Cost = Cost{
		MonthlyBefore:  monthlyCost(sp, s.Quantity).Add(monthlyCost(tp, lineSeats)),
		MonthlyAfter:   monthlyCost(sp, s.Quantity-moved).Add(monthlyCost(tp, lineSeats+moved)),
		AnnualBefore:   annualCost(sp, s.Quantity).Add(annualCost(tp, lineSeats)),
		AnnualAfter:    annualCost(sp, s.Quantity-moved).Add(annualCost(tp, lineSeats+moved)),
		ProratedCharge: prorated(tp, moved, tStart, tEnd, e.now, e.loc),
		ProratedRefund: prorated(sp, moved, s.TermStart, s.TermEnd, e.now, e.loc),
	}
	e.irreversible()
	e.approval(RoleAccountManager, CodeUpgradeNeedsAccountManager, "upgrade %d seats %s → %s is irreversible", moved, src.Name, tgt.Name)
	e.wipesSchedule(s, s.Quantity-moved)
	if line != nil {
		e.wipesSchedule(*line, line.Quantity+moved)
	} else {
		// The guide prefers merging into existing lines: offer them.
		e.mergeIntoAlts(tgt, moved, "")
	}
}

// eligibleOffers are the catalog's upgrade targets that can be bought
// with the subscription's term and billing (a new line keeps the end
// date), lowest tier first.
func (e *evaluation) eligibleOffers(fromID string) []csp.Offer {
	var out []csp.Offer
	for _, o := range e.in.Catalog.UpgradeTargets(fromID) {
		if _, ok := o.Price(e.s.Term, e.s.Billing); ok {
			out = append(out, o)
		}
	}
	return out
}

func (e *evaluation) upgradeToAlts(offers []csp.Offer) {
	for _, o := range offers {
		e.alt(CodeUpgradeTo, &csp.Change{Kind: csp.ChangeUpgrade, Quantity: e.ch.Quantity, TargetOfferID: o.ID})
	}
}

// mergeAlts follows a refused merge: the same upgrade into a new line,
// and into every other line that would accept it. Nothing is offered when
// the seats would break the target's cap, wherever they go.
func (e *evaluation) mergeAlts(tgt csp.Offer, moved int, refusedID string) {
	if _, ok := e.withinCap(tgt, moved); !ok {
		return
	}
	if _, ok := tgt.Price(e.s.Term, e.s.Billing); ok {
		e.alt(CodeUpgradeNewLine, &csp.Change{Kind: csp.ChangeUpgrade, Quantity: e.ch.Quantity, TargetOfferID: tgt.ID})
	}
	e.mergeIntoAlts(tgt, moved, refusedID)
}

// mergeIntoAlts offers each existing line of tgt that passes the merge
// rules, except skipID.
func (e *evaluation) mergeIntoAlts(tgt csp.Offer, moved int, skipID string) {
	if _, ok := e.withinCap(tgt, moved); !ok {
		return
	}
	for _, x := range e.in.Others {
		if x.ID == e.s.ID || x.ID == skipID || e.mergeProblem(x, tgt.ID) != "" {
			continue
		}
		e.alt(CodeMergeInto, &csp.Change{Kind: csp.ChangeUpgrade, Quantity: e.ch.Quantity, TargetOfferID: tgt.ID, TargetSubscriptionID: x.ID})
	}
}

// mergeProblem returns why line t cannot receive the upgrade into offer
// offerID, or "" when it can (G8 and Microsoft's transition rules). End
// dates are compared as commitment dates in the customer's zone, since
// two lines ending the same day may differ by hours.
func (e *evaluation) mergeProblem(t csp.Subscription, offerID string) Code {
	switch {
	case t.OfferID != offerID:
		return CodeMergeTargetWrongOffer
	case t.Status != csp.StatusActive:
		return CodeMergeTargetNotActive
	case t.Trial:
		return CodeMergeTargetTrial
	}
	if _, open := cancelWindow(t, e.in.Policy, e.now); open {
		return CodeMergeTargetInWindow
	}
	if csp.DaysBetween(e.s.TermEnd, t.TermEnd, e.loc) < 0 {
		return CodeMergeTargetEndsEarlier
	}
	if t.Term.Months() < e.s.Term.Months() {
		return CodeMergeTargetTermShorter
	}
	return ""
}
