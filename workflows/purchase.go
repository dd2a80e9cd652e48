package workflows

import (
	"context"
	"fmt"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
)

// A purchase (csp.ChangePurchase) names no existing subscription: it is
// evaluated against the catalog and the customer's subscriptions (for
// the seat cap and the end-date alignment), routed by the rules
// (a member's purchase to a licence admin; a commitment above the
// customer's policy.PurchaseApprovalAbove to the account manager), and
// executed as a send-once order whose id is the attempt's key. Its
// request keeps the offer's name as SubscriptionName, the aligned line's
// name as TargetLineName, and, once done, the new line's id.

// evaluatePurchase is Evaluate for a purchase. Evaluation.Subscription
// is a stand-in for the line to be bought (the offer's id and name, no
// seats yet), so that cards and logs read it like any other.
func (s *Service) evaluatePurchase(ctx context.Context, p Person, customerID string, change csp.Change) (Evaluation, error) {
	cat, err := s.opt.Provider.Catalog(ctx, customerID)
	if err != nil {
		return Evaluation{}, fmt.Errorf("read catalog: %w", err)
	}
	subs, err := s.opt.Provider.Subscriptions(ctx, customerID)
	if err != nil {
		return Evaluation{}, fmt.Errorf("read subscriptions: %w", err)
	}
	caps := s.opt.Provider.Capabilities()
	ev := Evaluation{Change: change, Others: subs,
		Subscription: csp.Subscription{CustomerID: customerID, OfferID: change.TargetOfferID, Term: change.Term, Billing: change.Billing}}
	if o, ok := cat.Offer(change.TargetOfferID); ok {
		ev.TargetOffer = &o
		ev.Subscription.Name = o.Name
	}
	for _, sub := range subs {
		if change.TargetSubscriptionID != "" && sub.ID == change.TargetSubscriptionID {
			t := sub
			ev.Target = &t
		}
	}
	ev.Decision = rules.EvaluatePurchase(rules.PurchaseInput{
		Change: change, Role: p.Role, Policy: s.opt.Policy(customerID), Catalog: cat, Subscriptions: subs,
		AlignsPurchases: caps.AlignsPurchases, Now: s.opt.Clock.Now(),
	})
	if !caps.Supports(csp.ChangePurchase) && ev.Decision.Outcome != rules.Refused {
		ev.Decision = rules.Decision{Outcome: rules.Refused, Reason: ReasonNotSupportedByPortal,
			Detail: fmt.Sprintf("the %s portal cannot buy subscriptions", s.opt.Provider.Name()), ToQuantity: change.Quantity}
	}
	return ev, nil
}

// PurchaseOptions is what a purchase of change (offer, seats, term,
// billing) could look like for the customer now: the plans the offer is
// sold on and the subscriptions its end date could be aligned with, each
// with its first term's cost. The dialogue shows them as choices.
type PurchaseOptions struct {
	Offer      csp.Offer
	Plans      []rules.Plan
	Alignments []rules.Alignment
	// AlignsPurchases: the portal can align a purchase's end date.
	AlignsPurchases bool
	// Held are the customer's active lines of the offer.
	Held []csp.Subscription
}

// PurchaseOptions reads the catalog and the subscriptions fresh and lists
// the choices of a purchase. An offer the catalog does not have wraps
// csp.ErrNotFound.
func (s *Service) PurchaseOptions(ctx context.Context, customerID string, change csp.Change) (PurchaseOptions, error) {
	cat, err := s.opt.Provider.Catalog(ctx, customerID)
	if err != nil {
		return PurchaseOptions{}, fmt.Errorf("read catalog: %w", err)
	}
	o, ok := cat.Offer(change.TargetOfferID)
	if !ok {
		return PurchaseOptions{}, fmt.Errorf("offer %q: %w", change.TargetOfferID, csp.ErrNotFound)
	}
	subs, err := s.opt.Provider.Subscriptions(ctx, customerID)
	if err != nil {
		return PurchaseOptions{}, fmt.Errorf("read subscriptions: %w", err)
	}
	out := PurchaseOptions{Offer: o, Plans: rules.Plans(o, change.Quantity), AlignsPurchases: s.opt.Provider.Capabilities().AlignsPurchases}
	for _, sub := range subs {
		if sub.OfferID == o.ID && sub.Status == csp.StatusActive && !sub.Trial {
			out.Held = append(out.Held, sub)
		}
	}
	if change.Term != "" && change.Billing != "" {
		out.Alignments = rules.Alignments(rules.PurchaseInput{Change: change, Policy: s.opt.Policy(customerID),
			Catalog: cat, Subscriptions: subs, AlignsPurchases: out.AlignsPurchases, Now: s.opt.Clock.Now()})
	}
	return out, nil
}

// runPurchase sends a purchase that has not been sent (or that a person
// chose to send again): the rules are asked again with fresh data, then
// the order is placed as a new attempt whose key is the order id.
func (s *Service) runPurchase(ctx context.Context, req Request, shownTo string) (Request, error) {
	if out, done, err := s.recheck(ctx, req, csp.Subscription{}, shownTo); done {
		return out, err
	}
	return s.send(ctx, req, csp.Subscription{}, csp.DeliverySendOnce, shownTo)
}

// notePurchase records, on a completing purchase, the line it created.
func notePurchase(r *Request, sub *csp.Subscription) {
	if r.Change.Kind == csp.ChangePurchase && sub != nil && sub.ID != "" {
		r.NewSubscriptionID = sub.ID
	}
}
