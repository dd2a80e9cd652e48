// Package workflows runs the life of a change request: evaluation against
// the rules with fresh data, routing to the right approver, compare-and-
// swap state transitions with an audit line each, execution as an absolute
// and idempotent provider write, expiry of approvals whose deadline passed,
// and reconciliation of requests a crash left in "executing".
//
// Reminders live in workflows/reminders.
package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/store"
)

// Store collections and queues used by this package.
const (
	collRequests   = "requests"
	collCounters   = "counters"
	queueDeadlines = "request-deadlines"
)

// Notifier tells people about committed transitions. It is called by the
// outbox (Drain), never inside a transition: req is the request as it is
// now and pending the transitions nobody has been told about yet (several
// when a request moved through intermediate states in one go). An error
// leaves them pending, and they are offered again on the next drain, so
// a Notifier must be idempotent (a card is created once, then updated).
// The bot implements it to send approval cards and outcomes; the
// reminders engine to re-derive a request's reminders.
type Notifier interface {
	RequestChanged(ctx context.Context, req Request, pending []Transition) error
}

// Options configure a Service.
type Options struct {
	Store    store.Store
	Provider csp.Provider
	// Directory says who people are and who approves (the configuration
	// file's Directory, or one backed by the store).
	Directory People
	// Policy returns a customer's policy.
	Policy   func(customerID string) rules.Policy
	Clock    clock.Clock
	Logger   *slog.Logger
	Notifier Notifier
}

// Service is the request workflow. It is safe for concurrent use and
// keeps no state of its own: everything is in the store, so any number of
// replicas can run it.
type Service struct {
	opt Options
	log *slog.Logger
}

// New returns a Service.
func New(opt Options) (*Service, error) {
	if opt.Store == nil || opt.Provider == nil || opt.Directory == nil || opt.Clock == nil || opt.Policy == nil {
		return nil, errors.New("workflows: store, provider, directory, policy and clock are required")
	}
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{opt: opt, log: log}, nil
}

// Directory returns the people directory.
func (s *Service) Directory() People { return s.opt.Directory }

// Policy returns a customer's policy.
func (s *Service) Policy(customerID string) rules.Policy { return s.opt.Policy(customerID) }

// SetNotifier sets the notifier after construction (the bot and the
// service refer to each other).
func (s *Service) SetNotifier(n Notifier) { s.opt.Notifier = n }

// Evaluation is a rules decision together with the data it was made on.
type Evaluation struct {
	Subscription csp.Subscription
	Target       *csp.Subscription
	TargetOffer  *csp.Offer
	// Others are the customer's other subscriptions, as read.
	Others   []csp.Subscription
	Decision rules.Decision
	Change   csp.Change
}

// Evaluate reads the subscription fresh and asks the rules what they say
// about change for person now.
func (s *Service) Evaluate(ctx context.Context, p Person, customerID string, change csp.Change) (Evaluation, error) {
	if change.Kind == csp.ChangePurchase {
		return s.evaluatePurchase(ctx, p, customerID, change)
	}
	cat, err := s.opt.Provider.Catalog(ctx, customerID)
	if err != nil {
		return Evaluation{}, fmt.Errorf("read catalog: %w", err)
	}
	subs, err := s.opt.Provider.Subscriptions(ctx, customerID)
	if err != nil {
		return Evaluation{}, fmt.Errorf("read subscriptions: %w", err)
	}
	ev := Evaluation{Change: change}
	var others []csp.Subscription
	found := false
	for _, sub := range subs {
		if sub.ID == change.SubscriptionID {
			ev.Subscription, found = sub, true
			continue
		}
		others = append(others, sub)
		if sub.ID == change.TargetSubscriptionID {
			t := sub
			ev.Target = &t
		}
	}
	if !found {
		return Evaluation{}, fmt.Errorf("subscription %s: %w", change.SubscriptionID, csp.ErrNotFound)
	}
	ev.Others = others
	if change.TargetOfferID != "" {
		if o, ok := cat.Offer(change.TargetOfferID); ok {
			ev.TargetOffer = &o
		}
	}
	ev.Decision = rules.Evaluate(rules.Input{
		Subscription: ev.Subscription,
		Change:       change,
		Role:         p.Role,
		Policy:       s.opt.Policy(customerID),
		Catalog:      cat,
		Others:       others,
		Now:          s.opt.Clock.Now(),
	})
	if !s.opt.Provider.Capabilities().Supports(change.Kind) && ev.Decision.Outcome != rules.Refused {
		ev.Decision = rules.Decision{Outcome: rules.Refused, Reason: ReasonNotSupportedByPortal,
			Detail:       fmt.Sprintf("the %s portal cannot %s", s.opt.Provider.Name(), change.Kind),
			FromQuantity: ev.Decision.FromQuantity, ToQuantity: ev.Decision.FromQuantity}
	}
	return ev, nil
}

