package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/cards"
	"github.com/licensebot/licensebot/bot/intent"
	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// Slots a draft can wait for.
const (
	slotSubscription = "subscription"
	slotQuantity     = "quantity"
	slotTarget       = "target"
	slotMerge        = "merge"
	slotAlignWith    = "align_with"
)

func (e *Engine) handleText(ctx context.Context, tc *turnCtx, text string) error {
	in := e.parserOf(tc.customer.ID).Parse(text)
	tc.lang = e.pickLang(tc.turn, tc.d, in.Lang)
	switch {
	case strings.TrimSpace(text) == "":
		tc.say(Message{Kind: KindHelp, Text: e.tr.T(tc.lang, "empty", nil)})
		return nil
	case in.Kind == intent.KindAbort:
		e.abort(tc)
		return nil
	}
	if handled, err := e.answerOpenQuestion(ctx, tc, in, text); handled {
		return err
	}
	return e.dispatch(ctx, tc, in)
}

// abort drops whatever dialogue is open.
func (e *Engine) abort(tc *turnCtx) {
	had := tc.d.Draft != nil || tc.d.Rejecting != nil
	tc.d.Draft, tc.d.Rejecting = nil, nil
	if had {
		tc.say(Message{Text: e.tr.T(tc.lang, "aborted", nil)})
	} else {
		tc.say(Message{Text: e.tr.T(tc.lang, "nothing_to_abort", nil)})
	}
}

// answerOpenQuestion takes the text as the answer to what the bot asked
// last, if anything: a rejection reason, a missing slot, yes or no to a
// preview. handled is false when the text is something else.
func (e *Engine) answerOpenQuestion(ctx context.Context, tc *turnCtx, in intent.Intent, text string) (bool, error) {
	traits := traitsOf(in.Kind)
	// A rejection reason is free text: take it as typed — unless it is a
	// navigation command or the question is old; then the rejection is
	// dropped rather than made with "pending approvals" as its reason.
	// Change words stay reasons: "we don't need more seats" is one.
	if tc.d.Rejecting != nil && (traits.navigation || e.opt.Clock.Now().Sub(tc.d.RejectAskedAt) > reasonTimeout) {
		tc.d.Rejecting = nil
	}
	if tc.d.Rejecting != nil {
		ref := *tc.d.Rejecting
		tc.d.Rejecting = nil
		reason := strings.TrimSpace(text)
		if strings.EqualFold(reason, "skip") || strings.EqualFold(reason, "passer") || in.Kind == intent.KindNo {
			reason = ""
		}
		return true, e.reject(ctx, tc, ref, reason)
	}
	dr := tc.d.Draft
	if dr == nil {
		return false, nil
	}
	// While a draft waits for a slot, an answer fills it.
	if dr.Awaiting != "" && !traits.command && e.fillSlot(ctx, tc, dr, in, text) {
		return true, e.advance(ctx, tc)
	}
	if dr.Previewed {
		switch in.Kind {
		case intent.KindYes:
			return true, e.confirm(ctx, tc, dr.ID)
		case intent.KindNo:
			tc.d.Draft = nil
			tc.say(Message{Text: e.tr.T(tc.lang, "aborted", nil)})
			return true, nil
		}
	}
	return false, nil
}

