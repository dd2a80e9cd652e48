// Package slack is the Slack channel adapter: it turns Slack events
// (direct messages, mentions, the /licences command, button presses, the
// reject modal, App Home opens) into neutral bot.Turns, and renders the
// engine's neutral bot.Messages as Block Kit.
//
// The flow follows DESIGN.md principles 4-6:
//
//   - every HTTP request is verified (HMAC v0 signature, timestamp within
//     five minutes of the injected clock, signature not seen before) before
//     anything in it is parsed; failures get 401 and nothing else;
//   - events are de-duplicated on their event_id with a store claim, so a
//     Slack retry is handled once;
//   - the HTTP handler acknowledges at once and hands the work to a bounded
//     pool of workers, sharded by Slack user so one person's messages are
//     handled in order;
//   - cards with a Key (request and approval cards) are recorded in the
//     store (channel and ts per recipient and key) and later versions
//     replace them with chat.update, so the chat stays a view of the
//     stored state.
//
// Socket Mode (RunSocketMode) shares the same dispatch; it needs no public
// URL and is the default for a first install. Adapter also implements
// bot.Deliverer for messages sent outside a turn (approval cards,
// reminders, status changes).
package slack
