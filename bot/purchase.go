package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/licensebot/licensebot/bot/cards"
	"github.com/licensebot/licensebot/bot/intent"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
)

// Buying a new subscription from the catalog, step by step, each step a
// question with buttons: which product (when the words named several,
// or one the catalog lacks: then the nearest offers), how many seats,
// add them to a line already held or buy a new one, the term and billing
// (with the price of each), the end-date alignment (the customer's end
// dates, each with the first term's prorated price, or none), then the
// preview, confirmed — or sent for approval when the rules route it.

// Slots of a purchase draft.
const (
	slotBuyOffer = "buy_offer"
	slotBuyHeld  = "buy_held"
	slotBuyPlan  = "buy_plan"
	slotBuyAlign = "buy_align"
)

// purchaseDraft is what a purchase draft knows beyond its Change.
type purchaseDraft struct {
	// OfferChoices are offer ids to choose between.
	OfferChoices []string `json:"offer_choices,omitempty"`
	// HeldAsked: the person chose a new subscription over adding seats
	// to a line held (or holds none).
	HeldAsked   bool `json:"held_asked,omitempty"`
	PlanChosen  bool `json:"plan_chosen,omitempty"`
	AlignChosen bool `json:"align_chosen,omitempty"`
}

func (e *Engine) draftRef(dr *draft) cards.Draft {
	return cards.Draft{ID: dr.ID, CustomerID: dr.CustomerID}
}

// startPurchase begins a purchase draft from an intent.
func (e *Engine) startPurchase(ctx context.Context, tc *turnCtx, in intent.Intent) error {
	dr := &draft{ID: newID(), CustomerID: tc.customer.ID, Purchase: &purchaseDraft{HeldAsked: in.NewLine},
		Change:      csp.Change{Kind: csp.ChangePurchase, Quantity: in.Quantity},
		HasQuantity: in.HasQuantity && in.Quantity > 0}
	switch {
	case len(in.Offers) > 0 && len(in.Offers[0].Candidates) == 1:
		dr.Change.TargetOfferID = in.Offers[0].Candidates[0]
	case len(in.Offers) > 0:
		dr.Purchase.OfferChoices = in.Offers[0].Candidates
	case in.UnknownProduct != "":
		// Never another product than the one asked for: say so, and
		// offer the nearest ones, if any, as buttons.
		nearest := rules.NearestOffers(e.catalogOf(tc.customer.ID), in.UnknownProduct, 3)
		tc.say(e.cards.UnknownProduct(tc.lang, e.draftRef(dr), in.UnknownProduct, nearest))
		if len(nearest) == 0 {
			return nil
		}
		for _, o := range nearest {
			dr.Purchase.OfferChoices = append(dr.Purchase.OfferChoices, o.ID)
		}
		dr.Awaiting = slotBuyOffer
		tc.d.Draft = dr
		return nil
	}
	tc.d.Draft = dr
	return e.advancePurchase(ctx, tc)
}

// advancePurchase asks for the next missing step, or shows the preview.
func (e *Engine) advancePurchase(ctx context.Context, tc *turnCtx) error {
	dr := tc.d.Draft
	pd, ref := dr.Purchase, e.draftRef(dr)
	cat := e.catalogOf(dr.CustomerID)
	if dr.Change.TargetOfferID == "" {
		dr.Awaiting = slotBuyOffer
		if len(pd.OfferChoices) == 0 {
			tc.say(Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, "purchase.ask.offer", nil)})
			return nil
		}
		var offers []csp.Offer
		for _, id := range pd.OfferChoices {
			if o, ok := cat.Offer(id); ok {
				offers = append(offers, o)
			}
		}
		tc.say(e.cards.PurchaseOffers(tc.lang, ref, offers))
		return nil
	}
	offer, _ := cat.Offer(dr.Change.TargetOfferID)
	if !dr.HasQuantity {
		dr.Awaiting = slotQuantity
		tc.say(Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, "purchase.ask.quantity", map[string]any{"Name": offer.Name})})
		return nil
	}
	opts, err := e.opt.Service.PurchaseOptions(ctx, dr.CustomerID, dr.Change)
	if errors.Is(err, csp.ErrNotFound) {
		tc.d.Draft = nil
		tc.say(e.cards.UnknownProduct(tc.lang, ref, dr.Change.TargetOfferID, nil))
		return nil
	}
	if err != nil {
		return err
	}
	if !pd.HeldAsked && len(opts.Held) > 0 {
		// The usual way is more seats on the line held; a new line stays
		// possible.
		dr.Awaiting = slotBuyHeld
		tc.say(e.cards.PurchaseHeld(tc.lang, ref, opts.Offer, dr.Change.Quantity, opts.Held))
		return nil
	}
	pd.HeldAsked = true
	if !pd.PlanChosen {
		if len(opts.Plans) != 1 {
			dr.Awaiting = slotBuyPlan
			tc.say(e.cards.PurchasePlans(tc.lang, ref, opts.Offer, dr.Change.Quantity, opts.Plans))
			return nil
		}
		dr.Change.Term, dr.Change.Billing, pd.PlanChosen = opts.Plans[0].Term, opts.Plans[0].Billing, true
		if opts, err = e.opt.Service.PurchaseOptions(ctx, dr.CustomerID, dr.Change); err != nil {
			return err
		}
	}
	if !pd.AlignChosen {
		if ask, m := e.alignQuestion(tc, dr, opts.Plans, opts.Alignments, opts.AlignsPurchases); ask {
			dr.Awaiting = slotBuyAlign
			tc.say(m)
			return nil
		}
		pd.AlignChosen = true
	}
	return e.previewPurchase(ctx, tc)
}

