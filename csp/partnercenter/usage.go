package partnercenter

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// subscribedSku is one item of GET /v1/customers/{id}/subscribedskus
// ("get a list of available licenses"): the tenant's licences of one
// product, all subscriptions together.
type subscribedSku struct {
	AvailableUnits int `json:"availableUnits"`
	ActiveUnits    int `json:"activeUnits"`
	ConsumedUnits  int `json:"consumedUnits"`
	SuspendedUnits int `json:"suspendedUnits"`
	TotalUnits     int `json:"totalUnits"`
	WarningUnits   int `json:"warningUnits"`
	ProductSku     struct {
		ID            string `json:"id"`
		Name          string `json:"name"`
		SkuPartNumber string `json:"skuPartNumber"`
	} `json:"productSku"`
	CapabilityStatus string `json:"capabilityStatus"`
}

// Usage reads the customer's subscribed SKUs (consumed units against
// total units per product) and divides each product's consumed units
// between the subscriptions of that product (csp.SpreadUsage), matched by
// the product's name through the catalog or the subscription's name.
//
// Microsoft documents the call for App+User tokens only, and the
// reseller needs a GDAP role on the customer's tenant that reads licences
// (Directory Readers, Global Reader, User or License Administrator).
// Without a refresh token configured, or when Partner Center refuses the
// call (403), the answer is csp.ErrUsageUnsupported. Partner Center gives
// no counting time, so MeasuredAt is the time of the read.
func (c *Client) Usage(ctx context.Context, customerID string) ([]csp.Usage, error) {
	if !c.auth.has(credUser) {
		return nil, fmt.Errorf("partnercenter: licence usage needs App+User credentials (%s): %w", EnvRefreshToken, csp.ErrUsageUnsupported)
	}
	subs, err := c.Subscriptions(ctx, customerID)
	if err != nil {
		return nil, err
	}
	var col collection[subscribedSku]
	path := "/v1/customers/" + url.PathEscape(customerID) + "/subscribedskus"
	_, err = c.do(ctx, request{method: http.MethodGet, path: path, auth: authUser}, &col)
	var refused *csp.RefusedError
	if errors.As(err, &refused) {
		return nil, fmt.Errorf("partnercenter: subscribed SKUs of %s: %w: %w", customerID, csp.ErrUsageUnsupported, err)
	}
	if err != nil {
		return nil, fmt.Errorf("partnercenter: subscribed SKUs of %s: %w", customerID, err)
	}
	counts := make([]csp.ProductCount, 0, len(col.Items))
	for _, k := range col.Items {
		counts = append(counts, csp.ProductCount{SkuID: k.ProductSku.ID, Name: k.ProductSku.Name,
			Assigned: k.ConsumedUnits, Total: k.TotalUnits})
	}
	return csp.SpreadUsage(subs, counts, c.countMatches, c.clock.Now()), nil
}

// countMatches: a subscribed SKU's product name names the subscription's
// offer (catalog name or alias), or is the subscription's name.
func (c *Client) countMatches(pc csp.ProductCount, s csp.Subscription) bool {
	if o, ok := portal.MatchOffer(c.cat, pc.Name); ok && o.ID == s.OfferID {
		return true
	}
	return pc.Name != "" && strings.EqualFold(strings.TrimSpace(pc.Name), strings.TrimSpace(s.Name))
}
