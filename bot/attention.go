package bot

import (
	"context"
	"fmt"

	"github.com/licensebot/licensebot/workflows"
)

// resolve handles the three buttons of a request that needs attention.
func (e *Engine) resolve(ctx context.Context, tc *turnCtx, action string, ref reqRef) error {
	svc, p := e.opt.Service, tc.turn.Person
	var req workflows.Request
	var err error
	switch action {
	case ActCheckAgain:
		req, err = svc.CheckAgain(ctx, p, ref.CustomerID, ref.ID)
	case ActMarkDone:
		req, err = svc.MarkDone(ctx, p, ref.CustomerID, ref.ID)
	case ActSendAgain:
		req, err = svc.SendAgain(ctx, p, ref.CustomerID, ref.ID)
	default:
		return fmt.Errorf("resolve: unknown action %q", action)
	}
	if err := e.decided(ctx, tc, req, err); err != nil || req.State != workflows.StateNeedsAttention {
		return err
	}
	outcome := ""
	if req.Attention != nil {
		outcome = e.tr.T(tc.lang, "outcome."+string(req.Attention.Outcome), nil)
	}
	tc.say(Message{Text: e.tr.T(tc.lang, "still_unknown", map[string]any{"ID": req.ID, "Outcome": outcome})})
	return nil
}
