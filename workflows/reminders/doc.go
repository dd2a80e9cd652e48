// Package reminders sends the bot's reminders, each exactly once, from any
// number of replicas: renewals coming (30, 7 and 1 days before the
// commitment end date), the seat-removal window opening and about to
// close, trials about to convert to paid, approvals waiting too long or
// nearing their deadline, and the personal "remind me when the window
// opens" reminders people ask for in chat.
//
// What is due lives in the store, not in memory: Sync derives one
// schedule item per reminder and recipient from the provider's
// subscriptions and the pending requests of a customer (idempotently: the
// same data gives the same item ids, changed dates replace or remove
// items), and every tick reads only what is due (store.Schedules.Due).
// robfig/cron only ticks ("@every 1m" by default); it never decides what
// is due, so a restart, a DST change or a second replica changes nothing.
//
// Exactly once: before sending, an item is claimed (store.Claims, keyed
// by item id and due instant, TTL above clock skew plus an hour); a send
// that fails releases the claim and is retried on a later tick; a
// successful send is written to a ledger and the item unscheduled. A
// crash after the claim and before the send leaves the claim to expire,
// and the item is sent then. See docs/REMINDERS.md.
//
// The package does not import the bot: messages go through a Sender,
// which bot.Engine implements, with a neutral Item carrying the fresh
// subscription or request the reminder is about.
package reminders
