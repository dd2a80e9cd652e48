package portal

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
)

func TestRetryAfterReadsSecondsAndDates(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{" 7 ", 7 * time.Second, true},
		{"0", 0, true},
		{"Fri, 27 Nov 2026 10:00:30 GMT", 30 * time.Second, true},
		{"Fri, 27 Nov 2026 09:00:00 GMT", 0, true}, // in the past: no wait
		{"-3", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	}
	for _, c := range cases {
		if got, ok := RetryAfter(c.in, now); got != c.want || ok != c.ok {
			t.Errorf("RetryAfter(%q) = %s, %t; want %s, %t", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestWaitPrefersRetryAfterAndSkipsAfterTheLastTry(t *testing.T) {
	var slept []time.Duration
	sleep := func(_ context.Context, d time.Duration) error { slept = append(slept, d); return nil }
	ctx := context.Background()
	for _, c := range []struct {
		try int
		ra  time.Duration
	}{{1, 0}, {2, 0}, {3, 0}, {1, 9 * time.Second}, {4, 0}} {
		if err := Wait(ctx, sleep, c.try, 4, c.ra); err != nil {
			t.Fatal(err)
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 9 * time.Second}
	if len(slept) != len(want) {
		t.Fatalf("slept %v, want %v", slept, want)
	}
	for i := range want {
		if slept[i] != want[i] {
			t.Errorf("slept %v, want %v", slept, want)
		}
	}
}

func TestSleepTimerStopsWithTheContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := SleepTimer(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v", err)
	}
}

func TestRedactURLDropsTheQuery(t *testing.T) {
	err := RedactURL(&url.Error{Op: "Get", URL: "https://api.example/v1/x?continuationToken=secret", Err: errors.New("boom")})
	if strings.Contains(err.Error(), "secret") || !strings.Contains(err.Error(), "https://api.example/v1/x") {
		t.Errorf("err = %v", err)
	}
}

func TestLocalDayKeepsTheWrittenDate(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	want := time.Date(2027, 6, 14, 0, 0, 0, 0, ny)
	for _, in := range []string{"2027-06-14", "2027-06-14T23:30:00Z", "2027-06-14T00:00:00+09:00", "2027-06-14T08:15"} {
		if got, ok := LocalDay(in, ny); !ok || !got.Equal(want) {
			t.Errorf("LocalDay(%q) = %v, %t", in, got, ok)
		}
	}
	if _, ok := LocalDay("14/06/2027", ny); ok {
		t.Error("an unknown layout was read")
	}
	if got := LastDay(time.Date(2028, 1, 1, 0, 0, 0, 0, ny), ny); !got.Equal(time.Date(2027, 12, 31, 0, 0, 0, 0, ny)) {
		t.Errorf("LastDay = %v", got)
	}
}

func TestMatchOfferByProviderIDThenName(t *testing.T) {
	// MatchOffer reads only the offers, so no prices are needed.
	cat := &csp.Catalog{Offers: []csp.Offer{
		{ID: "basic", Name: "Microsoft 365 Business Basic", Segment: "business", ProviderOfferID: "CFQ7TTC0LH18:0001"},
		{ID: "e3", Name: "Office 365 E3", Segment: "enterprise", Aliases: []string{"O365 E3"}, AliasesFR: []string{"Office E3"}},
	}}
	cases := []struct {
		name string
		ids  []string
		want string
	}{
		{"", []string{"cfq7ttc0lh18:0001:AV01"}, "basic"}, // availability suffix ignored
		{"Office 365 E3", []string{"", "CFQ7TTC0LH18:0001"}, "basic"},
		{" office e3 ", []string{"OTHER:0001"}, "e3"},
		{"o365 e3", nil, "e3"},
		{"Nothing", []string{"OTHER:0001"}, ""},
		{"", []string{"CFQ7TTC0LH18"}, ""}, // product alone is not the offer
	}
	for _, c := range cases {
		o, ok := MatchOffer(cat, c.name, c.ids...)
		if o.ID != c.want || ok != (c.want != "") {
			t.Errorf("MatchOffer(%q, %q) = %q, %t; want %q", c.name, c.ids, o.ID, ok, c.want)
		}
	}
}

func TestFillKeepsWhatIsGivenAndFillsTheRest(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults{Name: "p", Timeout: 9 * time.Second, Location: "Europe/Paris", RemovalWindow: 72 * time.Hour,
		PollInterval: 2 * time.Second, PollTimeout: 61 * time.Second, Currency: "EUR"}
	var c Common
	if err := c.Fill(d); err != nil {
		t.Fatal(err)
	}
	if c.HTTPClient.Timeout != 9*time.Second || c.Logger == nil || c.Catalog == nil || c.Location.String() != paris.String() ||
		c.RemovalWindow != 72*time.Hour || c.Currency != "EUR" || c.Sleep == nil || c.Polls() != 31 {
		t.Errorf("filled: %+v, polls %d", c, c.Polls())
	}
	given := Common{Location: time.UTC, RemovalWindow: time.Hour, Currency: "USD", PollInterval: time.Minute, PollTimeout: time.Second}
	if err := given.Fill(d); err != nil {
		t.Fatal(err)
	}
	if given.Location != time.UTC || given.RemovalWindow != time.Hour || given.Currency != "USD" || given.Polls() != 1 {
		t.Errorf("given: %+v, polls %d", given, given.Polls())
	}
	if err := (&Common{}).Fill(Defaults{Name: "p", Location: "Nowhere/Atlantis"}); err == nil || !strings.HasPrefix(err.Error(), "p: ") {
		t.Errorf("bad zone: %v", err)
	}
}

func TestCustomerSettingsFallBackToTheDefaults(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	each := map[string]csp.CustomerSettings{"ny": {Location: ny, RemovalWindow: 168 * time.Hour}, "half": {}}
	if LocationOf(each, "ny", time.UTC) != ny || WindowOf(each, "ny", time.Hour) != 168*time.Hour {
		t.Error("ny's own settings were not used")
	}
	if LocationOf(each, "half", time.UTC) != time.UTC || WindowOf(each, "other", time.Hour) != time.Hour {
		t.Error("defaults were not used")
	}
}
