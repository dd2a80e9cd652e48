// Package cardsamples is the shared catalog of sample messages: one of
// every kind the engine produces (subscriptions, previews, refusals,
// questions, approval and requester cards in every state, reminders,
// help, errors), in English and French, built through the real
// bot/cards renderer from fixed data and a fixed clock. The Slack and
// Teams golden-file tests render the same catalog, and the browser check
// renders the Teams goldens, so a change of wording or layout shows in
// every place at once.
//
// Adding a sample is one entry in the table of build.
package cardsamples

import (
	"fmt"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/cards"
	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/catalog"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// Sample is one message of the catalog, in one language.
type Sample struct {
	// Name says what the message is ("approval_rejected"); with Lang it
	// names the golden files: NAME.LANG.golden.json.
	Name string
	Lang string
	// Message is what the engine hands the adapters.
	Message chat.Message
}

// File is the sample's golden file name.
func (s Sample) File() string { return s.Name + "." + s.Lang + ".golden.json" }

// Langs are the languages every sample is written in.
var Langs = []string{"en", "fr"}

// Now is the catalog's fixed clock: Thursday 26 November 2026, 10:00 in
// Paris.
func Now() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, paris()) }

func paris() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		// Without a time zone database the dates would differ from the
		// goldens; a fixed +01:00 is Paris in November.
		return time.FixedZone("CET", 3600)
	}
	return loc
}

// People of the samples.
var (
	alice = workflows.Person{Email: "alice@contoso.example", Name: "Alice Martin", Role: rules.RoleMember, CustomerID: "contoso"}
	marc  = workflows.Person{Email: "marc@erp-cloud.example", Name: "Marc Dubois", Role: rules.RoleAccountManager}
	// claire is Contoso's licence admin: she approves members' purchases.
	claire = workflows.Person{Email: "claire@contoso.example", Name: "Claire Petit", Role: rules.RoleLicenceAdmin, CustomerID: "contoso"}
)

// env is what the samples are built from.
type env struct {
	tr   *bot.Translator
	rd   *cards.Renderer
	cat  *csp.Catalog
	pol  rules.Policy
	now  time.Time
	loc  *time.Location
	subs map[string]csp.Subscription
	all  []csp.Subscription
	cust cards.Customer
}

// All returns every sample in every language, in a stable order.
func All() ([]Sample, error) {
	e, err := newEnv()
	if err != nil {
		return nil, err
	}
	var out []Sample
	for _, lang := range Langs {
		for _, b := range e.builders() {
			m := b.build(lang)
			m.Lang = lang
			if m.To == "" {
				m.To = b.to.Email
			}
			out = append(out, Sample{Name: b.name, Lang: lang, Message: m})
		}
	}
	return out, nil
}

// Get returns one sample.
func Get(name, lang string) (Sample, error) {
	all, err := All()
	if err != nil {
		return Sample{}, err
	}
	for _, s := range all {
		if s.Name == name && s.Lang == lang {
			return s, nil
		}
	}
	return Sample{}, fmt.Errorf("no sample %s.%s", name, lang)
}

func newEnv() (*env, error) {
	tr, err := bot.NewTranslator()
	if err != nil {
		return nil, fmt.Errorf("translator: %w", err)
	}
	cat, err := catalog.Default()
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	loc := paris()
	e := &env{tr: tr, cat: cat, loc: loc, now: Now(), pol: rules.DefaultPolicy(loc), subs: map[string]csp.Subscription{},
		cust: cards.Customer{ID: "contoso", Name: "Contoso SAS", Lang: "en", Location: loc}}
	e.rd = cards.New(cards.Options{Translator: tr, Clock: clock.NewManual(e.now), Customers: []cards.Customer{e.cust},
		Catalogs: map[string]*csp.Catalog{"": cat}, Policy: func(string) rules.Policy { return e.pol },
		SettleTime: 10 * time.Minute})
	if err := e.seed(); err != nil {
		return nil, err
	}
	return e, nil
}

