package cloudcockpit

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// licence is one product of GET /v1/Customers/{id}/licenses, the guide's
// Licences tab: the tenant's licences of a SKU, all subscriptions
// together.
type licence struct {
	SkuID             string `json:"skuId"`
	Name              string `json:"name"`
	TotalLicenses     int    `json:"totalLicenses"`
	ConsumedLicenses  int    `json:"consumedLicenses"`
	AvailableLicenses int    `json:"availableLicenses"`
	SuspendedLicenses int    `json:"suspendedLicenses"`
	IsSelected        bool   `json:"isSelected"`
}

// listOrPage decodes a bare array or the paged envelope: the licences
// and GDAP endpoints are documented with a bare array, and the other
// lists of the API are paged.
type listOrPage[T any] struct{ Items []T }

func (l *listOrPage[T]) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '[' {
		return json.Unmarshal(b, &l.Items)
	}
	var pg page[T]
	if err := json.Unmarshal(b, &pg); err != nil {
		return err
	}
	l.Items = pg.Items
	return nil
}

// withInstance is the providerInstanceId query of the licences and GDAP
// endpoints.
func (c *Client) withInstance() url.Values {
	return url.Values{"providerInstanceId": {c.instance}}
}

// needInstance: the licences and GDAP endpoints are documented with a
// providerInstanceId; without one configured they are not called.
func (c *Client) needInstance(what string) error {
	if c.instance == "" {
		return fmt.Errorf("cloudcockpit: %s: no provider instance id configured", what)
	}
	return nil
}

// Usage reads the customer's licences (consumed against total per SKU)
// and divides each SKU's consumed licences between the subscriptions of
// that product (csp.SpreadUsage). A SKU is matched to subscriptions by
// its name, through the catalog's names and aliases or the
// subscription's own name. Without a configured provider instance id, or
// for a customer the endpoint does not serve (Microsoft customers only):
// a 404, or no licence at all for a customer that has subscriptions, is
// csp.ErrUsageUnsupported. The portal gives no counting time, so
// MeasuredAt is the time of the read.
func (c *Client) Usage(ctx context.Context, customerID string) ([]csp.Usage, error) {
	if err := c.needInstance("licences"); err != nil {
		return nil, fmt.Errorf("%w: %w", err, csp.ErrUsageUnsupported)
	}
	items, err := c.listSubscriptions(ctx, customerID)
	if err != nil {
		return nil, fmt.Errorf("cloudcockpit: usage of %s: %w", customerID, err)
	}
	subs := make([]csp.Subscription, 0, len(items))
	for _, it := range items {
		subs = append(subs, c.toSubscription(ctx, customerID, it))
	}
	var ls listOrPage[licence]
	path := "/v1/Customers/" + url.PathEscape(customerID) + "/licenses"
	_, err = c.do(ctx, request{method: http.MethodGet, path: path, query: c.withInstance()}, &ls)
	if errors.Is(err, csp.ErrNotFound) {
		return nil, fmt.Errorf("cloudcockpit: licences of %s: %w (%w)", customerID, csp.ErrUsageUnsupported, err)
	}
	if err != nil {
		return nil, fmt.Errorf("cloudcockpit: licences of %s: %w", customerID, err)
	}
	if len(ls.Items) == 0 && len(subs) > 0 {
		return nil, fmt.Errorf("cloudcockpit: licences of %s: the portal lists none: %w", customerID, csp.ErrUsageUnsupported)
	}
	counts := make([]csp.ProductCount, 0, len(ls.Items))
	for _, l := range ls.Items {
		// totalLicenses counts the tenant's licences, suspended ones
		// included; consumedLicenses are the assigned ones.
		counts = append(counts, csp.ProductCount{SkuID: l.SkuID, Name: l.Name, Assigned: l.ConsumedLicenses, Total: l.TotalLicenses})
	}
	return csp.SpreadUsage(subs, counts, c.countMatches, c.clock.Now()), nil
}

// countMatches: a SKU's name names the subscription's offer (catalog
// name or alias), or is the subscription's name.
func (c *Client) countMatches(pc csp.ProductCount, s csp.Subscription) bool {
	if o, ok := portal.MatchOffer(c.cat, pc.Name); ok && o.ID == s.OfferID {
		return true
	}
	return pc.Name != "" && strings.EqualFold(strings.TrimSpace(pc.Name), strings.TrimSpace(s.Name))
}
