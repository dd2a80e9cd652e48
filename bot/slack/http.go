package slack

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/bot/channel"
)

// Verification failures. They are logged, never shown to the caller.
var (
	errNoSecret      = errors.New("no signing secret configured")
	errMissingHeader = errors.New("missing signature headers")
	errBadTimestamp  = errors.New("malformed timestamp")
	errStale         = errors.New("timestamp outside the 5 minute window")
	errBadSignature  = errors.New("signature mismatch")
	errReplayed      = errors.New("signature already seen (replay)")
	// errReplayUnknown: the signature is good but whether it was seen
	// before cannot be checked (the store is down). Answered 503, so
	// Slack retries later, never processed on faith.
	errReplayUnknown = errors.New("replay check unavailable")
)

type bodyHandler func(w http.ResponseWriter, r *http.Request, body []byte, reqID string)

// endpoint wraps a Slack endpoint: recover, size limit, signature check,
// then the handler. Nothing of the body is parsed before the signature
// is verified.
func (a *Adapter) endpoint(name string, h bodyHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqID := channel.RequestID("sl-")
		log := channel.With(a.log, slog.String("request_id", reqID), slog.String("endpoint", name))
		defer channel.Recover(w, r, log, "slack handler")
		body, ok := channel.ReadBody(w, r, maxBody, log)
		if !ok {
			return
		}
		// An Events API callback carries a unique event_id, which the turn
		// claims (a replay of it is the same event and is handled once):
		// its signature's replay claim is made only for the payloads that
		// are not de-duplicated that way (see onEventsPayload).
		// While turns cannot reach the store, the signature is claimed at
		// once even so: a store that is down answers 503 and Slack
		// delivers the event again later, rather than it being accepted
		// and then not handled.
		deferReplay := name == "events" && !a.run.StoreTrouble()
		sig, err := a.verify(r.Context(), r.Header, body, !deferReplay)
		switch {
		case deferReplay && err == nil:
			r = r.WithContext(context.WithValue(r.Context(), sigKey{}, sig))
		case name == "events" && err == nil:
			a.run.StoreOK()
		}
		if errors.Is(err, errReplayUnknown) {
			log.WarnContext(r.Context(), "slack request deferred: the replay check is unavailable", "err", err)
			a.metrics.Dropped("store_unavailable")
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		} else if err != nil {
			log.WarnContext(r.Context(), "slack request rejected", "reason", err.Error(), "remote", r.RemoteAddr)
			a.metrics.Dropped("unauthorized")
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		h(w, r, body, reqID)
	})
}

// sigKey carries a verified request's signature to the events handler,
// which claims it only where the event id does not de-duplicate.
type sigKey struct{}

// verify checks Slack's v0 signature: HMAC-SHA256 of "v0:ts:body" with
// the signing secret, a timestamp within five minutes of our clock, and,
// when claim is set, a signature not seen before. It returns the
// signature's replay key.
//
// slack.NewSecretsVerifier computes the same HMAC, but checks the
// timestamp against the wall clock (time.Since), which would make the
// injected clock meaningless and both windows apply at once; so the
// window is checked here against Options.Clock and the HMAC is computed
// here too (a test checks that both agree on a real request).
//
// The timestamp window alone lets a captured request be replayed for
// five minutes; a claim on the signature closes that. Slack's own retries
// are new requests with a new timestamp, so they are not refused. An
// event callback's replay is refused by its event id instead: the turn
// claims "event:slack:<event_id>" (for an hour, beyond the window) before
// anything else, on every store.
func (a *Adapter) verify(ctx context.Context, h http.Header, body []byte, claim bool) (string, error) {
	if a.opt.SigningSecret == "" {
		return "", errNoSecret
	}
	sig, ts := h.Get("X-Slack-Signature"), h.Get("X-Slack-Request-Timestamp")
	if sig == "" || ts == "" {
		return "", errMissingHeader
	}
	secs, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", errBadTimestamp
	}
	if d := a.opt.Clock.Now().Sub(time.Unix(secs, 0)); d > maxSkew || d < -maxSkew {
		return "", errStale
	}
	hexSig, ok := strings.CutPrefix(sig, "v0=")
	if !ok {
		return "", errBadSignature
	}
	got, err := hex.DecodeString(hexSig)
	if err != nil || len(got) != sha256.Size {
		return "", errBadSignature
	}
	mac := hmac.New(sha256.New, []byte(a.opt.SigningSecret))
	_, _ = io.WriteString(mac, "v0:"+ts+":")
	_, _ = mac.Write(body)
	if !hmac.Equal(mac.Sum(nil), got) {
		return "", errBadSignature
	}
	// Keyed on the decoded bytes: hex accepts upper case too, and a
	// re-cased signature must not pass as a new request.
	key := "slack:sig:" + hex.EncodeToString(got)
	if !claim {
		return key, nil
	}
	return key, a.claimSignature(ctx, key)
}