// seed makes Contoso's subscriptions as the sandbox portal seeds them:
// an open removal window (sub-1), a renewal in a month (sub-2), E1 and E3
// lines for upgrades (sub-3, sub-4), a trial about to convert (sub-5),
// a monthly plan (sub-6) and a scheduled smaller renewal (sub-7).
func (e *env) seed() error {
	t0 := time.Date(2026, 11, 26, 0, 0, 0, 0, e.loc)
	type seedSub struct {
		id, offer          string
		qty                int
		term               csp.Term
		billing            csp.BillingCycle
		startDay, endDay   int // days from t0: the term starts, or the commitment ends
		trial              bool
		renewal, autoRenew int
	}
	for _, d := range []seedSub{
		{id: "sub-1", offer: "m365-business-standard", qty: 10, term: csp.TermAnnual, billing: csp.BillingMonthly, startDay: -1},
		{id: "sub-2", offer: "m365-apps-business", qty: 1, term: csp.TermAnnual, billing: csp.BillingAnnual, endDay: 30},
		{id: "sub-3", offer: "o365-e1", qty: 25, term: csp.TermAnnual, billing: csp.BillingMonthly, endDay: 200},
		{id: "sub-4", offer: "o365-e3", qty: 5, term: csp.TermAnnual, billing: csp.BillingMonthly, endDay: 250},
		{id: "sub-5", offer: "m365-business-premium", qty: 25, term: csp.TermMonthly, billing: csp.BillingMonthly, endDay: 5, trial: true},
		{id: "sub-6", offer: "teams-essentials", qty: 3, term: csp.TermMonthly, billing: csp.BillingMonthly, endDay: 10},
		{id: "sub-7", offer: "exchange-online-p1", qty: 8, term: csp.TermAnnual, billing: csp.BillingMonthly, endDay: 60, renewal: 6},
	} {
		o, ok := e.cat.Offer(d.offer)
		if !ok {
			return fmt.Errorf("offer %q is not in the catalog", d.offer)
		}
		var start, end time.Time
		if d.endDay == 0 {
			start = t0.AddDate(0, 0, d.startDay)
			end = csp.TermEnd(start, d.term)
		} else {
			end = t0.AddDate(0, 0, d.endDay+1)
			start = csp.AddMonths(end, -d.term.Months())
		}
		pt, pb := d.term, d.billing
		if d.trial {
			pt, pb = csp.TermMonthly, csp.BillingMonthly
		}
		price, ok := o.Price(pt, pb)
		if !ok {
			return fmt.Errorf("offer %q has no %s/%s price", d.offer, pt, pb)
		}
		cancelUntil := start.Add(e.pol.RemovalWindow)
		s := csp.Subscription{ID: d.id, CustomerID: "contoso", OfferID: o.ID, Name: o.Name, Quantity: d.qty, Term: d.term,
			Billing: d.billing, TermStart: start, TermEnd: end, AutoRenew: true, Status: csp.StatusActive, Trial: d.trial,
			UnitPrice: price.Unit, CancellationAllowedUntil: &cancelUntil,
			Lots: []csp.SeatLot{{Quantity: d.qty, PurchasedAt: start, RemovableUntil: start.Add(e.pol.RemovalWindow)}}}
		if d.renewal > 0 {
			s.Renewal = &csp.RenewalInstructions{Quantity: d.renewal}
		}
		e.subs[s.ID] = s
		e.all = append(e.all, s)
	}
	return nil
}

// evaluate asks the rules about a change, as workflows.Service does.
func (e *env) evaluate(who workflows.Person, c csp.Change) workflows.Evaluation {
	s := e.subs[c.SubscriptionID]
	ev := workflows.Evaluation{Subscription: s, Others: e.all, Change: c,
		Decision: rules.Evaluate(rules.Input{Subscription: s, Change: c, Role: who.Role, Policy: e.pol, Catalog: e.cat, Others: e.all, Now: e.now})}
	if c.TargetOfferID != "" {
		if o, ok := e.cat.Offer(c.TargetOfferID); ok {
			ev.TargetOffer = &o
		}
	}
	if t, ok := e.subs[c.TargetSubscriptionID]; ok {
		ev.Target = &t
	}
	return ev
}

var draft = cards.Draft{ID: "d-1", CustomerID: "contoso"}

