package csp

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCheckApplyRefusesFewerThanOneSeatBeforeTheShape(t *testing.T) {
	// No key either: the refusal still comes first, so the bot can say
	// "cancel it instead" rather than report a bug.
	for _, k := range []ChangeKind{ChangeAddSeats, ChangeRemoveSeats, ChangeSetRenewalQuantity, ChangeUpgrade} {
		err := Operation{Kind: k, SubscriptionID: "s1", Quantity: 0}.CheckApply("prov")
		var refused *RefusedError
		if !errors.As(err, &refused) || refused.Code != CodeQuantityMin || !strings.Contains(refused.Detail, "got 0") {
			t.Errorf("%s: %v, want a %s refusal", k, err, CodeQuantityMin)
		}
	}
}

func TestCheckApplyNamesTheProviderOnShapeErrors(t *testing.T) {
	off := false
	cases := map[string]Operation{
		"key is required":          {Kind: ChangeCancel, SubscriptionID: "s1"},
		"auto_renew must be true":  {Key: "k", Kind: ChangeAutoRenewOn, SubscriptionID: "s1", AutoRenew: &off},
		`unknown kind "merge"`:     {Key: "k", Kind: "merge", SubscriptionID: "s1"},
		"custom term end is requi": {Key: "k", Kind: ChangeAlignEndDate, SubscriptionID: "s1"},
	}
	for want, op := range cases {
		err := op.CheckApply("prov")
		var refused *RefusedError
		if err == nil || errors.As(err, &refused) || !strings.HasPrefix(err.Error(), "prov: ") || !strings.Contains(err.Error(), want) {
			t.Errorf("%+v: %v, want a plain error naming prov and %q", op, err, want)
		}
	}
	end := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := (Operation{Key: "k", Kind: ChangeAlignEndDate, SubscriptionID: "s1", CustomTermEnd: &end}).CheckApply("prov"); err != nil {
		t.Errorf("a well-formed operation: %v", err)
	}
}

func TestWithoutLeavesTheOriginalCapabilities(t *testing.T) {
	all := GuideCapabilities(time.Hour)
	less := all.Without(ChangeSetRenewalQuantity)
	if less.Supports(ChangeSetRenewalQuantity) || !all.Supports(ChangeSetRenewalQuantity) {
		t.Errorf("Without changed the original or kept the kind: %v / %v", all.Operations, less.Operations)
	}
	if len(less.Operations) != len(all.Operations)-1 || less.SettleTime != time.Hour {
		t.Errorf("less = %+v", less)
	}
	if all.DeliveryOf(ChangeCancel) != DeliverySendOnce || all.DeliveryOf(ChangeAddSeats) != DeliveryAbsolute {
		t.Errorf("guide deliveries: %v", all.Operations)
	}
}

func TestIsGUID(t *testing.T) {
	for s, want := range map[string]bool{
		"0f0e0d0c-0b0a-4998-8776-aabbccddeeff": true,
		"0F0E0D0C-0B0A-4998-8776-AABBCCDDEEFF": true,
		"0f0e0d0c0b0a-4998-8776-aabbccddeeff-": false,
		"0f0e0d0c-0b0a-4998-8776-aabbccddeefg": false,
		"contoso.onmicrosoft.com":              false,
		"":                                     false,
	} {
		if IsGUID(s) != want {
			t.Errorf("IsGUID(%q) = %t", s, !want)
		}
	}
}

func TestApplyErrorKeepsRefusalsAndWrapsTheRest(t *testing.T) {
	op := Operation{Kind: ChangeCancel, SubscriptionID: "s1"}
	refusal := &RefusedError{Code: "x", Detail: "no"}
	if err := op.ApplyError("prov", refusal); err != error(refusal) {
		t.Errorf("refusal became %v", err)
	}
	err := op.ApplyError("prov", ErrConflict)
	if !errors.Is(err, ErrConflict) || err.Error() != "prov: cancel on s1: "+ErrConflict.Error() {
		t.Errorf("err = %v", err)
	}
	if op.ApplyError("prov", nil) != nil {
		t.Error("nil became an error")
	}
}