// dispatch answers an intent that starts something.
func (e *Engine) dispatch(ctx context.Context, tc *turnCtx, in intent.Intent) error {
	if handled, err := e.answerQuestion(ctx, tc, in); handled { // questions.go
		return err
	}
	if traitsOf(in.Kind).change {
		return e.startChange(ctx, tc, in)
	}
	switch in.Kind {
	case intent.KindHelp:
		tc.say(e.cards.Help(tc.lang, tc.turn.Person, tc.customer.ID))
	case intent.KindList:
		return e.listSubscriptions(ctx, tc)
	case intent.KindShow:
		return e.showSubscription(ctx, tc, in)
	case intent.KindCatalog:
		e.showCatalog(tc, in)
	case intent.KindMyRequests:
		return e.myRequests(ctx, tc)
	case intent.KindPendingApprovals:
		return e.pendingApprovals(ctx, tc)
	case intent.KindWithdraw:
		return e.withdraw(ctx, tc, in.RequestID)
	case intent.KindLanguage:
		if l := Lang(in.Language); l != "" {
			tc.lang, tc.d.Lang, tc.d.Pinned = l, l, true
		}
		tc.say(Message{Text: e.tr.T(tc.lang, "language_set", nil)})
	case intent.KindMakeAdmin, intent.KindWhoCanUse, intent.KindWhoApproves, intent.KindWhoAccountManager, intent.KindChoosePlatform:
		return e.peopleTurn(ctx, tc, in) // bot/people.go
	case intent.KindUsage, intent.KindDelegatedAccess:
		return e.usageTurn(ctx, tc, in) // bot/usage.go
	case intent.KindYes, intent.KindNo:
		tc.say(Message{Text: e.tr.T(tc.lang, "nothing_to_confirm", nil)})
	default:
		tc.say(Message{Kind: KindHelp, Text: e.tr.T(tc.lang, "unknown", nil)})
	}
	return nil
}

// reasonTimeout is how long a typed answer still counts as the rejection
// reason that was asked for.
const reasonTimeout = 5 * time.Minute

// intentTraits say how an intent behaves in the middle of a dialogue.
type intentTraits struct {
	// navigation looks something up rather than says something: it
	// drops a pending rejection reason.
	navigation bool
	// command starts something new even while a slot is being asked.
	command bool
	// change asks for a change (its kind is a csp.ChangeKind).
	change bool
}

// traitsOf is the one table of intent traits.
func traitsOf(k intent.Kind) intentTraits {
	if changeKindOf(k).Valid() {
		return intentTraits{command: true, change: true}
	}
	if isQuestion(k) { // questions.go
		return intentTraits{navigation: true, command: true}
	}
	switch k {
	case intent.KindHelp, intent.KindList, intent.KindCatalog, intent.KindMyRequests, intent.KindPendingApprovals, intent.KindLanguage,
		intent.KindWhoCanUse, intent.KindWhoApproves, intent.KindWhoAccountManager, intent.KindMakeAdmin, intent.KindChoosePlatform,
		intent.KindUsage, intent.KindDelegatedAccess:
		return intentTraits{navigation: true, command: true}
	case intent.KindWithdraw:
		return intentTraits{command: true}
	}
	return intentTraits{}
}

// changeKindOf: the change intents carry the names of csp.ChangeKind.
func changeKindOf(k intent.Kind) csp.ChangeKind { return csp.ChangeKind(k) }

