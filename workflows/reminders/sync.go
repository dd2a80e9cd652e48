package reminders

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// Sync derives a customer's reminders from its subscriptions (as the
// provider shows them now) and its pending requests, and makes the
// schedule match: new items are added, items whose date or content
// changed are replaced (same id), items nothing calls for any more are
// removed with a log line. Items already handled (ledger) or no longer
// useful are not scheduled again. Running it twice, or on two replicas at
// once, gives the same schedule.
func (e *Engine) Sync(ctx context.Context, customerID string) error {
	now := e.opt.Clock.Now()
	pol := e.policy(customerID)
	wants, err := e.derive(ctx, customerID, pol)
	if err != nil {
		return err
	}
	st := e.opt.Store
	ledger, ledgerDocs, err := ledgerAll(ctx, st, customerID)
	if err != nil {
		return err
	}
	cur, err := st.Scheduled(ctx, customerID, Queue, 0)
	if err != nil {
		return fmt.Errorf("reminders: read schedule of %s: %w", customerID, err)
	}
	have := make(map[string]store.ScheduledItem, len(cur))
	for _, it := range cur {
		have[it.ID] = it
	}
	keep := make(map[string]bool, len(wants))
	var add []store.ScheduledItem
	for _, w := range wants {
		if _, done := ledger[itemKey(w.id, w.due)]; done || !now.Before(w.p.Until) {
			continue
		}
		keep[w.id] = true
		data := w.p.encode()
		if old, ok := have[w.id]; ok && old.Due.Equal(w.due) && bytes.Equal(old.Payload, data) {
			continue
		}
		add = append(add, store.ScheduledItem{ID: w.id, Due: w.due, Payload: data})
	}
	// One round trip (one transaction on bolt) for all of them: a new
	// data directory schedules a few dozen items at start.
	if err := store.ScheduleAll(ctx, st, customerID, Queue, add); err != nil {
		return fmt.Errorf("reminders: schedule %d items: %w", len(add), err)
	}
	added := len(add)
	recorded, err := e.unscheduleRecorded(ctx, customerID, add)
	if err != nil {
		return err
	}
	added -= recorded
	var gone []store.ScheduledItem
	for _, it := range cur {
		if !keep[it.ID] {
			gone = append(gone, it)
		}
	}
	ids := make([]string, len(gone))
	for i, it := range gone {
		ids[i] = it.ID
	}
	if err := store.UnscheduleAll(ctx, st, customerID, Queue, ids); err != nil {
		return fmt.Errorf("reminders: unschedule %d items: %w", len(ids), err)
	}
	removed := len(gone)
	for _, it := range gone {
		why := "no longer applies"
		if !now.Before(it.Due) {
			why = "no longer useful"
		}
		if _, done := ledger[itemKey(it.ID, it.Due)]; done {
			why = "already handled"
		}
		e.log.InfoContext(ctx, "reminder dropped: "+why, "customer_id", customerID, "reminder_id", it.ID, "due", it.Due)
	}
	if err := ledgerPrune(ctx, st, customerID, ledgerDocs, now); err != nil {
		return err
	}
	e.markSynced(customerID, now)
	if added > 0 || removed > 0 {
		e.log.InfoContext(ctx, "reminders synced", "customer_id", customerID, "scheduled", added, "removed", removed)
	}
	return nil
}

