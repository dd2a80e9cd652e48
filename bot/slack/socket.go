package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/licensebot/licensebot/bot/channel"
	slackapi "github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// ErrAuth: Slack refused our tokens; retrying will not help.
var ErrAuth = errors.New("slack: authentication failed")

// RunSocketMode receives events, interactions and commands over a Socket
// Mode WebSocket (no public URL needed) until ctx is done, and returns
// nil then. Each request is acknowledged at once, then dispatched exactly
// as over HTTP. The library reconnects by itself; a refused token
// (invalid_auth, token_revoked, …) ends the run with an error wrapping
// ErrAuth.
func (a *Adapter) RunSocketMode(ctx context.Context) error {
	if a.opt.AppToken == "" {
		return errors.New("slack: socket mode needs an app-level token (SLACK_APP_TOKEN, xapp-…)")
	}
	api := a.api
	if api == nil {
		// Distributed without a single-workspace token: the connection
		// needs only the app-level token; each request is then answered
		// with its installation's bot token.
		api = newClient(a.opt, "")
	}
	sm := socketmode.New(api.Client, socketmode.OptionDebug(false), socketmode.OptionLog(slogOutput{a}))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	ack := func(req socketmode.Request, payload any) error { return sm.Ack(req, payload) }
	for {
		select {
		case evt := <-sm.Events:
			if fatal := a.onSocketEvent(ctx, evt, ack); fatal != nil {
				cancel()
				<-errc
				return fatal
			}
		case err := <-errc:
			return a.socketEnd(ctx, err)
		}
	}
}

// socketEnd turns RunContext's end into our answer.
func (a *Adapter) socketEnd(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil && errors.Is(err, context.Canceled) {
		a.log.InfoContext(ctx, "slack socket mode stopped")
		return nil
	}
	if authFailure(err) {
		a.log.ErrorContext(ctx, "slack socket mode: Slack refused the app token; check SLACK_APP_TOKEN (xapp-…, scope connections:write) and that Socket Mode is on", "err", err)
		return fmt.Errorf("%w: socket mode: %w", ErrAuth, err)
	}
	a.log.ErrorContext(ctx, "slack socket mode ended", "err", err)
	return fmt.Errorf("slack: socket mode: %w", err)
}

// authFailure: the errors socketmode treats as fatal when connecting.
func authFailure(err error) bool {
	switch slackError(err) {
	case "invalid_auth", "account_inactive", "not_authed", "token_revoked", "not_allowed_token_type":
		return true
	}
	if sc, ok := errors.AsType[slackapi.StatusCodeError](err); ok && sc.Code == http.StatusNotFound {
		return true
	}
	return false
}

type ackFunc func(req socketmode.Request, payload any) error