// ReasonNotSupportedByPortal refuses a change the portal cannot make.
const ReasonNotSupportedByPortal rules.Code = "not_supported_by_portal"

// Submit evaluates change again with fresh data and, unless the rules
// refuse it, stores a request and routes it: straight to execution when
// allowed, to approvers otherwise. draftID de-duplicates a double
// confirmation; the second gets ErrDuplicate.
func (s *Service) Submit(ctx context.Context, p Person, customerID string, change csp.Change, justification, draftID string) (Request, error) {
	ctx = holdOutbox(ctx)
	stored := false
	listCtx := ctx
	if draftID != "" {
		var won bool
		var err error
		listCtx, won, err = s.claimDraft(ctx, draftID, customerID, change)
		if err != nil {
			return Request{}, fmt.Errorf("claim draft: %w", err)
		}
		if !won {
			return Request{}, ErrDuplicate
		}
		// Until the request is stored, a failure (the portal or the store
		// unreachable, a refusal) must leave the draft confirmable again.
		defer func() {
			if !stored {
				_ = s.opt.Store.Release(context.WithoutCancel(ctx), "draft:"+draftID)
			}
		}()
	}
	ev, err := s.Evaluate(ctx, p, customerID, change)
	if err != nil {
		return Request{}, err
	}
	if ev.Decision.Outcome == rules.Refused {
		return Request{}, &RefusedError{Evaluation: ev}
	}
	number, err := s.admit(listCtx, customerID, change)
	if err != nil {
		return Request{}, err
	}
	now := s.opt.Clock.Now()
	req := Request{
		CustomerID:       customerID,
		Change:           change,
		Operation:        operationFor(ev),
		Requester:        p.Email,
		Names:            map[string]string{strings.ToLower(p.Email): p.DisplayName()},
		Justification:    justification,
		State:            StateSubmitted,
		Decision:         ev.Decision,
		SubscriptionName: ev.Subscription.Name,
		CreatedAt:        now,
		UpdatedAt:        now,
	}
	if ev.TargetOffer != nil {
		req.TargetOfferName = ev.TargetOffer.Name
	}
	if ev.Target != nil {
		req.TargetLineName = ev.Target.Name
	}
	req.History = append(req.History, Transition{From: "", To: StateSubmitted, By: p.Email, At: now, ShownTo: p.Email})
	fresh := req
	var out Request
	for again := range 3 {
		if again > 0 {
			// What the lost creation was checked against may have been
			// the old master's view: ask the store as it is now.
			stored = false
			if number, err = s.admit(ctx, customerID, change); err != nil {
				return Request{}, err
			}
		}
		req, err = s.create(ctx, fresh, number)
		if err != nil {
			return Request{}, err
		}
		stored = true // from here on the draft is this request
		s.log.InfoContext(ctx, "request submitted", "request_id", req.ID, "customer_id", customerID,
			"kind", change.Kind, "requester", p.Email, "outcome", ev.Decision.Outcome)
		out, err = s.route(ctx, req, p.Email)
		if !errors.Is(err, ErrNotFound) {
			break
		}
		// The first durable write found no request: a failover lost the
		// creation (a plain write) before any replica had it. Nobody has
		// been told its number, and nothing was sent: store it again.
		s.log.WarnContext(ctx, "request lost at a failover before routing; storing it again", "request_id", req.ID, "customer_id", customerID)
	}
	last := req
	if out.ID == req.ID && out.version > 0 {
		last = out
	}
	s.drainAfterFrom(ctx, last)
	return out, err
}