// claimSignature refuses a signature seen before.
func (a *Adapter) claimSignature(ctx context.Context, key string) error {
	won, err := a.opt.Store.Claim(ctx, key, seenTTL)
	if err != nil {
		// The signature and window held, but a replay cannot be told
		// from a first delivery: failing open would let a captured
		// request through twice. Slack retries a 503 later.
		return fmt.Errorf("%w: %w", errReplayUnknown, err)
	}
	if !won {
		return errReplayed
	}
	return nil
}

// serveEvents handles the Events API endpoint.
func (a *Adapter) serveEvents(w http.ResponseWriter, r *http.Request, body []byte, reqID string) {
	var replay func(context.Context) error
	if sig, ok := r.Context().Value(sigKey{}).(string); ok {
		replay = func(ctx context.Context) error { return a.claimSignature(ctx, sig) }
	}
	res := a.onEventsPayload(r.Context(), reqID, body, r.Header.Get("X-Slack-Retry-Num"), replay)
	switch {
	case res.replay != nil:
		if errors.Is(res.replay, errReplayUnknown) {
			a.log.WarnContext(r.Context(), "slack request deferred: the replay check is unavailable", "request_id", reqID, "err", res.replay)
			a.metrics.Dropped("store_unavailable")
			http.Error(w, "try again later", http.StatusServiceUnavailable)
			return
		}
		a.log.WarnContext(r.Context(), "slack request rejected", "request_id", reqID, "reason", res.replay.Error(), "remote", r.RemoteAddr)
		a.metrics.Dropped("unauthorized")
		http.Error(w, "unauthorized", http.StatusUnauthorized)
	case res.challenge != "":
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, res.challenge)
	case res.busy:
		// The event's claim was released: Slack retries it later,
		// when the queue has room, instead of it being lost.
		http.Error(w, "busy", http.StatusServiceUnavailable)
	default:
		w.WriteHeader(http.StatusOK)
	}
}

// serveInteractions handles button presses and modal submissions; the
// payload is a form field holding JSON.
func (a *Adapter) serveInteractions(w http.ResponseWriter, r *http.Request, body []byte, reqID string) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("payload") == "" {
		a.log.WarnContext(r.Context(), "slack interaction malformed", "request_id", reqID, "err", err)
		a.metrics.Event("malformed")
		w.WriteHeader(http.StatusOK)
		return
	}
	ic, err := parseInteraction([]byte(form.Get("payload")))
	if err != nil {
		a.log.WarnContext(r.Context(), "slack interaction malformed", "request_id", reqID, "err", err)
		a.metrics.Event("malformed")
		w.WriteHeader(http.StatusOK)
		return
	}
	// Whatever happens, an empty 200 closes a submitted modal and
	// acknowledges a press; a refused press leaves the button in place,
	// so the person can simply press again.
	a.onInteraction(r.Context(), reqID, ic)
	w.WriteHeader(http.StatusOK)
}

// serveCommands handles /licences.
func (a *Adapter) serveCommands(w http.ResponseWriter, r *http.Request, body []byte, reqID string) {
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("user_id") == "" {
		a.log.WarnContext(r.Context(), "slack command malformed", "request_id", reqID, "err", err)
		a.metrics.Event("malformed")
		w.WriteHeader(http.StatusOK)
		return
	}
	cmd := slashFromForm(form)
	if ok := a.onSlash(r.Context(), reqID, cmd); !ok {
		// The body of a command's answer is shown to the person alone.
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, a.words.Both(channel.Busy))
		return
	}
	w.WriteHeader(http.StatusOK)
}