// upgrade is the samples' request: Alice asks to upgrade 5 E1 seats
// into the existing E3 line, with a reason; Marc decides.
func (e *env) request(state workflows.State) workflows.Request {
	c := csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", Quantity: 5, TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4"}
	ev := e.evaluate(alice, c)
	asked := e.now.Add(-26 * time.Hour)
	decided := e.now.Add(-20 * time.Minute)
	r := workflows.Request{ID: "R-3", CustomerID: "contoso", Change: c, Requester: alice.Email,
		Justification: "New hires need Teams Phone and the E3 security features", State: state, Decision: ev.Decision,
		ApproverRole: ev.Decision.Approver, SubscriptionName: ev.Subscription.Name, TargetOfferName: ev.TargetOffer.Name,
		TargetLineName: ev.Target.Name, CreatedAt: asked, UpdatedAt: decided,
		Deadline: time.Date(2026, 11, 28, 0, 0, 0, 0, e.loc), // midnight: reads "Fri 27 Nov 2026, 23:59"
		Names:    map[string]string{alice.Email: alice.Name, marc.Email: marc.Name},
		History:  []workflows.Transition{{From: workflows.StateSubmitted, To: workflows.StatePendingApproval, By: alice.Email, At: asked}}}
	switch state {
	case workflows.StatePendingApproval, workflows.StateWithdrawn, workflows.StateExpired:
	case workflows.StateRejected:
		r.Approver, r.DecidedAt, r.Comment = marc.Email, decided, "we don't need more seats this year"
	default:
		r.Approver, r.DecidedAt = marc.Email, decided
	}
	if state == workflows.StateExpired {
		r.UpdatedAt = r.Deadline
	}
	if state == workflows.StateFailed {
		r.Failure = string(rules.CodeMergeTargetNotActive)
	}
	if state == workflows.StateNeedsAttention {
		r.Attempts = []workflows.Attempt{{Key: "8f14e45f-ceea-467f-a9f0-3c9ab5b3f3c1", SentAt: decided.Add(time.Minute),
			Receipt: &csp.Receipt{Status: 202, CorrelationID: "c0ffee00-1234-4abc-9def-001122334455"}}}
		r.Attention = &workflows.Attention{Since: decided.Add(11 * time.Minute), Outcome: csp.ObservedUnknown, CheckedAt: e.now.Add(-2 * time.Minute)}
	}
	return r
}

// purchaseChange is the samples' purchase: 5 Office 365 E5, annual,
// billed monthly, ending with the subscription align names ("" none).
func purchaseChange(align string) csp.Change {
	return csp.Change{Kind: csp.ChangePurchase, TargetOfferID: "o365-e5", Quantity: 5, Term: csp.TermAnnual,
		Billing: csp.BillingMonthly, TargetSubscriptionID: align}
}

func (e *env) purchaseInput(who workflows.Person, c csp.Change) rules.PurchaseInput {
	return rules.PurchaseInput{Change: c, Role: who.Role, Policy: e.pol, Catalog: e.cat, Subscriptions: e.all,
		AlignsPurchases: true, Now: e.now}
}

// evaluatePurchase asks the rules about a purchase, as
// workflows.Service does: the line to be bought stands in for the
// subscription.
func (e *env) evaluatePurchase(who workflows.Person, c csp.Change) workflows.Evaluation {
	o, _ := e.cat.Offer(c.TargetOfferID)
	ev := workflows.Evaluation{Change: c, Others: e.all, TargetOffer: &o,
		Subscription: csp.Subscription{CustomerID: "contoso", OfferID: o.ID, Name: o.Name, Term: c.Term, Billing: c.Billing},
		Decision:     rules.EvaluatePurchase(e.purchaseInput(who, c))}
	if t, ok := e.subs[c.TargetSubscriptionID]; ok {
		ev.Target = &t
	}
	return ev
}

