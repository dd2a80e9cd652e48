package csp

// KindSpec describes a change kind once, for the rules, the workflow, the
// rendering and the providers: adding a kind means adding a row here and
// its execution in each provider, not editing switch statements across
// the code.
type KindSpec struct {
	Kind ChangeKind
	// NeedsSubscription: the change acts on an existing subscription (a
	// purchase does not).
	NeedsSubscription bool
	// NeedsQuantity: the person must say how many seats.
	NeedsQuantity bool
	// ChangesSeats: the change moves the subscription's current seat
	// count, so it is fixed as an absolute target from the quantity the
	// decision was made on, and a second one on the same subscription
	// waits for the first.
	ChangesSeats bool
	// Irreversible: once done it cannot be undone (an upgrade, a
	// cancellation); the person confirms twice and an approver decides.
	Irreversible bool
	// Target says what else the change names: an offer (upgrade) or
	// another subscription (merge target, end-date alignment).
	TargetOffer, TargetSubscription bool
}

// Spec returns the description of k; ok is false for an unknown kind.
func (k ChangeKind) Spec() (KindSpec, bool) {
	switch k {
	case ChangeAddSeats, ChangeRemoveSeats:
		return KindSpec{Kind: k, NeedsSubscription: true, NeedsQuantity: true, ChangesSeats: true}, true
	case ChangeSetRenewalQuantity:
		return KindSpec{Kind: k, NeedsSubscription: true, NeedsQuantity: true}, true
	case ChangeAutoRenewOff, ChangeAutoRenewOn:
		return KindSpec{Kind: k, NeedsSubscription: true}, true
	case ChangeCancel:
		return KindSpec{Kind: k, NeedsSubscription: true, Irreversible: true}, true
	case ChangeUpgrade:
		return KindSpec{Kind: k, NeedsSubscription: true, NeedsQuantity: true, Irreversible: true,
			TargetOffer: true, TargetSubscription: true}, true
	case ChangeAlignEndDate:
		return KindSpec{Kind: k, NeedsSubscription: true, TargetSubscription: true}, true
	case ChangePurchase:
		return purchaseSpec, true
	}
	return KindSpec{Kind: k}, false
}

// Kinds lists every change kind, in the order the guide presents them.
func Kinds() []ChangeKind {
	return []ChangeKind{ChangeAddSeats, ChangeRemoveSeats, ChangeSetRenewalQuantity, ChangeAutoRenewOff,
		ChangeAutoRenewOn, ChangeCancel, ChangeUpgrade, ChangeAlignEndDate, ChangePurchase}
}

// SatisfiedBy reports whether sub already shows op's target state, so a
// retried or reconciled absolute write is recognised as done. An upgrade
// cannot be recognised from the source line alone (seats may have moved
// for other reasons); providers observe it by its key or receipt.
func (op Operation) SatisfiedBy(sub Subscription) bool {
	switch op.Kind {
	case ChangeAddSeats, ChangeRemoveSeats:
		return sub.Quantity == op.Quantity
	case ChangeSetRenewalQuantity:
		return sub.Renewal != nil && sub.Renewal.Quantity == op.Quantity
	case ChangeAutoRenewOff, ChangeAutoRenewOn:
		return op.AutoRenew != nil && sub.AutoRenew == *op.AutoRenew
	case ChangeCancel:
		return sub.Status == StatusCancelled
	case ChangeAlignEndDate:
		return op.CustomTermEnd != nil && sub.Renewal != nil && sub.Renewal.CustomTermEnd != nil &&
			sub.Renewal.CustomTermEnd.Equal(*op.CustomTermEnd)
	}
	return false
}