// startChange begins a new draft from an intent and asks for what is
// missing.
func (e *Engine) startChange(ctx context.Context, tc *turnCtx, in intent.Intent) error {
	if tc.customer.ID == "" {
		tc.say(Message{Text: e.tr.T(tc.lang, "no_customer", nil)})
		return nil
	}
	if msg := e.quantityProblem(tc, in); msg != "" {
		tc.say(Message{Kind: KindRefusal, Text: msg})
		return nil
	}
	if in.Kind == intent.KindPurchase || (in.Kind == intent.KindAddSeats && len(in.Offers) == 0 && in.UnknownProduct != "") {
		return e.startPurchase(ctx, tc, in) // purchase.go: "Visio" is not in the catalog
	}
	dr := &draft{
		ID:          newID(),
		CustomerID:  tc.customer.ID,
		Change:      csp.Change{Kind: changeKindOf(in.Kind), Quantity: in.Quantity},
		HasQuantity: in.HasQuantity,
		All:         in.All,
		Total:       in.Total,
		Delta:       in.Delta,
	}
	subs, err := e.opt.Provider.Subscriptions(ctx, tc.customer.ID)
	if err != nil {
		return err
	}
	offers := in.Offers
	// "upgrade to premium" names only the target: the source is asked.
	if len(offers) == 1 && offers[0].Role == intent.RoleTarget {
		offers = append([]intent.OfferRef{{}}, offers...)
	}
	// Source subscription from the first product named.
	if len(offers) > 0 && len(offers[0].Candidates) > 0 {
		cands := subsMatching(subs, offers[0].Candidates, dr.Change.Kind)
		switch len(cands) {
		case 0:
			if dr.Change.Kind == csp.ChangeAddSeats && e.opt.Provider.Capabilities().Supports(csp.ChangePurchase) {
				return e.purchaseInstead(ctx, tc, in, e.offerNames(tc.customer.ID, offers[0].Candidates))
			}
			tc.say(Message{Text: e.tr.T(tc.lang, "no_such_subscription", map[string]any{"Product": e.offerNames(tc.customer.ID, offers[0].Candidates)})})
			return nil
		case 1:
			dr.Change.SubscriptionID = cands[0].ID
		default:
			dr.SubChoices = ids(cands)
		}
	}
	if len(offers) > 0 {
		offers = offers[1:]
	}
	if dr.Change.Kind == csp.ChangeUpgrade && len(offers) > 0 {
		dr.TargetChoices = offers[0].Candidates
		if len(dr.TargetChoices) == 1 {
			dr.Change.TargetOfferID = dr.TargetChoices[0]
			dr.TargetChoices = nil
		}
		if in.NewLine {
			dr.MergeAsked = true
		}
		if in.IntoExisting {
			// Resolved to the line once the target offer is known.
			dr.Awaiting = ""
		}
		offers = offers[1:]
	}
	if dr.Change.Kind == csp.ChangeAlignEndDate && len(offers) > 0 {
		cands := subsMatching(subs, offers[0].Candidates, "")
		if len(cands) == 1 {
			dr.Change.TargetSubscriptionID = cands[0].ID
		}
	}
	trialTarget(in, subs, dr) // questions.go
	tc.d.Draft = dr
	if dr.Change.Kind == csp.ChangeUpgrade && in.IntoExisting && dr.Change.TargetOfferID != "" {
		if line := e.mergeLine(subs, dr); line != "" {
			dr.Change.TargetSubscriptionID = line
			dr.MergeAsked = true
		}
	}
	return e.advance(ctx, tc)
}

func (e *Engine) quantityProblem(tc *turnCtx, in intent.Intent) string {
	switch in.QuantityError {
	case "":
		return ""
	case "negative":
		return e.tr.T(tc.lang, "quantity.negative", nil)
	case "too_large":
		return e.tr.T(tc.lang, "quantity.too_large", nil)
	case "zero":
		if in.Kind == "set_renewal_quantity" || in.Kind == "remove_seats" {
			return e.tr.T(tc.lang, "quantity.zero_means_cancel", nil)
		}
		return e.tr.T(tc.lang, "quantity.zero", nil)
	}
	return e.tr.T(tc.lang, "quantity.invalid", nil)
}

// subsMatching returns the subscriptions of the candidate offers that the
// change can concern (active ones, except for auto-renew on).
func subsMatching(subs []csp.Subscription, offerIDs []string, kind csp.ChangeKind) []csp.Subscription {
	var out []csp.Subscription
	for _, id := range offerIDs {
		for _, s := range subs {
			if s.OfferID != id {
				continue
			}
			if kind != "" && s.Status != csp.StatusActive && kind != csp.ChangeAutoRenewOn {
				continue
			}
			out = append(out, s)
		}
	}
	if len(out) == 0 && kind != "" {
		// Nothing active: let the rules explain why (expired, cancelled).
		return subsMatching(subs, offerIDs, "")
	}
	return out
}

func ids(subs []csp.Subscription) []string {
	out := make([]string, len(subs))
	for i, s := range subs {
		out[i] = s.ID
	}
	return out
}

