// Package portal holds what the real portal clients (cloudcockpit,
// partnercenter) do the same way, so that a fix lands once: the HTTP
// retry rules (Retry-After, backoff, waiting), reading the portals'
// dates, the billing-cycle names both share, matching a portal's offer to
// the reseller's catalog, and the per-customer settings with the
// clients' common option defaults.
//
// What differs between the portals stays in their packages: wire types,
// enum spellings (term durations, statuses), error envelopes and codes,
// and each portal's decisions about what to retry.
package portal