// claimDraft claims the draft. A seat change then lists the customer's
// requests (admit): where a round trip is dear, the
// index of that list is read with the claim, in one round trip, and the
// returned context answers the list from it. Only that list is to read
// through the returned context; everything else keeps ctx, so that
// writes forget what ctx's own prefetch read (a chat turn's).
func (s *Service) claimDraft(ctx context.Context, draftID, customerID string, c csp.Change) (context.Context, bool, error) {
	key := "draft:" + draftID
	if p, ok := s.opt.Store.(store.Prefetcher); ok && (c.Kind == csp.ChangeAddSeats || c.Kind == csp.ChangeRemoveSeats) {
		return p.Prefetch(ctx, key, 24*time.Hour, store.ReadSet{Lists: []store.ListRef{{Scope: customerID, Collection: collRequests}}})
	}
	won, err := s.opt.Store.Claim(ctx, key, 24*time.Hour)
	return ctx, won, err
}

// route sends a submitted request on: to its approvers when the rules
// want an approval, straight to execution otherwise. Submit calls it, and
// Reconcile for a request a crash left submitted.
func (s *Service) route(ctx context.Context, req Request, shownTo string) (Request, error) {
	d := req.Decision
	if d.Outcome == rules.NeedsApproval {
		req, err := s.transitionFrom(ctx, req, StatePendingApproval, req.Requester, "", shownTo, func(r *Request) {
			r.ApproverRole = d.Approver
			r.Deadline = d.Deadline
		})
		if notReplicated(err) {
			// Nothing is sent to the portal before an approval, which
			// writes durably again; the request stands on the primary.
			s.log.WarnContext(ctx, "request sent for approval, not yet on a replica", "request_id", req.ID, "customer_id", req.CustomerID, "err", err)
			err = nil
		}
		if err != nil {
			return req, err
		}
		if !req.Deadline.IsZero() {
			if err := s.scheduleDeadline(ctx, req); err != nil {
				s.log.ErrorContext(ctx, "schedule approval deadline", "request_id", req.ID, "err", err)
			}
		}
		return req, nil
	}
	return s.executeNow(ctx, req, shownTo)
}

// create stores a new request under the next free number of its
// customer: number when admit took it already (0: none). A number
// already taken (a counter step lost at a Redis failover, data from
// before per-customer numbering) is skipped, never reused: the number is
// for people; the portal only ever sees random operation keys.
func (s *Service) create(ctx context.Context, req Request, number int64) (Request, error) {
	for attempt := 0; attempt < 100; attempt++ {
		if attempt > 0 || number <= 0 {
			n, err := s.nextNumber(ctx, req.CustomerID)
			if err != nil {
				return Request{}, err
			}
			number = n
		}
		req.ID = requestID(number)
		data, err := marshal(req)
		if err != nil {
			return Request{}, err
		}
		_, err = s.opt.Store.Create(ctx, refOf(req.CustomerID, req.ID), data, s.auditEntry(req, req.History[0]))
		if errors.Is(err, store.ErrExists) {
			continue
		}
		if err != nil {
			return Request{}, fmt.Errorf("store request: %w", err)
		}
		req.version = 1
		return req, nil
	}
	return Request{}, fmt.Errorf("store request: no free request number")
}

// admit refuses a second seat addition or removal on a subscription
// while another is still open: both would be fixed as absolute targets
// from the same starting quantity ("5 → 8" twice), and the second would
// look already applied once the first ran.
//
// The customer's requests are listed for that, and the new request's
// number is taken in the same round trip (store.ListAndIncrement), so a
// seat change does not wait for it after the check. When the check
// refuses, the number is given back if nobody took one since; otherwise
// it stays unused, a gap in the customer's numbers (they stay unique and
// increasing). Other changes need no check, and number is 0: create
// takes one.
func (s *Service) admit(ctx context.Context, customerID string, c csp.Change) (number int64, err error) {
	if !seatChange(c.Kind) {
		return 0, nil
	}
	docs, n, err := store.ListAndIncrement(ctx, s.opt.Store, customerID, collRequests, counterRef(customerID))
	if err != nil {
		return 0, fmt.Errorf("list requests: %w", err)
	}
	reqs, err := decodeRequests(docs)
	if err == nil {
		for _, r := range reqs {
			if !r.State.Final() && r.Change.SubscriptionID == c.SubscriptionID && seatChange(r.Change.Kind) {
				err = &OpenRequestError{Request: r}
				break
			}
		}
	}
	if err != nil {
		gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if _, gerr := store.GiveBack(gctx, s.opt.Store, counterRef(customerID), n); gerr != nil {
			s.log.WarnContext(ctx, "give back an unused request number", "customer_id", customerID, "number", n, "err", gerr)
		}
		return 0, err
	}
	return n, nil
}

