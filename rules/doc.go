// Package rules holds the licence rules as data and pure functions: may
// this change happen now, for whom, with what approval, at what cost — and
// if not, why not and what the user can do instead.
//
// Nothing here does I/O or reads the clock: the instant is part of the
// Input. The same Evaluate runs when a request is previewed and again,
// with a fresh read of the subscription, right before it is executed.
// Sources for every rule are in docs/rules.md.
package rules
