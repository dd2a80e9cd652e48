// Package csp is the licence domain shared by every part of licensebot:
// offers and their catalog, customers' subscriptions with their terms and
// per-purchase seat lots, the changes people ask for, and the Provider
// interface that the reseller portals (the embedded sandbox, CloudCockpit,
// Microsoft Partner Center) implement.
//
// The types are shaped so that both real APIs map onto them without loss:
// terms are ISO 8601 durations as in Partner Center, statuses are the union
// of both portals' states, and writes are expressed as absolute targets
// (Operation) so that a retry can never apply a change twice.
//
// This package imports only the standard library.
package csp
