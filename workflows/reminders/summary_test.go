package reminders

import (
	"context"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

func (p *fakeProvider) Usage(ctx context.Context, c string) ([]csp.Usage, error) {
	subs, err := p.Subscriptions(ctx, c)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.usage == nil {
		return nil, csp.ErrUsageUnsupported
	}
	var out []csp.Usage
	for _, s := range subs {
		if n, ok := p.usage[s.ID]; ok {
			out = append(out, csp.Usage{SubscriptionID: s.ID, OfferID: s.OfferID, Assigned: n, Bought: s.Quantity, MeasuredAt: s.TermStart})
		}
	}
	return out, nil
}

func (p *fakeProvider) DelegatedAccess(context.Context, string) ([]csp.DelegatedRelationship, error) {
	return nil, csp.ErrAccessUnsupported
}

func (p *fakeProvider) setUsage(u map[string]int) {
	p.mu.Lock()
	p.usage = u
	p.mu.Unlock()
}

func summaries(items []Item) []Item {
	var out []Item
	for _, it := range items {
		if it.Kind == KindUnusedSummary {
			out = append(out, it)
		}
	}
	return out
}

// The summary goes out on the first of the month at 09:00 in the
// customer's zone (New York here, not the server's UTC), once, and not
// again when the clock is moved back and forth.
func TestUnusedSummarySentOnceInTheCustomersZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	at := func(y int, m time.Month, d, hh, mm int) time.Time { return time.Date(y, m, d, hh, mm, 0, 0, ny) }
	a := annual("sub-a", at(2027, 6, 30, 0, 0), 10) // 105.60 a year per seat: 8.80 a month
	b := annual("sub-b", at(2027, 9, 30, 0, 0), 4)
	f := newFixture(t, nil, at(2026, 12, 15, 10, 0), []csp.Subscription{a, b})
	f.pol = DefaultPolicy(ny)
	f.prov.setUsage(map[string]int{"sub-a": 7, "sub-b": 4})
	if err := f.eng.Sync(context.Background(), cust); err != nil {
		t.Fatal(err)
	}
	if got := summaries(f.at(t, at(2027, 1, 1, 8, 59))); len(got) != 0 {
		t.Fatalf("a summary at 08:59 New York time (13:59 UTC): %v", describe(got))
	}
	got := summaries(f.at(t, at(2027, 1, 1, 9, 0)))
	if len(got) != 1 || got[0].To.Email != claire.Email {
		t.Fatalf("at 09:00 New York time: %v, want one summary to the licence admin", describe(got))
	}
	s := got[0].Unused
	if s == nil || len(s.Lines) != 1 || s.Lines[0].Subscription.ID != "sub-a" || s.Lines[0].Usage.Unused() != 3 {
		t.Fatalf("summary: %+v, want sub-a with 3 unused seats", s)
	}
	if want := csp.NewMoney(26.40, "EUR"); s.Total != want || s.Lines[0].Monthly != want {
		t.Errorf("cost per month: line %v, total %v, want %v", s.Lines[0].Monthly, s.Total, want)
	}
	if !s.Month.Equal(at(2027, 1, 1, 0, 0)) {
		t.Errorf("month %s, want January in New York", s.Month)
	}
	if got := summaries(f.at(t, at(2027, 1, 1, 9, 1))); len(got) != 0 {
		t.Errorf("sent again a minute later: %v", describe(got))
	}
	f.clk.Set(at(2026, 12, 31, 12, 0))
	if err := f.eng.Sync(context.Background(), cust); err != nil {
		t.Fatal(err)
	}
	if got := summaries(f.at(t, at(2027, 1, 1, 10, 0))); len(got) != 0 {
		t.Errorf("sent again after the clock went back and forth: %v", describe(got))
	}
	if got := summaries(f.at(t, at(2027, 2, 1, 9, 0))); len(got) != 1 {
		t.Errorf("February's summary: %v, want one", describe(got))
	}
}

// A portal that cannot report usage gets no summary scheduled at all.
func TestUnusedSummaryNotScheduledWithoutUsage(t *testing.T) {
	loc := paris(t)
	a := annual("sub-a", time.Date(2027, 6, 30, 0, 0, 0, 0, loc), 10)
	f := newFixture(t, nil, time.Date(2026, 12, 15, 10, 0, 0, 0, loc), []csp.Subscription{a})
	if err := f.eng.Sync(context.Background(), cust); err != nil {
		t.Fatal(err)
	}
	es, err := f.eng.List(context.Background(), cust, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range es {
		if e.Kind == KindUnusedSummary {
			t.Errorf("scheduled without usage: %+v", e)
		}
	}
	if got := summaries(f.at(t, time.Date(2027, 1, 1, 9, 0, 0, 0, loc))); len(got) != 0 {
		t.Errorf("sent without usage: %v", describe(got))
	}
}

// Every seat in use: nothing to say, the month's summary is dropped.
func TestUnusedSummaryDroppedWhenEverySeatIsUsed(t *testing.T) {
	loc := paris(t)
	a := annual("sub-a", time.Date(2027, 6, 30, 0, 0, 0, 0, loc), 10)
	f := newFixture(t, nil, time.Date(2026, 12, 15, 10, 0, 0, 0, loc), []csp.Subscription{a})
	f.prov.setUsage(map[string]int{"sub-a": 10})
	f.clk.Set(time.Date(2027, 1, 1, 9, 0, 0, 0, loc))
	rep := f.tick(t)
	if got := summaries(f.sink.take()); len(got) != 0 || rep.Dropped == 0 {
		t.Errorf("all seats used: sent %v, report %+v; want it dropped", describe(got), rep)
	}
}
