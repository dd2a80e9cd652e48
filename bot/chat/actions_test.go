package chat_test

import (
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/csp"
)

// What a card's button carries is read back as it was meant, and the
// older two-part value still works for buttons already posted.
func TestStartValueRoundTrips(t *testing.T) {
	s := csp.Subscription{ID: "sub-2", CustomerID: "contoso"}
	cases := []struct {
		value    string
		kind     csp.ChangeKind
		customer string
		quantity int
	}{
		{chat.StartValue(csp.ChangeAddSeats, s, 0), csp.ChangeAddSeats, "contoso", 0},
		{chat.StartValue(csp.ChangeSetRenewalQuantity, s, 6), csp.ChangeSetRenewalQuantity, "contoso", 6},
		{"remove_seats:sub-2", csp.ChangeRemoveSeats, "", 0},
	}
	for _, c := range cases {
		kind, customer, sub, q, ok := chat.ParseStart(c.value)
		if !ok || kind != c.kind || customer != c.customer || sub != "sub-2" || q != c.quantity {
			t.Errorf("ParseStart(%q) = %q %q %q %d %v", c.value, kind, customer, sub, q, ok)
		}
	}
}

// A forged or damaged value is refused, never half read.
func TestParseStartRefusesBadValues(t *testing.T) {
	for _, v := range []string{"", "add_seats", "no_such_kind:contoso:sub-2", "add_seats:contoso:", "add_seats:contoso:sub-2:0",
		"add_seats:contoso:sub-2:-3", "add_seats:contoso:sub-2:x", "add_seats:a:b:1:2"} {
		if _, _, _, _, ok := chat.ParseStart(v); ok {
			t.Errorf("ParseStart(%q) accepted", v)
		}
	}
}

func TestKeepValueNamesTheTerm(t *testing.T) {
	end := time.Date(2026, 12, 27, 0, 0, 0, 0, time.UTC)
	got := chat.KeepValue("contoso", csp.Subscription{ID: "sub-2", TermEnd: end})
	if want := "contoso:sub-2:1798329600"; got != want {
		t.Errorf("KeepValue = %q, want %q", got, want)
	}
}