// unscheduleRecorded removes those of the items Sync just scheduled that
// another replica's tick recorded meanwhile. That tick may have sent,
// recorded and unscheduled one of them between Sync's ledger read and its
// ScheduleAll, which put it back; the item would then only leave the
// queue once the tick's claim expired (its ledger entry keeps it from
// being sent again). A tick that records after this read unschedules
// after Sync's ScheduleAll, so nothing is left behind. It returns how
// many it removed.
func (e *Engine) unscheduleRecorded(ctx context.Context, customerID string, added []store.ScheduledItem) (int, error) {
	if len(added) == 0 {
		return 0, nil
	}
	var refs []store.Ref
	seen := map[string]bool{}
	owners := make([]string, len(added))
	for i, it := range added {
		p, _, err := decodePayload(Queue, it.Payload)
		if err != nil {
			continue
		}
		owners[i] = p.owner()
		if !seen[owners[i]] {
			seen[owners[i]] = true
			refs = append(refs, ledgerRef(customerID, owners[i]))
		}
	}
	docs, err := store.GetAll(ctx, e.opt.Store, refs)
	if err != nil {
		return 0, fmt.Errorf("reminders: read reminder ledger: %w", err)
	}
	ledgers := make(map[string]*ledgerState, len(docs))
	for _, d := range docs {
		if ledgers[d.Ref.ID], err = newLedgerState(d); err != nil {
			return 0, err
		}
	}
	var recorded []store.ScheduledItem
	for i, it := range added {
		if ls := ledgers[owners[i]]; ls != nil && ls.has(itemKey(it.ID, it.Due)) {
			recorded = append(recorded, it)
		}
	}
	if err := store.UnscheduleDueAll(ctx, e.opt.Store, customerID, Queue, recorded); err != nil {
		return 0, fmt.Errorf("reminders: unschedule %d items: %w", len(recorded), err)
	}
	return len(recorded), nil
}

// derive computes every reminder a customer's data calls for.
func (e *Engine) derive(ctx context.Context, customerID string, pol Policy) ([]want, error) {
	subs, err := e.opt.Provider.Subscriptions(ctx, customerID)
	if err != nil {
		return nil, fmt.Errorf("reminders: read subscriptions of %s: %w", customerID, err)
	}
	reqs, err := e.opt.Service.List(ctx, customerID)
	if err != nil {
		return nil, fmt.Errorf("reminders: read requests of %s: %w", customerID, err)
	}
	ro, err := readRoster(ctx, e.opt.Service.Directory(), customerID)
	if err != nil {
		return nil, err
	}
	to := subscriptionRecipients(ro)
	var out []want
	for _, s := range subs {
		out = append(out, deriveSubscription(s, pol, to)...)
	}
	for _, r := range reqs {
		out = append(out, deriveRequest(ro, r, pol)...)
	}
	out = append(out, e.deriveUnusedSummary(ctx, customerID, e.opt.Clock.Now(), pol, to)...)
	return out, nil
}