func seatChange(k csp.ChangeKind) bool { return k == csp.ChangeAddSeats || k == csp.ChangeRemoveSeats }

func (s *Service) scheduleDeadline(ctx context.Context, req Request) error {
	return s.opt.Store.Schedule(ctx, req.CustomerID, queueDeadlines, store.ScheduledItem{
		ID: req.ID, Due: req.Deadline, Payload: []byte(req.ID),
	})
}

// operationFor fixes the absolute write at submission time. Its Key is
// set afresh for every attempt (see Attempt).
func operationFor(ev Evaluation) csp.Operation {
	c, d := ev.Change, ev.Decision
	op := csp.Operation{
		Kind:           c.Kind,
		SubscriptionID: c.SubscriptionID,
		FromQuantity:   d.FromQuantity,
		Quantity:       d.ToQuantity,
	}
	switch c.Kind {
	case csp.ChangeAutoRenewOff:
		f := false
		op.AutoRenew = &f
	case csp.ChangeAutoRenewOn:
		t := true
		op.AutoRenew = &t
	case csp.ChangeUpgrade:
		op.TargetOfferID = c.TargetOfferID
		op.TargetSubscriptionID = c.TargetSubscriptionID
		op.Quantity = d.FromQuantity - d.ToQuantity
	case csp.ChangeAlignEndDate:
		op.TargetSubscriptionID = c.TargetSubscriptionID
		if !d.CustomTermEnd.IsZero() {
			t := d.CustomTermEnd
			op.CustomTermEnd = &t
		}
	case csp.ChangePurchase:
		op.TargetOfferID, op.TargetSubscriptionID, op.Term, op.Billing = c.TargetOfferID, c.TargetSubscriptionID, c.Term, c.Billing
		op.FromQuantity = 0
		if !d.CustomTermEnd.IsZero() {
			t := d.CustomTermEnd
			op.CustomTermEnd = &t
		}
	}
	return op
}

// nextNumber allocates the number of a short, readable id ("R-12",
// requestID) from the customer's own counter, so people can type it. It
// is unique within the customer; create skips a number already taken.
func (s *Service) nextNumber(ctx context.Context, customerID string) (int64, error) {
	n, err := store.Increment(ctx, s.opt.Store, counterRef(customerID))
	if err != nil {
		return 0, fmt.Errorf("allocate request id: %w", err)
	}
	return n, nil
}

func requestID(n int64) string { return "R-" + strconv.FormatInt(n, 10) }

func counterRef(customerID string) store.Ref {
	return store.Ref{Scope: customerID, Collection: collCounters, ID: "requests"}
}

func refOf(customerID, id string) store.Ref {
	return store.Ref{Scope: customerID, Collection: collRequests, ID: id}
}

// Get returns a request.
func (s *Service) Get(ctx context.Context, customerID, id string) (Request, error) {
	req, _, err := s.load(ctx, customerID, id)
	return req, err
}

func (s *Service) load(ctx context.Context, customerID, id string) (Request, int64, error) {
	doc, err := s.opt.Store.Get(ctx, refOf(customerID, id))
	if errors.Is(err, store.ErrNotFound) {
		return Request{}, 0, fmt.Errorf("request %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return Request{}, 0, fmt.Errorf("load request %s: %w", id, err)
	}
	var req Request
	if err := json.Unmarshal(doc.Data, &req); err != nil {
		return Request{}, 0, fmt.Errorf("decode request %s: %w", id, err)
	}
	req.version = doc.Version
	return req, doc.Version, nil
}

// List returns a customer's requests, newest first.
func (s *Service) List(ctx context.Context, customerID string) ([]Request, error) {
	docs, err := s.opt.Store.List(ctx, customerID, collRequests)
	if err != nil {
		return nil, fmt.Errorf("list requests: %w", err)
	}
	return decodeRequests(docs)
}

// decodeRequests decodes listed requests, newest first.
func decodeRequests(docs []store.Document) ([]Request, error) {
	out := make([]Request, 0, len(docs))
	for _, d := range docs {
		var r Request
		if err := json.Unmarshal(d.Data, &r); err != nil {
			return nil, fmt.Errorf("decode request %s: %w", d.Ref.ID, err)
		}
		r.version = d.Version
		out = append(out, r)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].CreatedAt.Equal(out[j].CreatedAt) {
			return out[i].CreatedAt.After(out[j].CreatedAt)
		}
		return requestNumber(out[i].ID) > requestNumber(out[j].ID)
	})
	return out, nil
}

