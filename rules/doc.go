// Package rules holds the licence rules as data and pure functions: may
// this change happen now, for whom, with what approval, at what cost — and
// if not, why not and what the user can do instead.
//
// Nothing here does I/O or reads the clock: the instant is part of the
// Input. The same Evaluate runs when a request is previewed and again,
// with a fresh read of the subscription, right before it is executed.
//
// The API is three functions: DefaultPolicy gives the configurable
// defaults (72-hour removal window, 50 EUR member limit), Evaluate gives a
// Decision, and AllCodes lists the closed set of reason, warning and
// alternative codes a Decision can carry, so that the bot can check that
// every one has a sentence in every language.
//
// Sources for every rule, the routing table and the proration formula are
// in docs/rules.md.
package rules
