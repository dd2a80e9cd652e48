package partnercenter

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

// The workflow's operation keys are "op-" and hex; Partner Center wants a
// GUID in MS-RequestId, the same on every retry of the call.
func TestWorkflowKeysBecomeOneGUIDPerCall(t *testing.T) {
	e := setup(t)
	e.f.fault("patch", fault{drop: true, afterApply: true})
	k := "op-00112233445566778899aabbccddeeff"
	res, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: k, Kind: csp.ChangeAddSeats, SubscriptionID: "s1", FromQuantity: 12, Quantity: 13})
	if err != nil || res.Subscription.Quantity != 13 {
		t.Fatalf("%+v %v", res, err)
	}
	ps := e.f.requests(http.MethodPatch, "")
	if len(ps) != 2 {
		t.Fatalf("%d PATCHes, want the send and its retry", len(ps))
	}
	id := ps[0].Header.Get("MS-RequestId")
	if !uuidRE.MatchString(id) || ps[1].Header.Get("MS-RequestId") != id {
		t.Errorf("MS-RequestId %q then %q: want one GUID for both", id, ps[1].Header.Get("MS-RequestId"))
	}
	if e.f.sub("s1").Qty != 13 {
		t.Errorf("quantity %d: applied more than once", e.f.sub("s1").Qty)
	}
	if got := requestID(k); got != id {
		t.Errorf("the id is not derived from the key alone: %s, %s", got, id)
	}
	if requestID("op-other") == id {
		t.Error("two keys gave one MS-RequestId")
	}
}

// A 412 is an answer: Partner Center replays it for the same
// MS-RequestId, so the write decided again on the new etag is a new call.
func TestWriteDecidedAgainAfter412HasItsOwnRequestID(t *testing.T) {
	e := setup(t)
	e.f.mu.Lock()
	e.f.beforePatch = func(s *fakeSub) { e.f.bump(s) }
	e.f.mu.Unlock()
	k := key()
	res, err := e.c.Apply(context.Background(), custID, csp.Operation{Key: k, Kind: csp.ChangeAutoRenewOff, SubscriptionID: "s1", AutoRenew: ptr(false)})
	if err != nil || res.Subscription.AutoRenew {
		t.Fatalf("%+v %v", res, err)
	}
	ps := e.f.requests(http.MethodPatch, "")
	if len(ps) != 2 {
		t.Fatalf("%d PATCHes, want the 412 and the write on the new etag", len(ps))
	}
	first, second := ps[0].Header.Get("MS-RequestId"), ps[1].Header.Get("MS-RequestId")
	if first != k || second == k || !uuidRE.MatchString(second) {
		t.Errorf("MS-RequestId %q then %q: want the key, then another GUID", first, second)
	}
}

// Cancelling is send-once (Capabilities): after a 5xx or a lost answer it
// is observed, never sent again.
func TestCancelIsSentOnce(t *testing.T) {
	for name, f := range map[string]fault{"5xx": {status: 503}, "no answer": {drop: true, afterApply: true}} {
		t.Run(name, func(t *testing.T) {
			e := setup(t)
			e.f.fault("patch", f)
			op := csp.Operation{Key: key(), Kind: csp.ChangeCancel, SubscriptionID: "s1"}
			res, err := e.c.Apply(context.Background(), custID, op)
			if !errors.Is(err, csp.ErrUnavailable) {
				t.Fatalf("want unavailable (outcome unknown), got %v", err)
			}
			if n := len(e.f.requests(http.MethodPatch, "")); n != 1 {
				t.Fatalf("a send-once cancellation was sent %d times", n)
			}
			if res.Receipt.CorrelationID == "" {
				t.Errorf("no receipt to observe from: %+v", res.Receipt)
			}
			obs, err := e.c.Observe(context.Background(), custID, op, res.Receipt)
			if err != nil {
				t.Fatal(err)
			}
			want := csp.ObservedUnknown
			if f.afterApply {
				want = csp.ObservedDone
			}
			if obs.Outcome != want {
				t.Errorf("observed %s, want %s", obs.Outcome, want)
			}
		})
	}
}

// interrupt lets a matching request reach the fake, then ends the
// caller's context before the answer is read, like a deadline that
// expires while Partner Center is answering.
type interrupt struct {
	base   http.RoundTripper
	match  func(*http.Request) bool
	cancel context.CancelFunc
}

func (i *interrupt) RoundTrip(r *http.Request) (*http.Response, error) {
	if !i.match(r) {
		return i.base.RoundTrip(r)
	}
	resp, err := i.base.RoundTrip(r.WithContext(context.WithoutCancel(r.Context())))
	if err == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	i.cancel()
	return nil, context.Canceled
}

