package partnercenter

import (
	"context"
	"fmt"

	"github.com/licensebot/licensebot/csp"
)

// DelegatedAccess: GDAP relationships are not part of the Partner Center
// REST API; Microsoft exposes them in Microsoft Graph
// (tenantRelationships/delegatedAdminRelationships, filtered by the
// customer's tenant id), which takes a Graph token with the
// DelegatedAdminRelationship.Read.All permission. This client holds
// Partner Center tokens only, so it says it cannot tell rather than
// answer "no access".
func (c *Client) DelegatedAccess(_ context.Context, customerID string) ([]csp.DelegatedRelationship, error) {
	return nil, fmt.Errorf("partnercenter: delegated admin relationships of %s are in Microsoft Graph, which this client does not call: %w",
		customerID, csp.ErrAccessUnsupported)
}
