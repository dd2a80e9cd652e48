package cards

import (
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/chat"
	"github.com/licensebot/licensebot/bot/i18n"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// A reminder is about a date (the trial's end, the renewal, the close of
// a removal window), and its buttons only make sense before it. A
// reminder read late — a terminal's unread messages, a Slack message
// scrolled back to weeks later — must not offer "turn off auto-renew" on
// a trial that already became paid. So each such button's value carries
// the instant it stops making sense, after expirySep; the engine answers
// a press past it with a sentence and changes nothing (bot/stale.go), and
// a reminder shown past it has its buttons retired (Retire).

// expirySep separates a button's value from the Unix second it expires
// at. Values carry only ids, none of which contains it.
const expirySep = "@"

// stampReminder marks the buttons of a reminder that only make sense
// before its date. Muting stays meaningful and is never stamped.
func stampReminder(m *chat.Message, it reminders.Item) {
	var until time.Time
	switch it.Kind {
	case reminders.KindTrial, reminders.KindRenewal:
		until = it.Subscription.TermEnd
	case reminders.KindWindowOpen, reminders.KindWindowClosing, reminders.KindPersonal:
		until = it.WindowCloses
	}
	if until.IsZero() {
		return
	}
	for i, a := range m.Actions {
		if a.ID == chat.ActStart || a.ID == chat.ActKeep {
			m.Actions[i].Value = a.Value + expirySep + strconv.FormatInt(until.Unix(), 10)
		}
	}
}

// Expiry splits a button value into the value its handler reads and the
// instant it stops making sense; ok is false when it has none.
func Expiry(value string) (base string, until time.Time, ok bool) {
	i := strings.LastIndex(value, expirySep)
	if i < 0 {
		return value, time.Time{}, false
	}
	secs, err := strconv.ParseInt(value[i+len(expirySep):], 10, 64)
	if err != nil {
		return value, time.Time{}, false
	}
	return value[:i], time.Unix(secs, 0), true
}

// Retire takes off a message the buttons that stopped making sense by
// now and says so under it, in the message's language; it reports
// whether it did. Buttons without an expiry stay.
func Retire(tr *i18n.Translator, m *chat.Message, now time.Time, loc *time.Location) bool {
	var keep []chat.Action
	var past time.Time
	for _, a := range m.Actions {
		if _, until, ok := Expiry(a.Value); ok && !now.Before(until) {
			past = until
			continue
		}
		keep = append(keep, a)
	}
	if past.IsZero() {
		return false
	}
	m.Actions = keep
	note := tr.T(m.Lang, "stale.retired", map[string]any{"At": tr.DateTime(m.Lang, past, loc)})
	if m.Context != "" {
		m.Context += " " + note
	} else {
		m.Context = note
	}
	return true
}

// SentNote is "sent Wed 2 Dec 2026, 09:00", for a message shown well
// after it was sent.
func SentNote(tr *i18n.Translator, lang string, sent time.Time, loc *time.Location) string {
	return tr.T(lang, "stale.sent", map[string]any{"At": tr.DateTime(lang, sent, loc)})
}