func requestNumber(id string) int {
	if len(id) > 2 {
		n, _ := strconv.Atoi(id[2:])
		return n
	}
	return 0
}

// update changes a stored request by compare-and-swap: f sees the
// current request and changes it (ErrNoChange: write nothing), and the
// audit entries it returns are appended in the same atomic write. With
// durable set, the write waits for the store's replicas where it has
// them: the writes that decide money (going to executing, recording an
// attempt) must survive a failover. A durable write the replicas did not
// confirm returns the request as written with an error wrapping
// store.ErrNotReplicated.
func (s *Service) update(ctx context.Context, customerID, id string, durable bool, f func(r *Request) ([]store.AuditEntry, error)) (Request, error) {
	return s.updateFrom(ctx, Request{CustomerID: customerID, ID: id}, durable, f)
}

// updateFrom is update starting from a copy of the request the caller
// holds: when it carries the version it was read or written at, the
// first compare-and-swap is tried on it without reading the request
// again; if another writer got there first, the request is reread and f
// runs again, as always.
func (s *Service) updateFrom(ctx context.Context, from Request, durable bool, f func(r *Request) ([]store.AuditEntry, error)) (Request, error) {
	req, _, err := s.updateClaiming(ctx, from, durable, "", f)
	return req, err
}

// updateClaiming is updateFrom taking claim (when not empty) with the
// write that stands, in the same round trip where the store can
// (store.UpdateAndClaim). claimed reports whether it was taken.
func (s *Service) updateClaiming(ctx context.Context, from Request, durable bool, claim string, f func(r *Request) ([]store.AuditEntry, error)) (_ Request, claimed bool, _ error) {
	customerID, id := from.CustomerID, from.ID
	ref := refOf(customerID, id)
	for attempt := 0; attempt < 50; attempt++ {
		var req Request
		var v int64
		if attempt == 0 && from.version > 0 {
			req, v = from.clone(), from.version
		} else {
			var err error
			if req, v, err = s.load(ctx, customerID, id); err != nil {
				return Request{}, false, err
			}
		}
		audit, err := f(&req)
		if errors.Is(err, store.ErrNoChange) {
			return req, false, nil
		}
		if err != nil {
			return req, false, err
		}
		data, err := marshal(req)
		if err != nil {
			return Request{}, false, err
		}
		switch {
		case claim != "" && durable:
			_, claimed, err = store.UpdateDurableAndClaim(ctx, s.opt.Store, ref, v, data, claim, outboxClaimTTL, audit...)
		case claim != "":
			_, claimed, err = store.UpdateAndClaim(ctx, s.opt.Store, ref, v, data, claim, outboxClaimTTL, audit...)
		case durable:
			_, err = store.UpdateDurable(ctx, s.opt.Store, ref, v, data, audit...)
		default:
			_, err = s.opt.Store.Update(ctx, ref, v, data, audit...)
		}
		if errors.Is(err, store.ErrVersionMismatch) {
			// Another writer won, or (durable) a failover lost this
			// write: either way the store holds something else now.
			continue
		}
		if errors.Is(err, store.ErrNotReplicated) {
			// Written on the primary only: a failover could still lose
			// it. The caller gets the request as written and decides
			// (see notReplicated).
			req.version = v + 1
			return req, claimed, fmt.Errorf("update request %s: %w", id, err)
		}
		if err != nil {
			return req, false, fmt.Errorf("update request %s: %w", id, err)
		}
		req.version = v + 1
		return req, claimed, nil
	}
	return Request{}, false, fmt.Errorf("update request %s: too much contention", id)
}

