// Package slack is the Slack channel adapter: it receives Slack events
// (direct messages, mentions, the /licences command, button presses, the
// reject modal, App Home opens), hands them to the shared channel runner
// (bot/channel) as turns, and renders the engine's neutral bot.Messages as
// Block Kit.
//
// What is Slack's own:
//
//   - every HTTP request is verified (HMAC v0 signature, timestamp within
//     five minutes of the injected clock, signature not seen before)
//     before anything in it is parsed; failures get 401 and nothing else.
//     The signature claim is replay protection for requests without an
//     id of their own (commands, modal submissions); de-duplication of
//     events on their event_id is the engine's, in the turn's first store
//     round trip;
//   - requests are acknowledged at once and queued on the runner, sharded
//     by Slack user; a full queue refuses at once (no claim is taken): an
//     event gets 503 and Slack sends it again (see bot/channel for Slack's
//     retries), a command answers "very busy", a press keeps its button;
//   - the sender is the Slack user's e-mail and locale (users.info,
//     cached) in the workspace, or Enterprise Grid org, the request names;
//   - cards with a Key are shown through the runner's card records and
//     later versions replace them with chat.update, so the chat stays a
//     view of the stored state; a pressed message loses its buttons once
//     answered;
//   - typed text others see (field values, the context line) holding
//     Slack's formatting marks is sent as plain_text.
//
// Socket Mode (RunSocketMode) shares the same dispatch; it needs no public
// URL and is the default for a first install. Adapter also implements
// bot.Deliverer for messages sent outside a turn (approval cards,
// reminders, status changes).
//
// A distributed app (Options.Secrets, Options.OAuth) is installed in
// many workspaces through OAuth v2 (InstallRoutes); each installation's
// bot token is stored sealed (internal/secretbox) and every request is
// answered through the client of the workspace it names, so one
// workspace's token never touches another's messages. A workspace with no
// live installation is refused; app_uninstalled and tokens_revoked
// delete its token.
package slack
