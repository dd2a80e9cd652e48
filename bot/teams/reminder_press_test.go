package teams

import (
	"context"
	"testing"

	"github.com/licensebot/licensebot/bot"
)

// Marc presses [Approve] on an approval reminder ("Waiting for your
// decision: R-3", Key reminder:…). The engine approves and answers with
// the approval card (Key approval:R-3). The pressed reminder must not
// keep its Approve/Reject buttons.
func TestApprovingOnAReminderRetiresItsButtons(t *testing.T) {
	e := newEnv(t)
	e.installed(marc)
	rem := approvalMsg("pending", false)
	rem.Kind, rem.Key = bot.KindReminder, "reminder:approval-waiting:R-3:marc@reseller.example@2026-11-27T09:00:00Z"
	rem.Title = "Waiting for your decision: R-3"
	if err := e.a.Deliver(context.Background(), marcPerson(), rem); err != nil {
		t.Fatal(err)
	}
	e.h.setReply(func(bot.Turn) []bot.Message { return []bot.Message{approvalMsg("approved", false)} })
	res := e.invoke(e.press(marc, "inv-1", "act-1", map[string]string{"action": "approve", "value": "C1:R-3", "key": rem.Key}))
	if c := res.card(t); c["actions"] != nil {
		t.Fatalf("after approving, the pressed reminder card still shows buttons: %v", c["actions"])
	}
}