// transition moves a request to `to` by compare-and-swap on the version
// it read, appending the history, an audit line and thereby an outbox
// entry atomically. If another writer won, the request is reread: if it
// can still move, it is retried; otherwise a *StateError carries the
// state that won. shownTo is the person whose turn reply shows the
// result, so the outbox does not tell them twice.
func (s *Service) transition(ctx context.Context, customerID, id string, to State, by, comment, shownTo string, mutate func(*Request)) (Request, error) {
	return s.transitionFrom(ctx, Request{CustomerID: customerID, ID: id}, to, by, comment, shownTo, mutate)
}

// transitionFrom is transition starting from the request the caller
// holds (see updateFrom).
func (s *Service) transitionFrom(ctx context.Context, from Request, to State, by, comment, shownTo string, mutate func(*Request)) (Request, error) {
	return s.stepsFrom(ctx, from, []step{{to: to, by: by}}, comment, shownTo, mutate)
}

// step is one transition of a write that makes several.
type step struct {
	to State
	by string
}

// stepsFrom is transitionFrom making several transitions in one write:
// each is checked, kept in the history and audited as if it were written
// alone, and either all are written or none. A write that reaches
// executing waits for the replicas.
func (s *Service) stepsFrom(ctx context.Context, from Request, steps []step, comment, shownTo string, mutate func(*Request)) (Request, error) {
	customerID, id := from.CustomerID, from.ID
	// Going to executing decides money; going to pending approval is
	// the first write after the request's creation that people are told
	// of ("sent for approval"), and its wait covers the creation too
	// (replication is in order).
	durable := false
	for _, st := range steps {
		durable = durable || st.to == StateExecuting || st.to == StatePendingApproval
	}
	// A write that ends what the call does with the request takes the
	// outbox's claim with it, when the call drains the outbox after
	// (holdOutbox).
	claim := ""
	hold := outboxHoldFrom(ctx)
	if hold != nil && rests(steps[len(steps)-1].to) {
		claim = outboxKey(customerID, id)
	}
	var trs []Transition
	req, claimed, err := s.updateClaiming(ctx, from, durable, claim, func(r *Request) ([]store.AuditEntry, error) {
		trs = trs[:0]
		var audit []store.AuditEntry
		now := s.opt.Clock.Now()
		for _, st := range steps {
			if !CanMove(r.State, st.to) {
				return nil, &StateError{Request: *r, Wanted: st.to}
			}
			tr := Transition{From: r.State, To: st.to, By: st.by, At: now, Comment: comment, ShownTo: shownTo}
			r.State = st.to
			r.UpdatedAt = now
			r.History = append(r.History, tr)
			if st.to != StateNeedsAttention && st.to != StateExecuting {
				r.Attention = nil
			}
			trs = append(trs, tr)
			audit = append(audit, s.auditEntry(*r, tr))
		}
		if mutate != nil {
			mutate(r)
			// The audit line of the last step describes the request as
			// written.
			audit[len(audit)-1] = s.auditEntry(*r, trs[len(trs)-1])
		}
		return audit, nil
	})
	if claimed {
		hold.note(claim)
	}
	var se *StateError
	if errors.As(err, &se) {
		return se.Request, err
	}
	if err != nil && !notReplicated(err) {
		return req, err
	}
	for _, tr := range trs {
		s.log.InfoContext(ctx, "request transition", "request_id", id, "customer_id", customerID,
			"from", tr.From, "to", tr.To, "by", tr.By)
	}
	return req, err
}

// notReplicated reports whether err is a durable write that stands on
// the primary but that no replica confirmed.
func notReplicated(err error) bool { return errors.Is(err, store.ErrNotReplicated) }

func (s *Service) auditEntry(req Request, tr Transition) store.AuditEntry {
	detail, _ := json.Marshal(map[string]any{
		"kind":            req.Change.Kind,
		"subscription_id": req.Change.SubscriptionID,
		"from_state":      tr.From,
		"to_state":        tr.To,
		"quantity_before": req.Decision.FromQuantity,
		"quantity_after":  req.Decision.ToQuantity,
		"target_offer":    req.Change.TargetOfferID,
		"comment":         tr.Comment,
	})
	return store.AuditEntry{
		Scope:   req.CustomerID,
		At:      tr.At,
		Actor:   tr.By,
		Action:  "request." + string(tr.To),
		Subject: req.ID,
		Detail:  detail,
	}
}