// fillSlot uses an answer for the slot a draft waits for; false when the
// text does not answer it (then it is handled as a new message).
func (e *Engine) fillSlot(ctx context.Context, tc *turnCtx, dr *draft, in intent.Intent, text string) bool {
	switch dr.Awaiting {
	case slotBuyOffer, slotBuyHeld, slotBuyPlan, slotBuyAlign:
		return e.fillPurchaseSlot(tc, dr, in, text) // purchase.go
	case slotQuantity:
		if in.QuantityError != "" {
			tc.say(Message{Kind: KindRefusal, Text: e.quantityProblem(tc, in)})
			return false
		}
		if in.HasQuantity || in.All {
			dr.Change.Quantity, dr.HasQuantity, dr.All = in.Quantity, true, in.All
			dr.Awaiting = ""
			return true
		}
	case slotSubscription, slotTarget, slotAlignWith:
		ref := e.parserOf(tc.customer.ID).MatchOffer(text)
		choices := dr.SubChoices
		if dr.Awaiting == slotTarget {
			choices = dr.TargetChoices
		}
		for _, c := range ref.Candidates {
			for _, ch := range choices {
				if c == ch || e.subOffer(ctx, tc, ch) == c {
					e.choose(dr, ch)
					return true
				}
			}
		}
	case slotMerge:
		if in.NewLine {
			dr.MergeAsked, dr.Awaiting = true, ""
			return true
		}
		if in.IntoExisting || in.Kind == "yes" {
			dr.MergeAsked, dr.Awaiting = true, ""
			dr.Change.TargetSubscriptionID = firstNonEmpty(dr.SubChoices)
			return true
		}
	}
	return false
}

func firstNonEmpty(s []string) string {
	if len(s) > 0 {
		return s[0]
	}
	return ""
}

// subOffer finds the offer of a subscription id: the draft's choices are
// subscription ids, people name offers.
func (e *Engine) subOffer(ctx context.Context, tc *turnCtx, subID string) string {
	subs, err := e.opt.Provider.Subscriptions(ctx, tc.customer.ID)
	if err != nil {
		return ""
	}
	for _, s := range subs {
		if s.ID == subID {
			return s.OfferID
		}
	}
	return ""
}

// choose fills the slot being asked with a pressed or typed choice.
func (e *Engine) choose(dr *draft, value string) {
	if e.choosePurchase(dr, value) { // purchase.go
		dr.Awaiting = ""
		return
	}
	switch dr.Awaiting {
	case slotSubscription:
		dr.Change.SubscriptionID = value
		dr.SubChoices = nil
	case slotTarget:
		dr.Change.TargetOfferID = value
		dr.TargetChoices = nil
	case slotAlignWith:
		dr.Change.TargetSubscriptionID = value
		dr.SubChoices = nil
	case slotMerge:
		dr.MergeAsked = true
		if value != "new" {
			dr.Change.TargetSubscriptionID = value
		}
		dr.SubChoices = nil
	}
	dr.Awaiting = ""
}

// advance asks for the next missing slot, or shows the preview. Each
// slot is a step that either fills what it can from what is known or
// asks, and then the turn ends until the answer comes.
func (e *Engine) advance(ctx context.Context, tc *turnCtx) error {
	dr := tc.d.Draft
	if dr.Purchase != nil {
		return e.advancePurchase(ctx, tc) // purchase.go
	}
	subs, err := e.opt.Provider.Subscriptions(ctx, dr.CustomerID)
	if err != nil {
		return err
	}
	st := &slotState{dr: dr, subs: subs, byID: map[string]csp.Subscription{}}
	for _, s := range subs {
		st.byID[s.ID] = s
	}
	steps := []func(*turnCtx, *slotState) bool{
		e.askSubscription, e.resolveTotal, e.resolveDelta, e.askQuantity,
		e.askUpgradeTarget, e.askMerge, e.askAlignWith,
	}
	for _, step := range steps {
		if step(tc, st) {
			return nil
		}
	}
	return e.preview(ctx, tc)
}

