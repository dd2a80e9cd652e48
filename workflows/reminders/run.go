package reminders

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// ErrNoSender: RunDue was called on an engine built without a Sender.
var ErrNoSender = errors.New("reminders: no sender")

// run is one customer's pass over what is due, with what it read once.
type run struct {
	e        *Engine
	customer string
	now      time.Time
	pol      Policy
	subs     map[string]csp.Subscription
	reqs     []workflows.Request
	reqsRead bool
}

// verdict is what to do with a claimed item.
type verdict int

const (
	send    verdict = iota
	stale           // no longer useful: dropped with a log line
	muted           // the recipient does not want it
	later           // not ready (the portal has not shown the new term yet)
	handled         // already in the ledger
)

// RunDue sends what is due for a customer: it reads at most MaxPerTick
// due items per queue from the store (never the whole schedule) and
// handles each exactly once across replicas. Store failures stop the run
// and are returned; a failed send is counted in Retry and retried on a
// later tick.
func (e *Engine) RunDue(ctx context.Context, customerID string) (Report, error) {
	var rep Report
	if e.sender() == nil {
		return rep, ErrNoSender
	}
	r := &run{e: e, customer: customerID, now: e.opt.Clock.Now(), pol: e.policy(customerID)}
	for _, q := range []string{Queue, QueuePersonal} {
		items, err := e.opt.Store.Due(ctx, customerID, q, r.now, e.opt.MaxPerTick)
		if err != nil {
			return rep, fmt.Errorf("reminders: read due items of %s: %w", customerID, err)
		}
		for _, it := range items {
			if err := r.process(ctx, q, it, &rep); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

func claimKey(customerID, queue string, it store.ScheduledItem) string {
	return "reminder:" + customerID + ":" + queue + ":" + itemKey(it.ID, it.Due)
}

// process handles one due item. It returns an error only when the store
// fails (the run stops; nothing is lost, the item stays scheduled).
func (r *run) process(ctx context.Context, queue string, it store.ScheduledItem, rep *Report) error {
	e := r.e
	st := e.opt.Store
	log := e.log.With("customer_id", r.customer, "reminder_id", it.ID, "due", it.Due)
	ckey := claimKey(r.customer, queue, it)
	won, err := st.Claim(ctx, ckey, e.opt.ClaimTTL)
	if err != nil {
		return fmt.Errorf("reminders: claim %s: %w", it.ID, err)
	}
	if !won {
		rep.Busy++
		return nil
	}
	release := func() {
		if err := st.Release(ctx, ckey); err != nil {
			log.WarnContext(ctx, "release reminder claim", "err", err)
		}
	}
	unschedule := func() error {
		if err := st.Unschedule(ctx, r.customer, queue, it.ID); err != nil {
			return fmt.Errorf("reminders: unschedule %s: %w", it.ID, err)
		}
		return nil
	}
	p, personal, err := decodePayload(queue, it.Payload)
	if err != nil {
		log.ErrorContext(ctx, "reminder dropped: unreadable", "err", err)
		rep.Dropped++
		return unschedule()
	}
	log = log.With("kind", p.Kind, "to", p.To)
	if p.Req != "" {
		log = log.With("request_id", p.Req)
	}
	if p.Sub != "" {
		log = log.With("subscription_id", p.Sub)
	}
	key := itemKey(it.ID, it.Due)
	done, err := ledgerHas(ctx, st, r.customer, p.owner(), key)
	if err != nil {
		release()
		return err
	}
	if done {
		rep.Done++
		return unschedule()
	}
	item, v, why, err := r.resolve(ctx, it, p, personal)
	if err != nil {
		// The portal or the store could not answer: try again later.
		release()
		log.WarnContext(ctx, "reminder not sent, will retry", "err", err)
		rep.Retry++
		return nil
	}
	entry := ledgerEntry{At: r.now, Due: it.Due, Until: p.Until, Kind: p.Kind, Lead: p.Lead, Sub: p.Sub, Req: p.Req, To: p.To, Why: why}
	if entry.Until.IsZero() {
		entry.Until = r.now
	}
	switch v {
	case later:
		release()
		log.InfoContext(ctx, "reminder waits", "why", why)
		rep.Retry++
		return nil
	case stale, muted:
		entry.State = StateDropped
		if v == muted {
			entry.State = StateMuted
			rep.Muted++
			log.InfoContext(ctx, "reminder not sent: muted by the recipient", "why", why)
		} else {
			rep.Dropped++
			log.InfoContext(ctx, "reminder dropped: no longer useful", "why", why, "late_by", r.now.Sub(it.Due).String())
		}
		if err := ledgerPut(ctx, st, r.customer, p.owner(), key, entry); err != nil {
			release() // nothing was sent: decide again on a later tick
			return err
		}
		return unschedule()
	}
	if p.Kind == KindApprovalEscalated {
		req, err := e.opt.Service.Escalate(ctx, r.customer, p.Req, "licensebot")
		var se *workflows.StateError
		switch {
		case errors.As(err, &se):
			entry.State, entry.Why = StateDropped, "request "+string(se.Request.State)
			rep.Dropped++
			log.InfoContext(ctx, "reminder dropped: no longer useful", "why", entry.Why)
			if err := ledgerPut(ctx, st, r.customer, p.owner(), key, entry); err != nil {
				release()
				return err
			}
			return unschedule()
		case err != nil:
			release()
			log.WarnContext(ctx, "escalate request, will retry", "err", err)
			rep.Retry++
			return nil
		}
		item.Request = req
	}
	if err := e.sender().Remind(ctx, item); err != nil {
		release()
		log.WarnContext(ctx, "reminder send failed, will retry", "err", err)
		rep.Retry++
		return nil
	}
	rep.Sent++
	log.InfoContext(ctx, "reminder sent", "late", item.Late)
	entry.State = StateSent
	if err := ledgerPut(ctx, st, r.customer, p.owner(), key, entry); err != nil {
		// Keep the claim: the item is not sent again before it expires.
		return err
	}
	return unschedule()
}

func (r *run) subscription(ctx context.Context, id string) (csp.Subscription, bool, error) {
	if r.subs == nil {
		subs, err := r.e.opt.Provider.Subscriptions(ctx, r.customer)
		if err != nil {
			return csp.Subscription{}, false, fmt.Errorf("read subscriptions: %w", err)
		}
		r.subs = make(map[string]csp.Subscription, len(subs))
		for _, s := range subs {
			r.subs[s.ID] = s
		}
	}
	s, ok := r.subs[id]
	return s, ok, nil
}

// removedSince reports whether seats of a subscription were removed (or
// it was cancelled) through the bot since t.
func (r *run) removedSince(ctx context.Context, subID string, t time.Time) (bool, error) {
	if !r.reqsRead {
		reqs, err := r.e.opt.Service.List(ctx, r.customer)
		if err != nil {
			return false, err
		}
		r.reqs, r.reqsRead = reqs, true
	}
	for _, q := range r.reqs {
		if q.Change.SubscriptionID != subID || q.State != workflows.StateCompleted || q.UpdatedAt.Before(t) {
			continue
		}
		if q.Change.Kind == csp.ChangeRemoveSeats || q.Change.Kind == csp.ChangeCancel {
			return true, nil
		}
	}
	return false, nil
}

// resolve reads what the reminder is about, fresh, and decides whether it
// is still useful (the catch-up rule: a renewal still ahead, a window
// still open, a trial not converted, an approval still pending; and no
// later reminder of the same series due already).
func (r *run) resolve(ctx context.Context, it store.ScheduledItem, p payload, personal *Personal) (Item, verdict, string, error) {
	item := Item{
		ID: it.ID, Key: itemKey(it.ID, it.Due), Kind: p.Kind, CustomerID: r.customer, Due: it.Due, Now: r.now,
		Late: r.now.Sub(it.Due) > r.e.opt.LateAfter, Audience: p.Aud, Location: r.pol.loc(), LeadDays: p.Lead,
		RemovalWindow: r.pol.RemovalWindow,
		Personal:      personal,
	}
	to, err := r.e.opt.Service.Directory().ByEmail(ctx, p.To)
	if errors.Is(err, workflows.ErrUnknownPerson) {
		return item, stale, "recipient " + p.To + " is no longer configured", nil
	}
	if err != nil {
		return item, send, "", err
	}
	item.To = to
	if why := r.seriesOver(p); why != "" {
		return item, stale, why, nil
	}
	if p.Kind == KindApprovalWaiting || p.Kind == KindApprovalEscalated {
		v, why, err := r.resolveApproval(ctx, &item, p)
		return item, v, why, err
	}
	s, found, err := r.subscription(ctx, p.Sub)
	if err != nil {
		return item, send, "", err
	}
	if !found {
		return item, stale, "subscription not found", nil
	}
	r.describeSubscription(ctx, &item, s)
	if s.Status != csp.StatusActive {
		return item, stale, "subscription " + string(s.Status), nil
	}
	if p.Kind == KindPersonal {
		return r.resolvePersonal(item, it, s)
	}
	if v, why, err := r.checkTerm(ctx, &item, p, s); v != send || err != nil {
		return item, v, why, err
	}
	v, why, err := r.checkPrefs(ctx, to.Email, p, s)
	return item, v, why, err
}

// seriesOver says why a reminder is too late for its series: past its
// usefulness, or a later reminder of the series is due already. "" when
// it is not.
func (r *run) seriesOver(p payload) string {
	if !p.Until.IsZero() && !r.now.Before(p.Until) {
		return "too late to be useful"
	}
	if !p.Next.IsZero() && !r.now.Before(p.Next) {
		return "superseded by a later reminder"
	}
	return ""
}

// resolveApproval: an approval reminder is useful while its request
// waits for approval, before its deadline.
func (r *run) resolveApproval(ctx context.Context, item *Item, p payload) (verdict, string, error) {
	req, err := r.e.opt.Service.Get(ctx, r.customer, p.Req)
	if errors.Is(err, workflows.ErrNotFound) {
		return stale, "request not found", nil
	}
	if err != nil {
		return send, "", err
	}
	item.Request = req
	if req.State != workflows.StatePendingApproval {
		return stale, "request " + string(req.State), nil
	}
	if !req.Deadline.IsZero() && !r.now.Before(req.Deadline) {
		return stale, "approval deadline passed", nil
	}
	return send, "", nil
}

// describeSubscription fills what the message says about the
// subscription and its next term.
func (r *run) describeSubscription(ctx context.Context, item *Item, s csp.Subscription) {
	item.Subscription = s
	item.CommitmentEnd = r.pol.CommitmentEnd(s)
	var cat *csp.Catalog
	if c, err := r.e.opt.Provider.Catalog(ctx, r.customer); err == nil {
		cat = c // without it, the current price stands in
	}
	item.NextTermLength, item.NextBilling, item.NextTermCost = NextTerm(s, cat)
}

// checkTerm: a renewal or trial reminder is about the term it was
// scheduled for; a window reminder about a window still open. It returns
// send when nothing stops the reminder.
func (r *run) checkTerm(ctx context.Context, item *Item, p payload, s csp.Subscription) (verdict, string, error) {
	switch p.Kind {
	case KindRenewal, KindTrial:
		switch {
		case !s.TermEnd.Equal(p.Term):
			return stale, "the term changed", nil
		case !s.AutoRenew:
			return stale, "auto-renew is off", nil
		case s.Trial != (p.Kind == KindTrial):
			return stale, "trial status changed", nil
		}
		return send, "", nil
	case KindWindowOpen, KindWindowClosing:
		return r.checkWindow(ctx, item, p, s)
	}
	return stale, "unknown kind " + string(p.Kind), nil
}

// checkWindow: the removal window of the term the reminder was scheduled
// for is still open, and (for the closing reminder) nobody removed seats
// in it yet.
func (r *run) checkWindow(ctx context.Context, item *Item, p payload, s csp.Subscription) (verdict, string, error) {
	if !s.TermStart.Equal(p.Term) {
		if s.TermEnd.Equal(p.Term) && s.AutoRenew && r.now.Before(p.Term.Add(r.e.opt.RenewalGrace)) {
			return later, "the portal does not show the new term yet", nil
		}
		return stale, "the term changed", nil
	}
	lot, ok := termLot(s)
	if !ok {
		return stale, "no seats left from the term start", nil
	}
	item.WindowCloses = r.pol.lotCloses(lot)
	item.RemovableSeats = lot.Quantity
	if !r.now.Before(item.WindowCloses) {
		return stale, "the removal window closed", nil
	}
	if p.Kind != KindWindowClosing {
		return send, "", nil
	}
	removed, err := r.removedSince(ctx, s.ID, s.TermStart)
	if err != nil {
		return send, "", err
	}
	if removed {
		return stale, "seats were already removed in this window", nil
	}
	return send, "", nil
}

// checkPrefs applies the recipient's choices: reminders stopped for the
// subscription, or the term kept as is.
func (r *run) checkPrefs(ctx context.Context, email string, p payload, s csp.Subscription) (verdict, string, error) {
	prefs, err := GetPrefs(ctx, r.e.opt.Store, r.customer, email, s.ID)
	if err != nil {
		return send, "", err
	}
	if prefs.Muted {
		return muted, "reminders stopped for this subscription", nil
	}
	if (p.Kind == KindRenewal || p.Kind == KindTrial) && prefs.KeptTermEnd.Equal(s.TermEnd) {
		return muted, "kept as is for this term", nil
	}
	return send, "", nil
}

// resolvePersonal: a "remind me when the window opens" is useful while
// the window it waited for is open.
func (r *run) resolvePersonal(item Item, it store.ScheduledItem, s csp.Subscription) (Item, verdict, string, error) {
	pr := item.Personal
	if pr == nil || !strings.EqualFold(pr.To, item.To.Email) {
		return item, stale, "malformed personal reminder", nil
	}
	var closes time.Time
	n := 0
	for _, l := range s.Lots {
		c := r.pol.lotCloses(l)
		if !r.now.Before(l.PurchasedAt) && r.now.Before(c) && l.Quantity > 0 {
			n += l.Quantity
			if closes.IsZero() || c.Before(closes) {
				closes = c
			}
		}
	}
	switch pr.Kind {
	case csp.ChangeRemoveSeats, csp.ChangeCancel:
		if n == 0 {
			if r.now.Before(it.Due.Add(r.e.opt.RenewalGrace)) && s.TermEnd.Equal(it.Due) {
				return item, later, "the portal does not show the new term yet", nil
			}
			return item, stale, "the removal window is not open", nil
		}
	}
	item.WindowCloses, item.RemovableSeats = closes, n
	return item, send, "", nil
}
