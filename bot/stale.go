package bot

import (
	"github.com/licensebot/licensebot/bot/cards"
)

// retiredPress reads the expiry a reminder's button carries (see
// bot/cards/stale.go) and strips it from p, so the handlers read the
// value they know. A button pressed past its expiry is answered with a
// sentence and nothing else happens: it reports true then.
func (e *Engine) retiredPress(tc *turnCtx, p *Press) bool {
	base, until, ok := cards.Expiry(p.Value)
	if !ok {
		return false
	}
	p.Value = base
	if e.opt.Clock.Now().Before(until) {
		return false
	}
	tc.say(Message{Text: e.tr.T(tc.lang, "stale.button", map[string]any{
		"At": e.tr.DateTime(tc.lang, until, e.locOf(tc.customer.ID)),
	})})
	return true
}

// retireStale takes off a reminder the buttons already past when it is
// sent (a reminder sent late, after its date).
func (e *Engine) retireStale(m *Message, customerID string) {
	cards.Retire(e.tr, m, e.opt.Clock.Now(), e.locOf(customerID))
}
