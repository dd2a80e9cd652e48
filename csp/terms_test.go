package csp

import (
	"testing"
	"time"
)

func TestAddMonthsClampsToTheMonthEnd(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	cases := []struct {
		from time.Time
		n    int
		want string
	}{
		{time.Date(2027, 1, 31, 0, 0, 0, 0, loc), 1, "2027-02-28"},
		{time.Date(2028, 1, 31, 0, 0, 0, 0, loc), 1, "2028-02-29"},
		{time.Date(2028, 2, 29, 0, 0, 0, 0, loc), 12, "2029-02-28"},
		{time.Date(2026, 8, 31, 0, 0, 0, 0, loc), 1, "2026-09-30"},
		{time.Date(2026, 11, 25, 0, 0, 0, 0, loc), 12, "2027-11-25"},
	}
	for _, c := range cases {
		got := AddMonths(c.from, c.n)
		if got.Format(time.DateOnly) != c.want || got.Hour() != 0 {
			t.Errorf("AddMonths(%s, %d) = %s, want %s at midnight", c.from.Format(time.DateOnly), c.n, got, c.want)
		}
	}
}

// Chained monthly terms keep their anchor day instead of drifting to the
// 28th after February.
func TestChainedTermsKeepTheAnchorDay(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	start := time.Date(2027, 1, 31, 0, 0, 0, 0, loc)
	want := []string{"2027-02-28", "2027-03-31", "2027-04-30", "2027-05-31"}
	for i, w := range want {
		end := AddMonthsOnDay(start, 1, 31)
		if end.Format(time.DateOnly) != w {
			t.Fatalf("term %d ends %s, want %s", i+1, end.Format(time.DateOnly), w)
		}
		start = end
	}
}

func TestDaysBetweenCountsDatesAcrossDST(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	a := time.Date(2027, 3, 27, 12, 0, 0, 0, loc)
	b := time.Date(2027, 3, 29, 0, 0, 0, 0, loc) // across the spring-forward night
	if got := DaysBetween(a, b, loc); got != 2 {
		t.Fatalf("DaysBetween = %d, want 2", got)
	}
}

func TestMoneyProrateRoundsOnce(t *testing.T) {
	m := NewMoney(105.60, "EUR")
	if got := m.Prorate(30, 365); got.Minor != 868 {
		t.Fatalf("Prorate = %v, want 8.68 EUR", got)
	}
	if m.String() != "105.60 EUR" || m.Mul(3).Minor != 31680 {
		t.Fatalf("String/Mul: %s %d", m, m.Mul(3).Minor)
	}
}

func TestEndAfterKeepsTheAnchorDay(t *testing.T) {
	loc, _ := time.LoadLocation("Europe/Paris")
	s := Subscription{TermEnd: time.Date(2027, 2, 28, 0, 0, 0, 0, loc), AnchorDay: 31}
	if got := s.EndAfter(1, 1, loc); got.Format(time.DateOnly) != "2027-03-31" {
		t.Fatalf("next monthly end %s, want 2027-03-31", got.Format(time.DateOnly))
	}
	if got := s.EndAfter(2, 1, loc); got.Format(time.DateOnly) != "2027-04-30" {
		t.Fatalf("second monthly end %s, want 2027-04-30", got.Format(time.DateOnly))
	}
	// Without an anchor, the end's own day is the anchor.
	s.AnchorDay = 0
	if got := s.EndAfter(1, 12, loc); got.Format(time.DateOnly) != "2028-02-28" {
		t.Fatalf("next annual end %s, want 2028-02-28", got.Format(time.DateOnly))
	}
}