// onSocketState handles the events about the connection itself (not a
// request); handled is false for a request.
func (a *Adapter) onSocketState(ctx context.Context, evt socketmode.Event, ack ackFunc) (bool, error) {
	switch evt.Type {
	case socketmode.EventTypeConnecting:
		a.log.DebugContext(ctx, "slack socket mode connecting")
		return true, nil
	case socketmode.EventTypeConnected:
		a.connected.Store(true)
		a.log.InfoContext(ctx, "slack socket mode connected")
		return true, nil
	case socketmode.EventTypeConnectionError:
		a.connected.Store(false)
		a.log.WarnContext(ctx, "slack socket mode connection error; the library retries", "err", fmt.Sprint(evt.Data))
		return true, nil
	case socketmode.EventTypeInvalidAuth:
		a.log.ErrorContext(ctx, "slack socket mode: invalid auth; check SLACK_APP_TOKEN")
		return true, fmt.Errorf("%w: socket mode: invalid_auth", ErrAuth)
	case socketmode.EventTypeDisconnect:
		a.connected.Store(false)
		a.log.DebugContext(ctx, "slack socket mode", "event", string(evt.Type))
		return true, nil
	case socketmode.EventTypeHello:
		a.log.DebugContext(ctx, "slack socket mode", "event", string(evt.Type))
		return true, nil
	case socketmode.EventTypeErrorBadMessage:
		// The library could not parse the envelope (an event type it
		// does not know, a malformed payload) and will not hand it over.
		// Acknowledge it anyway: unacknowledged, Slack would resend it
		// and count the failures against the app.
		a.metrics.Event("malformed")
		bad, _ := evt.Data.(*socketmode.ErrorBadMessage)
		var req socketmode.Request
		if bad != nil && json.Unmarshal(bad.Message, &req) == nil && req.EnvelopeID != "" {
			a.log.InfoContext(ctx, "slack socket mode envelope not understood; acknowledged", "request_id", "sm-"+req.EnvelopeID, "type", req.Type, "err", fmt.Sprint(bad.Cause))
			if err := ack(req, nil); err != nil {
				a.log.ErrorContext(ctx, "slack socket mode ack failed", "request_id", "sm-"+req.EnvelopeID, "err", err)
			}
			return true, nil
		}
		a.log.WarnContext(ctx, "slack socket mode bad message", "detail", fmt.Sprint(evt.Data))
		return true, nil
	case socketmode.EventTypeIncomingError, socketmode.EventTypeErrorWriteFailed:
		a.log.WarnContext(ctx, "slack socket mode error", "event", string(evt.Type), "detail", fmt.Sprint(evt.Data))
		return true, nil
	}
	return false, nil
}

// onSocketEvent handles one Socket Mode event. It returns an error only
// for a fatal condition (the token refused).
func (a *Adapter) onSocketEvent(ctx context.Context, evt socketmode.Event, ack ackFunc) error {
	if handled, err := a.onSocketState(ctx, evt, ack); handled {
		return err
	}
	if evt.Request == nil {
		return nil
	}
	req := *evt.Request
	reqID := "sm-" + req.EnvelopeID
	doAck := func() {
		// An empty ack: well under the 20 KB limit, and it closes a
		// submitted modal.
		if err := ack(req, nil); err != nil {
			a.log.ErrorContext(ctx, "slack socket mode ack failed", "request_id", reqID, "err", err)
		}
	}
	defer func() {
		if v := recover(); v != nil {
			a.log.ErrorContext(ctx, "slack socket mode handler panicked", "request_id", reqID, "panic", fmt.Sprint(v))
			doAck()
		}
	}()
	switch evt.Type {
	case socketmode.EventTypeEventsAPI:
		res := a.onEventsPayload(ctx, reqID, req.Payload, strconv.Itoa(req.RetryAttempt), nil)
		if res.busy {
			// Not acknowledged: Slack sends the envelope again later.
			return nil
		}
		doAck()
	case socketmode.EventTypeInteractive:
		ic, err := parseInteraction(req.Payload)
		doAck()
		if err != nil {
			a.log.WarnContext(ctx, "slack interaction malformed", "request_id", reqID, "err", err)
			a.metrics.Event("malformed")
			return nil
		}
		a.onInteraction(ctx, reqID, ic)
	case socketmode.EventTypeSlashCommand:
		var cmd slackapi.SlashCommand
		err := json.Unmarshal(req.Payload, &cmd)
		if err != nil || cmd.UserID == "" {
			doAck()
			a.log.WarnContext(ctx, "slack command malformed", "request_id", reqID, "err", err)
			a.metrics.Event("malformed")
			return nil
		}
		if !a.onSlash(ctx, reqID, cmd) {
			if err := ack(req, map[string]string{"text": a.words.Both(channel.Busy)}); err != nil {
				a.log.ErrorContext(ctx, "slack socket mode ack failed", "request_id", reqID, "err", err)
			}
			return nil
		}
		doAck()
	default:
		doAck()
		a.log.InfoContext(ctx, "slack socket mode request ignored", "request_id", reqID, "type", string(evt.Type))
	}
	return nil
}

// slogOutput routes the socketmode library's own log lines to slog.
type slogOutput struct{ a *Adapter }

func (o slogOutput) Output(_ int, s string) error {
	o.a.log.Debug("slack socketmode", "msg", s)
	return nil
}
