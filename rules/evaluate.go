package rules

import (
	"fmt"
	"strconv"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// Evaluate decides whether in.Change may happen at in.Now, who must
// approve it, what it costs, and, when it may not, why and what the user
// can do instead. It is pure: no I/O, no clock, no shared state, so the
// preview and the re-check right before execution give the same answer on
// the same data.
//
// Checks run in a fixed order and the first failing one gives the reason:
// the change kind, the subscription (status, term not over), then the
// rules of the kind. A requester with an unknown or empty Role is treated
// as a member. The Catalog is needed for seat additions, renewal
// increases (seat caps) and upgrades; without it they are refused with
// unknown_offer rather than allowed unchecked.
func Evaluate(in Input) Decision {
	e := &evaluation{in: in, s: in.Subscription, ch: in.Change, now: in.Now, loc: in.Policy.Location}
	if e.loc == nil {
		e.loc = time.UTC
	}
	e.d = Decision{FromQuantity: e.s.Quantity, ToQuantity: e.s.Quantity}
	e.evaluate()
	return e.d
}

// evaluation is the state of one Evaluate call; it never outlives it.
type evaluation struct {
	in  Input
	s   csp.Subscription
	ch  csp.Change
	now time.Time
	loc *time.Location
	d   Decision
}

func (e *evaluation) evaluate() {
	s, ch := e.s, e.ch
	if !ch.Kind.Valid() {
		e.refuse(CodeUnknownChange, "unknown change kind %q", ch.Kind)
		return
	}
	e.setQuantities()
	if ch.SubscriptionID != "" && ch.SubscriptionID != s.ID {
		e.refuse(CodeSubscriptionMismatch, "change is for %q, subscription is %q", ch.SubscriptionID, s.ID)
		return
	}
	if s.Status != csp.StatusActive {
		e.param(ParamStatus, string(s.Status))
		e.refuse(CodeNotActive, "subscription is %s", s.Status)
		return
	}
	if !e.now.Before(s.TermEnd) {
		e.refuse(CodeTermEnded, "term ended at %s and has not rolled over", e.instant(s.TermEnd))
		return
	}
	switch ch.Kind {
	case csp.ChangeAddSeats:
		e.addSeats()
	case csp.ChangeRemoveSeats:
		e.removeSeats()
	case csp.ChangeSetRenewalQuantity:
		e.setRenewalQuantity()
	case csp.ChangeAutoRenewOff:
		e.autoRenewOff()
	case csp.ChangeAutoRenewOn:
		e.autoRenewOn()
	case csp.ChangeCancel:
		e.cancel()
	case csp.ChangeUpgrade:
		e.upgrade()
	case csp.ChangeAlignEndDate:
		e.alignEndDate()
	}
	if e.d.Outcome != Refused {
		e.finish()
	}
}

// setQuantities fills FromQuantity/ToQuantity as absolute targets before
// any check, so that a refusal still says what was asked. An invalid
// quantity leaves ToQuantity at FromQuantity.
func (e *evaluation) setQuantities() {
	s, n := e.s, e.ch.Quantity
	q := s.Quantity
	switch e.ch.Kind {
	case csp.ChangeAddSeats:
		if n > 0 {
			e.d.ToQuantity = q + n
		}
	case csp.ChangeRemoveSeats:
		if n > 0 {
			e.d.ToQuantity = max(q-n, 0)
		}
	case csp.ChangeSetRenewalQuantity:
		e.d.FromQuantity, e.d.ToQuantity = s.RenewalQuantity(), s.RenewalQuantity()
		if n >= 0 {
			e.d.ToQuantity = n
		}
	case csp.ChangeAutoRenewOff:
		e.d.FromQuantity, e.d.ToQuantity = renewing(s), 0
	case csp.ChangeAutoRenewOn:
		e.d.FromQuantity, e.d.ToQuantity = renewing(s), s.RenewalQuantity()
	case csp.ChangeCancel:
		e.d.ToQuantity = 0
	case csp.ChangeUpgrade:
		if n >= 0 && n <= q {
			e.d.ToQuantity = q - upgradeSeats(s, n)
		}
	}
}

// renewing is the number of seats that will renew at term end.
func renewing(s csp.Subscription) int {
	if !s.AutoRenew {
		return 0
	}
	return s.RenewalQuantity()
}

// finish adds the warnings that depend on the outcome rather than on the
// kind of change.
func (e *evaluation) finish() {
	s, k := e.s, e.ch.Kind
	if s.Trial && (s.AutoRenew || k == csp.ChangeAutoRenewOn) && k != csp.ChangeAutoRenewOff && k != csp.ChangeCancel {
		e.warn(CodeTrialConverts, ParamConvertsAt, e.instant(s.TermEnd))
	}
	lead := e.in.Policy.ApprovalLead
	if e.d.Outcome == NeedsApproval && lead > 0 && !e.d.Deadline.IsZero() && e.d.Deadline.Sub(e.now) <= lead {
		e.warn(CodeApprovalDeadlineNear, ParamDeadline, e.instant(e.d.Deadline))
	}
}

// --- seats ------------------------------------------------------------

// addSeats: G1, seats can be added at any time; the seat cap applies.
func (e *evaluation) addSeats() {
	s, n := e.s, e.ch.Quantity
	if n < 1 {
		e.refuse(CodeInvalidQuantity, "seats to add must be at least 1, got %d", n)
		return
	}
	offer, ok := e.offer()
	if !ok {
		e.refuse(CodeUnknownOffer, "offer %q is not in the catalog", s.OfferID)
		return
	}
	if e.overCap(offer, s.Quantity+n) {
		return
	}
	p := s.Price()
	e.d.Cost = seatCost(p, s.Quantity, s.Quantity+n)
	added := monthlyCost(p, n)
	if s.Trial {
		// A trial charges nothing now: the monthly amounts are what it
		// costs once it converts (the trial_converts warning says when).
		added = Money{Currency: p.Unit.Currency}
	} else {
		e.d.Cost.ProratedCharge = prorated(p, n, s.TermStart, s.TermEnd, e.now, e.loc)
	}
	if isAdmin(e.in.Role) || underLimit(added, e.in.Policy.MemberAddSeatsLimit) {
		e.d.Outcome = Allowed
	} else {
		e.approval(RoleLicenceAdmin, CodeOverMemberLimit, "added monthly cost %s is not under %s", added, e.in.Policy.MemberAddSeatsLimit)
	}
	e.wipesSchedule(s, e.d.ToQuantity)
}

// underLimit reports added < limit. Amounts in different currencies are
// not comparable, so they are not under (approval is the safe side);
// adding something free is under any positive limit.
func underLimit(added, limit Money) bool {
	if added.Minor != 0 && added.Currency != limit.Currency {
		return false
	}
	return added.Minor < limit.Minor
}

// removeSeats: G2, seats are removable only inside the window after their
// own purchase; quantity stays at least 1.
func (e *evaluation) removeSeats() {
	s, n := e.s, e.ch.Quantity
	if n < 1 {
		e.refuse(CodeInvalidQuantity, "seats to remove must be at least 1, got %d", n)
		return
	}
	if s.Quantity-n < 1 {
		e.belowOne("removing %d of %d seats leaves none", n, s.Quantity)
		return
	}
	removable, deadline := removalDeadline(openLots(s, e.in.Policy, e.now), n)
	if removable < n {
		e.param(ParamRemovable, strconv.Itoa(removable))
		e.nextWindowParams()
		code := CodeWindowClosed
		if removable > 0 {
			code = CodeFewerRemovable
			e.alt(CodeRemoveRemovableSeats, &csp.Change{Kind: csp.ChangeRemoveSeats, Quantity: removable})
		}
		// Scheduling the renewal needs auto-renew, and is pointless when
		// a smaller renewal is already scheduled.
		if want := s.Quantity - n; s.AutoRenew && want < s.RenewalQuantity() {
			e.alt(CodeScheduleRenewal, &csp.Change{Kind: csp.ChangeSetRenewalQuantity, Quantity: want})
		}
		e.remindWindow()
		e.refuse(code, "%d of %d seats removable now", removable, n)
		return
	}
	p := s.Price()
	e.d.Cost = seatCost(p, s.Quantity, s.Quantity-n)
	if !s.Trial { // nothing was paid for a trial's seats, so nothing is refunded
		e.d.Cost.ProratedRefund = prorated(p, n, s.TermStart, s.TermEnd, e.now, e.loc)
	}
	e.d.Deadline = deadline
	e.irreversible()
	e.adminOrLicenceAdmin()
	e.wipesSchedule(s, e.d.ToQuantity)
}

// setRenewalQuantity: G3, the renewal quantity is a renewal instruction:
// only with auto-renew on, before term end.
func (e *evaluation) setRenewalQuantity() {
	s, q := e.s, e.ch.Quantity
	if q < 0 {
		e.refuse(CodeInvalidQuantity, "renewal quantity must be at least 1, got %d", q)
		return
	}
	if q == 0 {
		e.belowOne("renewing 0 seats is a cancellation")
		return
	}
	if !s.AutoRenew {
		e.alt(CodeTurnOnAutoRenew, &csp.Change{Kind: csp.ChangeAutoRenewOn})
		e.refuse(CodeNeedsAutoRenew, "renewal quantity needs auto-renew on")
		return
	}
	cur := s.RenewalQuantity()
	if q == cur {
		e.param(ParamRenewalQuantity, strconv.Itoa(cur))
		e.refuse(CodeNothingToChange, "renewal quantity already %d", cur)
		return
	}
	// Only an increase can break the cap; a reduction must stay possible
	// even for a customer already over it.
	if q > cur {
		offer, ok := e.offer()
		if !ok {
			e.refuse(CodeUnknownOffer, "offer %q is not in the catalog", s.OfferID)
			return
		}
		if e.overCap(offer, q) {
			return
		}
	}
	e.d.Cost = seatCost(s.Price(), cur, q)
	e.d.Deadline = s.TermEnd
	e.adminOrLicenceAdmin()
}

// belowOne refuses a change that would leave no seat, offering what does
// end a subscription: cancelling inside the window, or auto-renew off.
func (e *evaluation) belowOne(format string, args ...any) {
	if _, open := cancelWindow(e.s, e.in.Policy, e.now); open {
		e.alt(CodeCancelNow, &csp.Change{Kind: csp.ChangeCancel})
	}
	if e.s.AutoRenew {
		e.alt(CodeTurnOffAutoRenew, &csp.Change{Kind: csp.ChangeAutoRenewOff})
	}
	e.refuse(CodeQuantityBelowOne, format, args...)
}

// --- auto-renew and cancellation -------------------------------------

// autoRenewOff: G5, schedules the end of the subscription at term end.
func (e *evaluation) autoRenewOff() {
	s := e.s
	if !s.AutoRenew {
		e.refuse(CodeNothingToChange, "auto-renew is already off")
		return
	}
	e.d.Cost = seatCost(s.Price(), e.d.FromQuantity, 0)
	e.d.Deadline = s.TermEnd
	e.warn(CodeExpiresAtTermEnd, ParamExpiresAt, e.instant(s.TermEnd))
	e.approval(RoleAccountManager, CodeAutoRenewOffNeedsAccountManager, "auto-renew off ends the subscription at term end")
}

// autoRenewOn undoes a scheduled end; routed like a renewal instruction.
func (e *evaluation) autoRenewOn() {
	s := e.s
	if s.AutoRenew {
		e.refuse(CodeNothingToChange, "auto-renew is already on")
		return
	}
	e.d.Cost = seatCost(s.Price(), 0, e.d.ToQuantity)
	e.d.Deadline = s.TermEnd
	e.adminOrLicenceAdmin()
}

// cancel: G4, the whole subscription, only inside its cancellation
// window; irreversible, so always the account manager.
func (e *evaluation) cancel() {
	s := e.s
	closes, open := cancelWindow(s, e.in.Policy, e.now)
	if !open {
		e.nextWindowParams()
		if s.AutoRenew {
			e.alt(CodeTurnOffAutoRenew, &csp.Change{Kind: csp.ChangeAutoRenewOff})
		}
		e.remindWindow()
		e.refuse(CodeBeforeCommitment, "cancellation window is closed")
		return
	}
	p := s.Price()
	e.d.Cost = seatCost(p, s.Quantity, 0)
	if !s.Trial {
		e.d.Cost.ProratedRefund = prorated(p, s.Quantity, s.TermStart, s.TermEnd, e.now, e.loc)
	}
	e.d.Deadline = closes
	e.irreversible()
	e.approval(RoleAccountManager, CodeCancellationNeedsAccountManager, "cancellation is irreversible")
}

// nextWindowParams says when seats become removable again: at the
// commitment end if the subscription renews, never if it expires.
func (e *evaluation) nextWindowParams() {
	s := e.s
	if s.AutoRenew {
		e.param(ParamWindowOpensAt, e.instant(s.TermEnd))
		e.param(ParamCommitmentDate, commitmentDate(s.TermEnd, e.loc))
	} else {
		e.param(ParamExpiresAt, e.instant(s.TermEnd))
	}
}

// remindWindow offers a reminder when the next window opens, which only
// happens if the subscription renews.
func (e *evaluation) remindWindow() {
	if e.s.AutoRenew {
		e.d.Alternatives = append(e.d.Alternatives, Alternative{Code: CodeRemindWindowOpens, At: e.s.TermEnd})
	}
}

// --- end-date alignment ----------------------------------------------

// maxAlignTerms bounds the search for the other subscription's future end
// dates (100 years of monthly terms), against corrupt data.
const maxAlignTerms = 1200

// alignEndDate: G11, the next term ends on the other subscription's end
// date. It is a renewal instruction: auto-renew on, before term end. The
// custom end must fall after the next term starts and no later than the
// next term's natural end (alignment only shortens a term). When the
// other subscription renews, its later end dates count too.
func (e *evaluation) alignEndDate() {
	s, loc := e.s, e.loc
	if !s.AutoRenew {
		e.alt(CodeTurnOnAutoRenew, &csp.Change{Kind: csp.ChangeAutoRenewOn})
		e.refuse(CodeNeedsAutoRenew, "end-date alignment needs auto-renew on")
		return
	}
	t, ok := e.other(e.ch.TargetSubscriptionID)
	if !ok {
		e.param(ParamSubscriptionID, e.ch.TargetSubscriptionID)
		e.refuse(CodeAlignTargetNotFound, "no other subscription %q", e.ch.TargetSubscriptionID)
		return
	}
	if t.Status != csp.StatusActive {
		e.param(ParamSubscriptionID, t.ID)
		e.param(ParamStatus, string(t.Status))
		e.refuse(CodeAlignTargetNotActive, "subscription %q is %s", t.ID, t.Status)
		return
	}
	nextStart := s.TermEnd
	nextEnd := s.EndAfter(1, s.Term.Months(), loc)
	end := t.TermEnd
	// Months are added to the original end on its anchor day, not
	// chained, so a 31st stays a 31st where the month has one.
	for k := 1; csp.DaysBetween(nextStart, end, loc) < 1; k++ {
		if !t.AutoRenew || t.Term.Months() == 0 || k > maxAlignTerms {
			e.refuse(CodeAlignEndTooEarly, "%q ends %s, before the next term starts", t.ID, e.instant(t.TermEnd))
			return
		}
		end = t.EndAfter(k, t.Term.Months(), loc)
	}
	if csp.DaysBetween(end, nextEnd, loc) < 0 {
		e.refuse(CodeAlignEndTooLate, "%q ends %s, after the next term's end %s", t.ID, e.instant(end), e.instant(nextEnd))
		return
	}
	current := nextEnd
	if s.Renewal != nil && s.Renewal.CustomTermEnd != nil {
		current = *s.Renewal.CustomTermEnd
	}
	if csp.DaysBetween(end, current, loc) == 0 {
		e.refuse(CodeNothingToChange, "next term already ends %s", e.instant(current))
		return
	}
	e.d.CustomTermEnd = end
	e.d.Cost = seatCost(s.Price(), s.Quantity, s.Quantity)
	e.d.Deadline = s.TermEnd
	e.adminOrLicenceAdmin()
}

// --- shared helpers ---------------------------------------------------

func isAdmin(r Role) bool { return r == RoleLicenceAdmin || r == RoleAccountManager }

// adminOrLicenceAdmin routes a reversible change: licence admins (and
// account managers) run it, members need a licence admin.
func (e *evaluation) adminOrLicenceAdmin() {
	if isAdmin(e.in.Role) {
		e.d.Outcome = Allowed
		return
	}
	e.approval(RoleLicenceAdmin, CodeNeedsLicenceAdmin, "members need a licence admin for %s", e.ch.Kind)
}

func (e *evaluation) approval(by Role, reason Code, format string, args ...any) {
	e.d.Outcome = NeedsApproval
	e.d.Approver = by
	e.d.Reason = reason
	e.d.Detail = fmt.Sprintf(format, args...)
}

// refuse ends the evaluation. Money, deadlines and warnings describe a
// change that will happen, so a refusal carries none of them.
func (e *evaluation) refuse(reason Code, format string, args ...any) {
	e.d.Outcome = Refused
	e.d.Reason = reason
	e.d.Detail = fmt.Sprintf(format, args...)
	e.d.Approver = ""
	e.d.Deadline = time.Time{}
	e.d.Irreversible = false
	e.d.Warnings = nil
	e.d.Cost = Cost{}
}

func (e *evaluation) param(k, v string) {
	if e.d.Params == nil {
		e.d.Params = map[string]string{}
	}
	e.d.Params[k] = v
}

// alt adds an alternative change on this subscription.
func (e *evaluation) alt(c Code, ch *csp.Change) {
	if ch.SubscriptionID == "" {
		ch.SubscriptionID = e.s.ID
	}
	e.d.Alternatives = append(e.d.Alternatives, Alternative{Code: c, Change: ch})
}

// warn adds a warning with key/value params.
func (e *evaluation) warn(c Code, kv ...string) {
	w := Warning{Code: c}
	if len(kv) > 0 {
		w.Params = make(map[string]string, len(kv)/2)
		for i := 0; i+1 < len(kv); i += 2 {
			w.Params[kv[i]] = kv[i+1]
		}
	}
	e.d.Warnings = append(e.d.Warnings, w)
}

func (e *evaluation) irreversible() {
	e.d.Irreversible = true
	e.warn(CodeIrreversible)
}

// wipesSchedule warns that a mid-term change on sub deletes its scheduled
// renewal changes (NCE), and offers to schedule the quantity again when
// one was scheduled and sub keeps seats.
func (e *evaluation) wipesSchedule(sub csp.Subscription, seatsAfter int) {
	if !sub.HasScheduledRenewal() {
		return
	}
	kv := []string{ParamSubscriptionID, sub.ID}
	if q := sub.Renewal.Quantity; q > 0 {
		kv = append(kv, ParamRenewalQuantity, strconv.Itoa(q))
		if seatsAfter >= 1 {
			e.alt(CodeReapplyRenewal, &csp.Change{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: sub.ID, Quantity: q})
		}
	}
	e.warn(CodeWipesScheduledRenewal, kv...)
}

// offer returns the subscription's offer from the catalog.
func (e *evaluation) offer() (csp.Offer, bool) {
	if e.in.Catalog == nil {
		return csp.Offer{}, false
	}
	return e.in.Catalog.Offer(e.s.OfferID)
}

// other finds another subscription of the customer by id. The subject
// itself is never "another", even if the caller put it in Others.
func (e *evaluation) other(id string) (csp.Subscription, bool) {
	if id == "" || id == e.s.ID {
		return csp.Subscription{}, false
	}
	for _, o := range e.in.Others {
		if o.ID == id {
			return o, true
		}
	}
	return csp.Subscription{}, false
}

// overCap refuses when the customer would hold more than the offer's cap:
// own seats on this subscription (or moved by an upgrade) plus the seats
// of the offer on the customer's other live subscriptions. Expired and
// cancelled lines hold no seats.
func (e *evaluation) overCap(o csp.Offer, own int) bool {
	total, ok := e.withinCap(o, own)
	if ok {
		return false
	}
	e.param(ParamMaxSeats, strconv.Itoa(o.MaxSeats))
	e.param(ParamSeatsAfter, strconv.Itoa(total))
	e.refuse(CodeOverSeatCap, "%s: %d seats for the customer, cap %d", o.Name, total, o.MaxSeats)
	return true
}

// withinCap returns the customer's seats of offer o with own seats on
// this line, and whether that respects the offer's cap (0: no cap).
func (e *evaluation) withinCap(o csp.Offer, own int) (total int, ok bool) {
	total = own
	for _, x := range e.in.Others {
		if x.ID == e.s.ID || x.OfferID != o.ID || x.Status == csp.StatusExpired || x.Status == csp.StatusCancelled {
			continue
		}
		total += x.Quantity
	}
	return total, o.MaxSeats <= 0 || total <= o.MaxSeats
}

// instant formats a time for Params: RFC 3339 in the customer's zone.
func (e *evaluation) instant(t time.Time) string { return t.In(e.loc).Format(time.RFC3339) }

// commitmentDate is the date people see as the end of the commitment:
// the day before the instant the term ends, in the customer's zone.
func commitmentDate(termEnd time.Time, loc *time.Location) string {
	return csp.StartOfDay(termEnd, loc).AddDate(0, 0, -1).Format(time.DateOnly)
}