// slotState is what the slot steps of one advance share.
type slotState struct {
	dr   *draft
	subs []csp.Subscription
	byID map[string]csp.Subscription
	sub  csp.Subscription // once chosen
}

// askSubscription: which subscription? The only candidate is taken.
func (e *Engine) askSubscription(tc *turnCtx, st *slotState) bool {
	dr := st.dr
	if dr.Change.SubscriptionID == "" {
		if len(dr.SubChoices) == 0 {
			for _, s := range st.subs {
				if s.Status == csp.StatusActive || dr.Change.Kind == csp.ChangeAutoRenewOn {
					dr.SubChoices = append(dr.SubChoices, s.ID)
				}
			}
		}
		if len(dr.SubChoices) != 1 {
			dr.Awaiting = slotSubscription
			tc.say(e.askChoice(tc, "ask.subscription", dr.SubChoices, st.byID))
			return true
		}
		dr.Change.SubscriptionID = dr.SubChoices[0]
		dr.SubChoices = nil
	}
	st.sub = st.byID[dr.Change.SubscriptionID]
	return false
}

// resolveTotal: "set E3 to 12" gave a total; the change is the
// difference.
func (e *Engine) resolveTotal(tc *turnCtx, st *slotState) bool {
	dr, sub := st.dr, st.sub
	if spec, _ := dr.Change.Kind.Spec(); dr.Total <= 0 || !spec.ChangesSeats {
		return false
	}
	switch {
	case dr.Total > sub.Quantity:
		dr.Change.Kind, dr.Change.Quantity = csp.ChangeAddSeats, dr.Total-sub.Quantity
	case dr.Total < sub.Quantity:
		dr.Change.Kind, dr.Change.Quantity = csp.ChangeRemoveSeats, sub.Quantity-dr.Total
	default:
		tc.d.Draft = nil
		tc.say(Message{Text: e.tr.N(tc.lang, "already_has", sub.Quantity, map[string]any{"Name": sub.Name})})
		return true
	}
	dr.HasQuantity, dr.Total = true, 0
	return false
}

// resolveDelta: "reduce the renewal by 2" gave a change; the target is
// relative to what is scheduled now.
func (e *Engine) resolveDelta(tc *turnCtx, st *slotState) bool {
	dr := st.dr
	if dr.Delta == 0 || dr.Change.Kind != csp.ChangeSetRenewalQuantity {
		return false
	}
	dr.Change.Quantity, dr.HasQuantity, dr.Delta = st.sub.RenewalQuantity()+dr.Delta, true, 0
	if dr.Change.Quantity < 1 {
		tc.d.Draft = nil
		tc.say(Message{Kind: KindRefusal, Text: e.tr.T(tc.lang, "quantity.zero_means_cancel", nil)})
		return true
	}
	return false
}

// askQuantity: how many? An upgrade without a number moves every seat.
func (e *Engine) askQuantity(tc *turnCtx, st *slotState) bool {
	dr, sub, k := st.dr, st.sub, st.dr.Change.Kind
	if k == csp.ChangeUpgrade {
		if !dr.HasQuantity || dr.All {
			dr.Change.Quantity = 0 // all seats
		}
		return false
	}
	if spec, _ := k.Spec(); !spec.NeedsQuantity || dr.HasQuantity {
		return false
	}
	dr.Awaiting = slotQuantity
	tc.say(Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, "ask.quantity."+string(k), map[string]any{
		"Name": sub.Name, "Quantity": sub.Quantity, "Renewal": sub.RenewalQuantity()})})
	return true
}

