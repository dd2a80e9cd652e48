package partnercenter

// Needs is the authentication an operation accepts, as each operation's
// page in Microsoft's REST reference states under its prerequisites.
type Needs string

// Needs values.
const (
	NeedsEither      Needs = "app-only or App+User"
	NeedsAppPlusUser Needs = "App+User"
)

// OperationAccess says whether the configured credentials allow one
// operation.
type OperationAccess struct {
	Operation string
	Needs     Needs
	Allowed   bool
}

// operations is what the bot calls and what Microsoft documents for each
// (checked on learn.microsoft.com; see docs/PARTNERCENTER.md). All but the
// price list are documented as accepting app-only tokens today; an answer of
// 401/403 to an app-only token still moves the call to App+User when a
// refresh token is configured, should Microsoft narrow one.
var operations = []struct {
	name  string
	needs Needs
}{
	{"read customers", NeedsEither},
	{"read subscriptions", NeedsEither},
	{"change quantity, auto-renew, cancel (PATCH subscription)", NeedsEither},
	{"schedule the next term (scheduledNextTermInstructions)", NeedsEither},
	{"read transition eligibilities", NeedsEither},
	{"upgrade (POST transitions) and follow it", NeedsEither},
	{"read custom term end dates", NeedsEither},
	{"read product availabilities", NeedsEither},
	{"read the price list (sales/pricesheets)", NeedsAppPlusUser},
	{"buy (cart, checkout, orders)", NeedsEither},
	{"read licence usage (subscribed SKUs)", NeedsAppPlusUser},
}

// Access lists the operations the bot uses and whether the configured
// credentials allow each, for `licensebot config check`.
func (c *Client) Access() []OperationAccess {
	app, user := c.auth.has(credApp), c.auth.has(credUser)
	out := make([]OperationAccess, 0, len(operations))
	for _, o := range operations {
		ok := user || (app && o.needs == NeedsEither)
		out = append(out, OperationAccess{Operation: o.name, Needs: o.needs, Allowed: ok})
	}
	return out
}

// Credentials names the configured credential kinds ("app-only",
// "App+User"), for `licensebot config check`.
func (c *Client) Credentials() []string {
	var out []string
	if c.auth.has(credApp) {
		out = append(out, "app-only (client credentials)")
	}
	if c.auth.has(credUser) {
		out = append(out, "App+User (refresh token, secure application model)")
	}
	return out
}
