package bot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/workflows/reminders"
)

// A reminder's buttons only make sense before its date: pressed later,
// the button answers with a sentence and changes nothing; a reminder
// sent after its date goes out without them.
func TestStaleReminderButtonsAreRetired(t *testing.T) {
	env := newRemEnv(t, true)
	ctx := context.Background()
	trial := env.sub(t, "sub-5") // the Business Premium trial, converting on its term end
	if !trial.Trial || !trial.AutoRenew {
		t.Fatalf("sub-5 is not a converting trial: %+v", trial)
	}
	if err := env.engine.Remind(ctx, env.item(reminders.KindTrial, remClaire, trial)); err != nil {
		t.Fatal(err)
	}
	card := env.inbox.take()[0]
	if got := strings.Join(remLabels(card), ","); !strings.Contains(got, "Stop auto-renew") {
		t.Fatalf("a current reminder lost its buttons: %s", got)
	}

	// Past the trial's end, the old button does nothing but say so.
	env.clock.Set(trial.TermEnd.Add(time.Hour))
	out := remPress(t, env, remClaire, card, "Stop auto-renew")
	if len(out) != 1 || !strings.Contains(out[0].Text, "no longer applies") || !strings.Contains(out[0].Text, "Nothing was changed") {
		t.Fatalf("stale press: %+v", out)
	}
	if got := env.sub(t, "sub-5"); !got.AutoRenew {
		t.Fatal("a stale button changed the subscription")
	}
	reqs, err := env.svc.List(ctx, "contoso")
	if err != nil || len(reqs) != 0 {
		t.Fatalf("a stale button made requests: %v %v", reqs, err)
	}
	out = remPress(t, env, remClaire, card, "Keep it")
	if len(out) != 1 || !strings.Contains(out[0].Text, "no longer applies") {
		t.Fatalf("stale keep: %+v", out)
	}
	// Stopping the reminders still makes sense, and works.
	out = remPress(t, env, remClaire, card, "Stop reminders")
	if len(out) != 1 || strings.Contains(out[0].Text, "no longer applies") {
		t.Fatalf("mute: %+v", out)
	}

	// Sent after its date, a reminder goes out without the stale buttons
	// and says why.
	it := env.item(reminders.KindTrial, remClaire, trial)
	it.Due, it.Now, it.Late = trial.TermEnd.Add(-48*time.Hour), trial.TermEnd.Add(-48*time.Hour), true
	if err := env.engine.Remind(ctx, it); err != nil {
		t.Fatal(err)
	}
	late := env.inbox.take()[0]
	if got := strings.Join(remLabels(late), ","); got != "Stop reminders" {
		t.Errorf("late reminder buttons: %s", got)
	}
	if !strings.Contains(late.Context, "its buttons are retired") {
		t.Errorf("late reminder does not say its buttons are retired: %q", late.Context)
	}
}

// A button of a reminder still current works as before, the expiry it
// carries stripped before the handler reads it.
func TestCurrentReminderButtonStillWorks(t *testing.T) {
	env := newRemEnv(t, true)
	ctx := context.Background()
	if err := env.engine.Remind(ctx, env.item(reminders.KindTrial, remClaire, env.sub(t, "sub-5"))); err != nil {
		t.Fatal(err)
	}
	card := env.inbox.take()[0]
	out := remPress(t, env, remClaire, card, "Stop auto-renew")
	if len(out) == 0 || out[0].Kind != bot.KindPreview || !strings.Contains(out[0].Text, "Microsoft 365 Business Premium") {
		t.Fatalf("current press: %+v", out)
	}
}