// askUpgradeTarget: upgrade to what? A single candidate is taken; no
// candidate at all is left to the rules to explain (Teams Essentials).
func (e *Engine) askUpgradeTarget(tc *turnCtx, st *slotState) bool {
	dr, sub := st.dr, st.sub
	if dr.Change.Kind != csp.ChangeUpgrade || dr.Change.TargetOfferID != "" {
		return false
	}
	cat := e.catalogOf(dr.CustomerID)
	if len(dr.TargetChoices) == 0 {
		for _, o := range cat.UpgradeTargets(sub.OfferID) {
			dr.TargetChoices = append(dr.TargetChoices, o.ID)
		}
	}
	switch {
	case len(dr.TargetChoices) == 0:
		dr.Change.TargetOfferID = sub.OfferID
		return false
	case len(dr.TargetChoices) == 1 && !cat.CanUpgrade(sub.OfferID, dr.TargetChoices[0]):
		dr.Change.TargetOfferID = dr.TargetChoices[0]
		return false
	}
	dr.Awaiting = slotTarget
	m := Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, "ask.target", map[string]any{"Name": sub.Name})}
	for _, id := range dr.TargetChoices {
		o, _ := cat.Offer(id)
		m.Actions = append(m.Actions, Action{ID: ActChoose, Label: o.Name, Value: dr.ID + ":" + id})
	}
	tc.say(m)
	return true
}

// askMerge: into an existing line of the target offer, or a new one? The
// guide prefers merging, so an existing line comes first.
func (e *Engine) askMerge(tc *turnCtx, st *slotState) bool {
	dr, sub := st.dr, st.sub
	if dr.Change.Kind != csp.ChangeUpgrade || dr.MergeAsked || !e.catalogOf(dr.CustomerID).CanUpgrade(sub.OfferID, dr.Change.TargetOfferID) {
		return false
	}
	lines := e.mergeLines(st.subs, sub, dr.Change.TargetOfferID)
	if len(lines) == 0 {
		dr.MergeAsked = true
		return false
	}
	dr.Awaiting = slotMerge
	dr.SubChoices = ids(lines)
	m := Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, "ask.merge", nil)}
	for i, l := range lines {
		style := StyleDefault
		if i == 0 {
			style = StylePrimary
		}
		m.Actions = append(m.Actions, Action{ID: ActChoose, Style: style, Value: dr.ID + ":" + l.ID,
			Label: e.tr.T(tc.lang, "merge.into", map[string]any{"Name": l.Name, "End": e.cards.EndDate(tc.lang, l), "Quantity": l.Quantity})})
	}
	m.Actions = append(m.Actions, Action{ID: ActChoose, Value: dr.ID + ":new", Label: e.tr.T(tc.lang, "merge.new", nil)})
	tc.say(m)
	return true
}

// askAlignWith: align the end date with which subscription?
func (e *Engine) askAlignWith(tc *turnCtx, st *slotState) bool {
	dr, sub := st.dr, st.sub
	if dr.Change.Kind != csp.ChangeAlignEndDate || dr.Change.TargetSubscriptionID != "" {
		return false
	}
	var choices []string
	for _, s := range st.subs {
		if s.ID != sub.ID && s.Status == csp.StatusActive {
			choices = append(choices, s.ID)
		}
	}
	dr.SubChoices = choices
	dr.Awaiting = slotAlignWith
	tc.say(e.askChoice(tc, "ask.align_with", choices, st.byID))
	return true
}

// mergeLines lists existing lines of the target offer an upgrade could go
// into (the rules decide if it may).
func (e *Engine) mergeLines(subs []csp.Subscription, src csp.Subscription, targetOffer string) []csp.Subscription {
	var out []csp.Subscription
	for _, s := range subs {
		if s.ID != src.ID && s.OfferID == targetOffer && s.Status == csp.StatusActive {
			out = append(out, s)
		}
	}
	return out
}

func (e *Engine) mergeLine(subs []csp.Subscription, dr *draft) string {
	for _, s := range subs {
		if s.ID != dr.Change.SubscriptionID && s.OfferID == dr.Change.TargetOfferID && s.Status == csp.StatusActive {
			return s.ID
		}
	}
	return ""
}

