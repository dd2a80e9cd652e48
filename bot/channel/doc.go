// Package channel is what the chat adapters (bot/slack, bot/teams) share:
// one pipeline from a received event to the answers shown, over a small
// per-platform part. An adapter receives (signature or token checks,
// parsing), then hands the Runner an Inbound with two closures — who sent
// it (Identify: platform user → e-mails, locale, organization) and how to
// answer where they talk (Reply) — and implements Poster to create and
// update messages. The Runner does the rest:
//
//   - queues the work on a bounded pool sharded by person, so one person's
//     turns keep their order; a full queue refuses at once (ErrBusy),
//     with no wait for a slot and no goroutine per waiting request, so
//     overload costs one quick answer per request;
//   - looks the sender up in workflows.People by organization and e-mail,
//     picks the language, answers someone not set up with one sentence;
//   - runs the engine with Turn.Org filled, times it, and shows the
//     answers: the person's where they talk, others' through Deliver.
//
// # De-duplication and retries
//
// A platform event is claimed once, by the engine, together with loading
// the dialogue (bot.Engine claims "event:<platform>:<event id>"). Nothing
// here claims an event, so an event refused because the queue was full
// holds no claim, and nothing has to be released when the platform sends
// it again: the retry is handled as if it were the first delivery.
//
// Slack acknowledges an Events API delivery only with a 2xx answered
// within 3 seconds; otherwise it retries up to three times (about at
// once, after 1 minute, after 5 minutes) with X-Slack-Retry-Num and
// X-Slack-Retry-Reason, then gives up (and too many failures in an hour
// can disable the app's event subscription). So a full queue answers 503
// at once and the event comes back; over Socket Mode the envelope is left
// unacknowledged, with the same effect. Interactions (button presses,
// modal submissions) and slash commands are not retried by Slack: a
// refused press leaves its button in place and a refused command answers
// "very busy, try again".
//
// Microsoft Teams resends an activity the bot has not answered within
// about 15 seconds (the engine's claim on the activity id absorbs the
// copy). For an activity answered 503 or 429 Microsoft documents no retry
// contract; the Bot Connector may try again, but the bot cannot count on
// it. So the queue is sized for peaks (4 workers per processor, 64 turns
// waiting per worker by default), a refusal is logged with the activity
// id and counted (teams_dropped_total{reason="queue_full"}), and a card
// press, which Teams never retries, is answered "very busy" in the invoke
// response instead of queued.
//
// # Cards
//
// A message with a Key (a request or approval card) has one record in
// the customer's scope (collection "cards", id: the Key) saying, per
// platform and recipient, the conversation, the message id and a hash of
// what it shows. Cards.Show posts a card once and then updates it in
// place — nothing at all when it already shows the same — by
// compare-and-swap on that record, with no lock: the first delivery
// reserves the recipient's slot before posting, and a concurrent one (the
// outbox's retry, another replica) waits for the message id and updates
// instead of posting a second copy.
package channel