// A write cut off by the caller's deadline may have taken effect: it is
// "outcome unknown" (csp.ErrUnavailable), so the workflow observes it,
// not "failed", which a person would answer by asking again.
func TestWriteInterruptedByTheContextHasAnUnknownOutcome(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := setup(t, func(o *Options) {
		o.HTTPClient = &http.Client{Transport: &interrupt{base: o.HTTPClient.Transport, cancel: cancel,
			match: func(r *http.Request) bool {
				return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/transitions")
			}}}
	})
	op := csp.Operation{Key: key(), Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25, Quantity: 5, TargetOfferID: "o365-e3"}
	res, err := e.c.Apply(ctx, custID, op)
	if !errors.Is(err, csp.ErrUnavailable) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want unavailable and canceled, got %v", err)
	}
	if n := len(e.f.requests(http.MethodPost, "/transitions")); n != 1 {
		t.Fatalf("transition sent %d times", n)
	}
	res.Receipt.At = e.clk.Now()
	obs, err := e.c.Observe(context.Background(), custID, op, res.Receipt)
	if err != nil || obs.Outcome == csp.ObservedNotDone {
		t.Errorf("observe %+v %v: the transition was made", obs, err)
	}
	// A read cut off the same way is only cancelled: nothing was written.
	ctx2, cancel2 := context.WithCancel(context.Background())
	defer cancel2()
	e2 := setup(t, func(o *Options) {
		o.HTTPClient = &http.Client{Transport: &interrupt{base: o.HTTPClient.Transport, cancel: cancel2,
			match: func(r *http.Request) bool { return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/s1") }}}
	})
	_, err = e2.c.Subscription(ctx2, custID, "s1")
	if !errors.Is(err, context.Canceled) || errors.Is(err, csp.ErrUnavailable) {
		t.Errorf("interrupted read: %v", err)
	}
}

// garble lets matching requests reach the fake and replaces the body of
// the answer, like a proxy's page in front of Partner Center.
type garble struct {
	base  http.RoundTripper
	match func(*http.Request) bool
}

func (g *garble) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := g.base.RoundTrip(r)
	if err != nil || !g.match(r) {
		return resp, err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(strings.NewReader("<html>gateway</html>"))
	resp.ContentLength = -1
	return resp, nil
}

// A write Partner Center accepted with an answer that cannot be read is
// "outcome unknown", never "failed": the transition was made.
func TestAcceptedWriteWithUnreadableAnswerIsNotAFailure(t *testing.T) {
	e := setup(t, func(o *Options) {
		o.HTTPClient = &http.Client{Transport: &garble{base: o.HTTPClient.Transport,
			match: func(r *http.Request) bool {
				return r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/transitions")
			}}}
	})
	op := csp.Operation{Key: key(), Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25, Quantity: 5, TargetOfferID: "o365-e3"}
	res, err := e.c.Apply(context.Background(), custID, op)
	if !errors.Is(err, csp.ErrUnavailable) {
		t.Fatalf("want unavailable (outcome unknown), got %v", err)
	}
	if n := len(e.f.requests(http.MethodPost, "/transitions")); n != 1 || res.Receipt.Status != http.StatusOK {
		t.Fatalf("transition sent %d times, receipt %+v", n, res.Receipt)
	}
	res.Receipt.At = e.clk.Now()
	if obs, err := e.c.Observe(context.Background(), custID, op, res.Receipt); err != nil || obs.Outcome == csp.ObservedNotDone || obs.Outcome == csp.ObservedUnknown {
		t.Errorf("observe %+v %v: the transition was made", obs, err)
	}
	// A read with an unreadable answer is an ordinary error.
	e2 := setup(t, func(o *Options) {
		o.HTTPClient = &http.Client{Transport: &garble{base: o.HTTPClient.Transport,
			match: func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, "/s1") }}}
	})
	if _, err := e2.c.Subscription(context.Background(), custID, "s1"); err == nil || errors.Is(err, csp.ErrUnavailable) {
		t.Errorf("unreadable read: %v", err)
	}
}

// An upgrade sent again with its key while Partner Center is still
// carrying it out (its seats have not moved) is found in the transition
// history and followed, not POSTed again: a portal that does not
// recognise an answered MS-RequestId would otherwise queue a second one.
func TestUpgradeResentWhilePendingIsNotSentAgain(t *testing.T) {
	e := setup(t)
	e.f.opDelay = 10 * time.Minute
	e.f.forgetful = true
	op := csp.Operation{Key: key(), Kind: csp.ChangeUpgrade, SubscriptionID: "s2", FromQuantity: 25, Quantity: 5,
		TargetOfferID: "o365-e3", TargetSubscriptionID: "s3"}
	first, err := e.c.Apply(context.Background(), custID, op)
	if err != nil || !first.Pending || first.Receipt.OrderID == "" {
		t.Fatalf("first: %+v %v", first, err)
	}
	again, err := e.c.Apply(context.Background(), custID, op)
	if err != nil || !again.Pending || again.Receipt.OrderID != first.Receipt.OrderID {
		t.Fatalf("again: %+v %v; want pending on %s", again, err, first.Receipt.OrderID)
	}
	if n := len(e.f.requests(http.MethodPost, "/transitions")); n != 1 {
		t.Fatalf("the transition was POSTed %d times", n)
	}
	e.clk.Advance(10 * time.Minute)
	obs, err := e.c.Observe(context.Background(), custID, op, again.Receipt)
	if err != nil || obs.Outcome != csp.ObservedDone {
		t.Fatalf("observe: %+v %v", obs, err)
	}
	if s2, s3 := e.f.sub("s2").Qty, e.f.sub("s3").Qty; s2 != 20 || s3 != 10 {
		t.Errorf("E1 %d, E3 %d; want 20 and 10", s2, s3)
	}
}