// RequestChanged implements workflows.Notifier, chained after the bot's
// by the outbox: a request waiting for approval gets its reminders at
// once, a decided one loses them, and an executed change re-derives the
// customer's reminders (new quantities, auto-renew off, a new end date).
// Every step is idempotent, so a retried outbox entry does no harm; an
// error leaves the entry for the next drain.
func (e *Engine) RequestChanged(ctx context.Context, req workflows.Request, pending []workflows.Transition) error {
	var errs []error
	for _, tr := range pending {
		if err := e.requestMoved(ctx, req, tr); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (e *Engine) requestMoved(ctx context.Context, req workflows.Request, tr workflows.Transition) error {
	st := e.opt.Store
	ro, err := readRoster(ctx, e.opt.Service.Directory(), req.CustomerID)
	if err != nil {
		return err
	}
	switch {
	case tr.To == workflows.StatePendingApproval && req.State == workflows.StatePendingApproval:
		var items []store.ScheduledItem
		for _, w := range deriveRequest(ro, req, e.policy(req.CustomerID)) {
			items = append(items, store.ScheduledItem{ID: w.id, Due: w.due, Payload: w.p.encode()})
		}
		if err := store.ScheduleAll(ctx, st, req.CustomerID, Queue, items); err != nil {
			return fmt.Errorf("schedule approval reminders: %w", err)
		}
	case tr.From == workflows.StatePendingApproval:
		// Decided, withdrawn or expired: its reminders go.
		pending := req
		pending.State = workflows.StatePendingApproval
		pol := e.policy(req.CustomerID)
		pol.Off = nil
		var ids []string
		for _, w := range deriveRequest(ro, pending, pol) {
			ids = append(ids, w.id)
		}
		if err := store.UnscheduleAll(ctx, st, req.CustomerID, Queue, ids); err != nil {
			return fmt.Errorf("unschedule approval reminders: %w", err)
		}
	}
	if tr.To == workflows.StateCompleted {
		if err := e.Sync(ctx, req.CustomerID); err != nil {
			return fmt.Errorf("reminders sync after change: %w", err)
		}
	}
	return nil
}

// Changed re-derives a customer's reminders after a change made outside
// the request workflow; it logs rather than returns failures, for use as
// a hook.
func (e *Engine) Changed(ctx context.Context, customerID string) {
	if err := e.Sync(ctx, customerID); err != nil {
		e.log.ErrorContext(ctx, "reminders sync after change", "customer_id", customerID, "err", err)
	}
}

// Entry is one scheduled (or, with history, handled) reminder, for
// `licensebot reminders`.
type Entry struct {
	ID             string    `json:"id"`
	Queue          string    `json:"queue"`
	Kind           Kind      `json:"kind"`
	CustomerID     string    `json:"customer_id"`
	SubscriptionID string    `json:"subscription_id,omitempty"`
	RequestID      string    `json:"request_id,omitempty"`
	LeadDays       int       `json:"lead_days,omitempty"`
	To             string    `json:"to"`
	Due            time.Time `json:"due"`
	// State: "scheduled" (due later), "due" (due, not yet handled:
	// the next tick sends it if still useful), "muted" or "kept" (due
	// later, but the recipient stopped these reminders or kept the
	// subscription as is for this term); with history also "sent",
	// "dropped" and handled "muted" ones.
	State string `json:"state"`
	// At is when a handled reminder was handled; Why why it was dropped.
	At  time.Time `json:"at,omitzero"`
	Why string    `json:"why,omitempty"`
}

// List returns a customer's scheduled reminders in due order and, with
// history, the handled ones still in the ledger.
func (e *Engine) List(ctx context.Context, customerID string, history bool) ([]Entry, error) {
	now := e.opt.Clock.Now()
	st := e.opt.Store
	var out []Entry
	for _, q := range []string{Queue, QueuePersonal} {
		items, err := st.Scheduled(ctx, customerID, q, 0)
		if err != nil {
			return nil, fmt.Errorf("reminders: read schedule of %s: %w", customerID, err)
		}
		for _, it := range items {
			p, _, err := decodePayload(q, it.Payload)
			if err != nil {
				out = append(out, Entry{ID: it.ID, Queue: q, CustomerID: customerID, Due: it.Due, State: "unreadable"})
				continue
			}
			en := Entry{ID: it.ID, Queue: q, Kind: p.Kind, CustomerID: customerID, SubscriptionID: p.Sub, RequestID: p.Req,
				LeadDays: p.Lead, To: p.To, Due: it.Due, State: "scheduled"}
			if !now.Before(it.Due) {
				en.State = "due"
			} else if p.Kind != KindPersonal && p.Req == "" {
				prefs, err := GetPrefs(ctx, st, customerID, p.To, p.Sub)
				if err != nil {
					return nil, err
				}
				switch {
				case prefs.Muted:
					en.State = StateMuted
				case (p.Kind == KindRenewal || p.Kind == KindTrial) && prefs.KeptTermEnd.Equal(p.Term):
					en.State = "kept"
				}
			}
			out = append(out, en)
		}
	}
	if history {
		ledger, _, err := ledgerAll(ctx, st, customerID)
		if err != nil {
			return nil, err
		}
		for k, le := range ledger {
			q := Queue
			if le.Kind == KindPersonal {
				q = QueuePersonal
			}
			out = append(out, Entry{ID: idOf(k), Queue: q, Kind: le.Kind, CustomerID: customerID, To: le.To,
				SubscriptionID: le.Sub, RequestID: le.Req, LeadDays: le.Lead,
				Due: le.Due, State: le.State, At: le.At, Why: le.Why})
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Due.Equal(out[j].Due) {
			return out[i].Due.Before(out[j].Due)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}