// purchaseRequest is Alice's purchase, aligned with the E3 line, as a
// request a licence admin (Claire) decides.
func (e *env) purchaseRequest(state workflows.State) workflows.Request {
	ev := e.evaluatePurchase(alice, purchaseChange("sub-4"))
	r := e.request(state)
	r.ID, r.Change, r.Decision, r.ApproverRole = "R-5", ev.Change, ev.Decision, ev.Decision.Approver
	r.SubscriptionName, r.TargetOfferName, r.TargetLineName = ev.TargetOffer.Name, ev.TargetOffer.Name, ev.Target.Name
	r.Justification = "Three analysts join in January and need E5 Compliance"
	r.Names[claire.Email] = claire.Name
	if r.Approver != "" {
		r.Approver = claire.Email
	}
	if state == workflows.StateCompleted {
		r.NewSubscriptionID = "sub-8"
	}
	return r
}

// builder makes one sample in a language.
type builder struct {
	name  string
	to    workflows.Person
	build func(lang string) chat.Message
}

func (e *env) builders() []builder {
	rd, tr := e.rd, e.tr
	preview := func(who workflows.Person, c csp.Change) func(string) chat.Message {
		return func(l string) chat.Message { return rd.Preview(l, draft, e.evaluate(who, c)) }
	}
	approval := func(s workflows.State) func(string) chat.Message {
		return func(l string) chat.Message { return rd.Approval(l, e.request(s), marc) }
	}
	request := func(s workflows.State) func(string) chat.Message {
		return func(l string) chat.Message { return rd.Request(l, e.request(s), workflows.Person{}) }
	}
	reminder := func(kind reminders.Kind, to workflows.Person, sub string, mod func(*reminders.Item)) func(string) chat.Message {
		return func(l string) chat.Message {
			s := e.subs[sub]
			it := reminders.Item{ID: "rem-1", Key: string(kind) + ":" + sub, Kind: kind, CustomerID: "contoso", Due: e.now, Now: e.now,
				To: to, Location: e.loc, RemovalWindow: e.pol.RemovalWindow, Subscription: s,
				CommitmentEnd: csp.StartOfDay(s.TermEnd.In(e.loc).AddDate(0, 0, -1), e.loc), NextTermCost: reminders.NextTermCost(s, e.cat)}
			if closes, ok := s.NextWindowCloses(e.now); ok {
				it.WindowCloses, it.RemovableSeats = closes, s.RemovableAt(e.now)
			}
			if mod != nil {
				mod(&it)
			}
			m := rd.Reminder(l, it)
			m.Kind, m.Key, m.CustomerID = chat.KindReminder, "reminder:"+it.Key, it.CustomerID
			return m
		}
	}
	text := func(kind chat.Kind, id string, data map[string]any) func(string) chat.Message {
		return func(l string) chat.Message { return chat.Message{Kind: kind, Text: tr.T(l, id, data)} }
	}
	admin := claire
	upgradeMerge := csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", Quantity: 5, TargetOfferID: "o365-e3", TargetSubscriptionID: "sub-4"}
	upgradeNew := csp.Change{Kind: csp.ChangeUpgrade, SubscriptionID: "sub-3", Quantity: 5, TargetOfferID: "o365-e3"}
	withRequest := func(s workflows.State, aud reminders.Audience) func(*reminders.Item) {
		return func(it *reminders.Item) { it.Request, it.Audience = e.request(s), aud }
	}
	return []builder{
		{"subscriptions", alice, func(l string) chat.Message { return rd.SubscriptionList(l, e.cust, e.all) }},
		{"subscription", alice, func(l string) chat.Message { return rd.Subscription(l, e.subs["sub-3"]) }},
		{"subscription_window_open", alice, func(l string) chat.Message { return rd.Subscription(l, e.subs["sub-1"]) }},
		{"catalog", alice, func(l string) chat.Message { return rd.Catalog(l, "contoso", nil) }},
		{"preview_add", alice, preview(alice, csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 2})},
		{"preview_add_approval", alice, preview(alice, csp.Change{Kind: csp.ChangeAddSeats, SubscriptionID: "sub-1", Quantity: 10})},
		{"preview_reduce_renewal", admin, preview(admin, csp.Change{Kind: csp.ChangeSetRenewalQuantity, SubscriptionID: "sub-3", Quantity: 20})},
		{"preview_remove_seats", admin, preview(admin, csp.Change{Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-1", Quantity: 3})},
		{"preview_upgrade", alice, preview(alice, upgradeMerge)},
		{"preview_upgrade_new", alice, preview(alice, upgradeNew)},
		{"preview_cancel", admin, preview(admin, csp.Change{Kind: csp.ChangeCancel, SubscriptionID: "sub-1"})},
		{"preview_auto_renew_off", admin, preview(admin, csp.Change{Kind: csp.ChangeAutoRenewOff, SubscriptionID: "sub-7"})},
		{"preview_align_end_date", admin, preview(admin, csp.Change{Kind: csp.ChangeAlignEndDate, SubscriptionID: "sub-7", TargetSubscriptionID: "sub-4"})},
		{"refusal", alice, func(l string) chat.Message {
			m, _ := rd.Refusal(l, draft, e.evaluate(alice, csp.Change{Kind: csp.ChangeRemoveSeats, SubscriptionID: "sub-3", Quantity: 3}))
			return m
		}},
		{"question_merge", alice, func(l string) chat.Message {
			// As bot.askMerge writes it.
			s := e.subs["sub-4"]
			return chat.Message{Kind: chat.KindQuestion, Text: tr.T(l, "ask.merge", nil), Actions: []chat.Action{
				{ID: chat.ActChoose, Style: chat.StylePrimary, Value: "d-1:sub-4",
					Label: tr.T(l, "merge.into", map[string]any{"Name": s.Name, "End": rd.EndDate(l, s), "Quantity": s.Quantity})},
				{ID: chat.ActChoose, Value: "d-1:new", Label: tr.T(l, "merge.new", nil)},
			}}
		}},
		{"question_subscription", alice, func(l string) chat.Message {
			// As bot.askChoice writes it.
			m := chat.Message{Kind: chat.KindQuestion, Text: tr.T(l, "ask.subscription", nil)}
			for _, id := range []string{"sub-1", "sub-3", "sub-4"} {
				m.Actions = append(m.Actions, chat.Action{ID: chat.ActChoose, Label: e.subs[id].Name, Value: "d-1:" + id})
			}
			return m
		}},
		{"approval_pending", marc, approval(workflows.StatePendingApproval)},
		{"approval_approved", marc, approval(workflows.StateCompleted)},
		{"approval_rejected", marc, approval(workflows.StateRejected)},
		{"approval_expired", marc, approval(workflows.StateExpired)},
		{"approval_withdrawn", marc, approval(workflows.StateWithdrawn)},
		{"approval_failed", marc, approval(workflows.StateFailed)},
		{"approval_needs_attention", marc, approval(workflows.StateNeedsAttention)},
		{"request_pending", alice, request(workflows.StatePendingApproval)},
		{"request_approved", alice, request(workflows.StateExecuting)},
		{"request_completed", alice, request(workflows.StateCompleted)},
		{"request_rejected", alice, request(workflows.StateRejected)},
		{"request_expired", alice, request(workflows.StateExpired)},
		{"request_withdrawn", alice, request(workflows.StateWithdrawn)},
		{"request_failed", alice, request(workflows.StateFailed)},
		{"request_needs_attention", alice, request(workflows.StateNeedsAttention)},
		{"my_requests", alice, func(l string) chat.Message {
			return rd.MyRequests(l, []workflows.Request{e.request(workflows.StatePendingApproval), e.request(workflows.StateCompleted)})
		}},
		{"withdraw_choice", alice, func(l string) chat.Message {
			a, b := e.request(workflows.StatePendingApproval), e.request(workflows.StatePendingApproval)
			b.ID = "R-4"
			return rd.WithdrawChoice(l, []workflows.Request{a, b})
		}},
		{"open_request", alice, func(l string) chat.Message {
			return rd.OpenRequest(l, e.request(workflows.StatePendingApproval), alice)
		}},
		{"reminder_renewal", admin, reminder(reminders.KindRenewal, admin, "sub-7", nil)},
		{"reminder_renewal_late", admin, reminder(reminders.KindRenewal, admin, "sub-2", func(it *reminders.Item) {
			it.Late, it.Due = true, e.now.Add(-25*time.Hour)
		})},
		{"reminder_trial", admin, reminder(reminders.KindTrial, admin, "sub-5", nil)},
		{"reminder_window_open", admin, reminder(reminders.KindWindowOpen, admin, "sub-1", nil)},
		{"reminder_window_closing", admin, reminder(reminders.KindWindowClosing, admin, "sub-1", func(it *reminders.Item) {
			it.Now = it.WindowCloses.Add(-12 * time.Hour)
		})},
		{"reminder_personal", alice, reminder(reminders.KindPersonal, alice, "sub-1", func(it *reminders.Item) {
			it.Audience = reminders.AudienceSelf
			it.Personal = &reminders.Personal{To: alice.Email, SubscriptionID: "sub-1", Kind: csp.ChangeRemoveSeats, Quantity: 2}
		})},
		{"reminder_approval_waiting", marc, reminder(reminders.KindApprovalWaiting, marc, "sub-3", withRequest(workflows.StatePendingApproval, reminders.AudienceApprover))},
		{"reminder_approval_escalated", marc, reminder(reminders.KindApprovalEscalated, marc, "sub-3", withRequest(workflows.StatePendingApproval, reminders.AudienceApprover))},
		{"reminder_escalated_requester", alice, reminder(reminders.KindApprovalEscalated, alice, "sub-3", withRequest(workflows.StatePendingApproval, reminders.AudienceRequester))},
		{"purchase_unknown", alice, func(l string) chat.Message {
			return rd.UnknownProduct(l, draft, "Visio Plan 2", rules.NearestOffers(e.cat, "Visio Plan 2", 3))
		}},
		{"purchase_held", alice, func(l string) chat.Message {
			o, _ := e.cat.Offer("o365-e3")
			return rd.PurchaseHeld(l, draft, o, 5, []csp.Subscription{e.subs["sub-4"]})
		}},
		{"purchase_plans", alice, func(l string) chat.Message {
			o, _ := e.cat.Offer("o365-e5")
			return rd.PurchasePlans(l, draft, o, 5, rules.Plans(o, 5))
		}},
		{"purchase_alignments", alice, func(l string) chat.Message {
			c := purchaseChange("")
			full := csp.Money{}
			o, _ := e.cat.Offer(c.TargetOfferID)
			for _, p := range rules.Plans(o, c.Quantity) {
				if p.Term == c.Term && p.Billing == c.Billing {
					full = p.PerTerm
				}
			}
			natural := csp.TermEnd(csp.StartOfDay(e.now, e.loc), c.Term)
			return rd.PurchaseAlignments(l, draft, c.Term, rules.Alignments(e.purchaseInput(alice, c)), natural, full)
		}},
		{"purchase_preview", alice, func(l string) chat.Message {
			return rd.PurchasePreview(l, draft, e.evaluatePurchase(alice, purchaseChange("sub-4")))
		}},
		{"approval_purchase_pending", claire, func(l string) chat.Message {
			return rd.Approval(l, e.purchaseRequest(workflows.StatePendingApproval), claire)
		}},
		{"approval_purchase_approved", claire, func(l string) chat.Message {
			return rd.Approval(l, e.purchaseRequest(workflows.StateCompleted), claire)
		}},
		{"request_purchase_pending", alice, func(l string) chat.Message {
			return rd.Request(l, e.purchaseRequest(workflows.StatePendingApproval), workflows.Person{})
		}},
		{"request_purchase_completed", alice, func(l string) chat.Message {
			return rd.Request(l, e.purchaseRequest(workflows.StateCompleted), workflows.Person{})
		}},
		{"help", alice, func(l string) chat.Message { return rd.Help(l, alice, "contoso") }},
		{"help_account_manager", marc, func(l string) chat.Message { return rd.Help(l, marc, "contoso") }},
		{"answer", alice, text(chat.KindText, "remind.scheduled", map[string]any{"At": "Mon 25 Jan 2027, 00:00"})},
		{"not_understood", alice, text(chat.KindHelp, "unknown", nil)},
		{"error_portal", alice, text(chat.KindError, "error.portal", nil)},
		{"error_generic", alice, text(chat.KindError, "error.generic", nil)},
		{"error_storage", alice, text(chat.KindError, "error.storage", nil)},
		{"refused_self_approval", marc, text(chat.KindRefusal, "self_approval", nil)},
	}
}
