package reminders

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/store"
)

// At Info (serve's default), a batch of sent reminders logs one line
// that counts them, not one line each; at Debug each send has its line
// with the reminder's ids. What is not sent (here: muted) still has its
// own line at Info, with the reason.
func TestSentRemindersLogOneLinePerBatchAtInfo(t *testing.T) {
	loc := paris(t)
	now := time.Date(2026, 11, 26, 9, 0, 0, 0, loc)
	for _, level := range []slog.Level{slog.LevelInfo, slog.LevelDebug} {
		var subs []csp.Subscription
		var items []store.ScheduledItem
		for i := range 3 {
			sub := annual(fmt.Sprintf("sub-%d", i), time.Date(2026, 12, 26, 0, 0, 0, 0, loc), 3)
			subs = append(subs, sub)
			p := payload{Kind: KindRenewal, Sub: sub.ID, To: claire.Email, Aud: AudienceAdmin, Lead: 30, Term: sub.TermEnd.UTC(), Until: sub.TermEnd.UTC()}
			items = append(items, store.ScheduledItem{ID: fmt.Sprintf("due-%d", i), Due: now.Add(-time.Minute), Payload: p.encode()})
		}
		logs := &lockedBuffer{}
		f := newFixture(t, nil, now, subs, func(o *Options) {
			o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: level}))
		})
		f.eng.markSynced(cust, now)
		ctx := context.Background()
		if err := store.ScheduleAll(ctx, f.st, cust, Queue, items); err != nil {
			t.Fatal(err)
		}
		if err := Mute(ctx, f.st, cust, claire.Email, subs[2].ID, true, now); err != nil {
			t.Fatal(err)
		}
		if rep := f.tick(t); rep.Sent != 2 || rep.Muted != 1 {
			t.Fatalf("%s: %+v, want 2 sent and 1 muted", level, rep)
		}
		out := logs.String()
		if n := strings.Count(out, `msg="reminders handled"`); n != 1 ||
			!strings.Contains(out, "queue=reminders due=3 sent=2 dropped=0 muted=1 retry=0 busy=0 done=0") {
			t.Errorf("%s: want one batch line counting 2 sent and 1 muted; log:\n%s", level, out)
		}
		if !strings.Contains(out, `msg="reminder not sent: muted by the recipient"`) || !strings.Contains(out, "reminder_id=due-2") {
			t.Errorf("%s: the muted reminder has no line of its own; log:\n%s", level, out)
		}
		sentLines := strings.Count(out, `msg="reminder sent"`)
		if want := map[slog.Level]int{slog.LevelInfo: 0, slog.LevelDebug: 2}[level]; sentLines != want {
			t.Errorf("%s: %d \"reminder sent\" lines, want %d; log:\n%s", level, sentLines, want, out)
		}
		if level == slog.LevelDebug && !strings.Contains(out, "reminder_id=due-0") {
			t.Errorf("debug: the sent reminder's line has no id; log:\n%s", out)
		}
	}
}