func (e *Engine) askChoice(tc *turnCtx, id string, choices []string, byID map[string]csp.Subscription) Message {
	m := Message{Kind: KindQuestion, Text: e.tr.T(tc.lang, id, nil)}
	for _, c := range choices {
		s := byID[c]
		label := s.Name
		if dupName(choices, byID, s) {
			label = fmt.Sprintf("%s (%d)", s.Name, s.Quantity)
		}
		m.Actions = append(m.Actions, Action{ID: "choose", Label: label, Value: tc.d.Draft.ID + ":" + c})
	}
	return m
}

func dupName(choices []string, byID map[string]csp.Subscription, s csp.Subscription) bool {
	n := 0
	for _, c := range choices {
		if byID[c].Name == s.Name {
			n++
		}
	}
	return n > 1
}

// preview evaluates the complete draft and shows what would happen, or
// why it cannot, with the legal alternatives.
func (e *Engine) preview(ctx context.Context, tc *turnCtx) error {
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
	dr.Previewed = true
	dr.Alternatives = nil
	tc.say(e.cards.Preview(tc.lang, cards.Draft{ID: dr.ID, CustomerID: dr.CustomerID}, ev))
	return nil
}

// refusal shows why the draft cannot be, and keeps the alternatives its
// buttons offer, so a press knows what it means.
func (e *Engine) refusal(tc *turnCtx, dr *draft, ev workflows.Evaluation) Message {
	m, offered := e.cards.Refusal(tc.lang, cards.Draft{ID: dr.ID, CustomerID: dr.CustomerID}, ev)
	dr.Alternatives = nil
	for _, a := range offered {
		dr.Alternatives = append(dr.Alternatives, altChoice{Change: a.Change, Remind: a.At})
	}
	return m
}

// confirm submits the previewed draft.
func (e *Engine) confirm(ctx context.Context, tc *turnCtx, draftID string) error {
	dr := tc.d.Draft
	if dr == nil || dr.ID != draftID || !dr.Previewed {
		if s := tc.d.Submitted; s != nil && s.DraftID == draftID {
			tc.say(Message{Text: e.tr.T(tc.lang, "already_submitted", map[string]any{"ID": s.RequestID})})
			return nil
		}
		tc.say(Message{Text: e.tr.T(tc.lang, "stale_preview", nil)})
		return nil
	}
	req, err := e.opt.Service.Submit(ctx, tc.turn.Person, dr.CustomerID, dr.Change, "", dr.ID)
	var refused *workflows.RefusedError
	switch {
	case errors.As(err, &refused):
		// The rules changed their mind with fresh data (a window closed
		// between the preview and the click).
		tc.say(e.refusal(tc, dr, refused.Evaluation))
		dr.Previewed = false
		return nil
	case errors.Is(err, workflows.ErrDuplicate):
		tc.d.Draft = nil
		tc.say(Message{Text: e.tr.T(tc.lang, "already_submitted_plain", nil)})
		return nil
	case errors.As(err, new(*workflows.OpenRequestError)):
		var open *workflows.OpenRequestError
		errors.As(err, &open)
		tc.d.Draft = nil
		tc.say(e.cards.OpenRequest(tc.lang, open.Request, tc.turn.Person))
		return nil
	case err != nil && !errors.As(err, new(*workflows.NotRecordedError)):
		return err
	}
	tc.d.Draft = nil
	tc.d.Submitted = &submitted{DraftID: draftID, RequestID: req.ID}
	var notRecorded *workflows.NotRecordedError
	if errors.As(err, &notRecorded) {
		return err
	}
	return e.showOwn(ctx, tc, req)
}

func (e *Engine) offerNames(customerID string, offerIDs []string) string {
	var names []string
	for _, id := range offerIDs {
		if o, ok := e.catalogOf(customerID).Offer(id); ok {
			names = append(names, o.Name)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return "?"
	}
	return strings.Join(names, " / ")
}