// alignQuestion is the end-date alignment step: asked when the portal
// can align and at least one subscription's end date fits.
func (e *Engine) alignQuestion(tc *turnCtx, dr *draft, plans []rules.Plan, as []rules.Alignment, can bool) (bool, Message) {
	if !can {
		tc.say(Message{Text: e.tr.T(tc.lang, "purchase.no_alignment_here", nil)})
		return false, Message{}
	}
	fits := false
	for _, a := range as {
		fits = fits || a.OK
	}
	if !fits {
		return false, Message{}
	}
	var full csp.Money
	for _, p := range plans {
		if p.Term == dr.Change.Term && p.Billing == dr.Change.Billing {
			full = p.PerTerm
		}
	}
	loc := e.locOf(dr.CustomerID)
	natural := csp.TermEnd(csp.StartOfDay(e.opt.Clock.Now(), loc), dr.Change.Term)
	return true, e.cards.PurchaseAlignments(tc.lang, e.draftRef(dr), dr.Change.Term, as, natural, full)
}

// previewPurchase evaluates the complete purchase and shows it, or why
// it cannot be.
func (e *Engine) previewPurchase(ctx context.Context, tc *turnCtx) error {
	dr := tc.d.Draft
	ev, err := e.opt.Service.Evaluate(ctx, tc.turn.Person, dr.CustomerID, dr.Change)
	if err != nil {
		return err
	}
	if ev.Decision.Outcome == rules.Refused {
		tc.say(e.refusal(tc, dr, ev))
		dr.Previewed = false
		return nil
	}
	dr.Previewed, dr.Alternatives = true, nil
	tc.say(e.cards.PurchasePreview(tc.lang, e.draftRef(dr), ev))
	return nil
}

// choosePurchase fills a purchase slot with a pressed (or typed) choice;
// false when the draft is not waiting for one.
func (e *Engine) choosePurchase(dr *draft, value string) bool {
	pd := dr.Purchase
	if pd == nil {
		return false
	}
	switch dr.Awaiting {
	case slotBuyOffer:
		dr.Change.TargetOfferID, pd.OfferChoices = value, nil
	case slotBuyHeld:
		if sub, ok := strings.CutPrefix(value, "add:"); ok {
			// Seats on the line held instead: an ordinary seat addition.
			dr.Purchase = nil
			dr.Change = csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: sub, Quantity: dr.Change.Quantity}
			dr.HasQuantity = true
		} else {
			pd.HeldAsked = true
		}
	case slotBuyPlan:
		term, billing, _ := strings.Cut(value, "/")
		dr.Change.Term, dr.Change.Billing, pd.PlanChosen = csp.Term(term), csp.BillingCycle(billing), true
	case slotBuyAlign:
		dr.Change.TargetSubscriptionID = ""
		if value != "none" {
			dr.Change.TargetSubscriptionID = value
		}
		pd.AlignChosen = true
	default:
		return false
	}
	return true
}

// fillPurchaseSlot takes a typed answer to a purchase question: a
// product's name, or "a new one" / "the existing one" when a line of the
// product is held. Plans and end dates are chosen with their buttons.
func (e *Engine) fillPurchaseSlot(tc *turnCtx, dr *draft, in intent.Intent, text string) bool {
	switch dr.Awaiting {
	case slotBuyOffer:
		ref := e.parserOf(dr.CustomerID).MatchOffer(text)
		var fit []string
		for _, c := range ref.Candidates {
			if len(dr.Purchase.OfferChoices) == 0 || contains(dr.Purchase.OfferChoices, c) {
				fit = append(fit, c)
			}
		}
		switch len(fit) {
		case 0:
			return false
		case 1:
			return e.choosePurchase(dr, fit[0])
		}
		dr.Purchase.OfferChoices = fit
		return true
	case slotBuyHeld:
		if in.NewLine {
			return e.choosePurchase(dr, "new")
		}
		if in.IntoExisting || in.Kind == intent.KindYes || in.Kind == intent.KindAddSeats {
			subs, err := e.opt.Provider.Subscriptions(context.Background(), dr.CustomerID)
			if err != nil {
				return false
			}
			for _, s := range subs {
				if s.OfferID == dr.Change.TargetOfferID && s.Status == csp.StatusActive && !s.Trial {
					return e.choosePurchase(dr, "add:"+s.ID)
				}
			}
		}
	}
	return false
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// purchaseInstead: seats were asked for a product the customer does
// not have; buying it is what can be done.
func (e *Engine) purchaseInstead(ctx context.Context, tc *turnCtx, in intent.Intent, product string) error {
	tc.say(Message{Text: e.tr.T(tc.lang, "purchase.no_such_held", map[string]any{"Product": product})})
	in.Kind = intent.KindPurchase
	in.Offers = in.Offers[:1]
	return e.startPurchase(ctx, tc, in)
}
