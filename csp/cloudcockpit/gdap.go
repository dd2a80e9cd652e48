package cloudcockpit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// relationship is one item of GET
// /v1/Customers/{id}/delegated-admin-relationships, the guide's GDAP tab.
// The dates are Microsoft Graph's names; CloudCockpit documents only the
// duration, so they are read when present.
type relationship struct {
	ID                 string `json:"id"`
	RelationshipID     string `json:"relationshipId"`
	DisplayName        string `json:"displayName"`
	Duration           string `json:"duration"`
	AutoExtendDuration string `json:"autoExtendDuration"`
	Status             enum   `json:"status"`
	ActivatedDateTime  string `json:"activatedDateTime"`
	EndDateTime        string `json:"endDateTime"`
	AccessDetails      struct {
		UnifiedRoles []struct {
			RoleDefinitionID string `json:"roleDefinitionId"`
		} `json:"unifiedRoles"`
	} `json:"accessDetails"`
}

// DelegatedAccess lists the reseller's GDAP relationships with the
// customer's tenant, with the Entra roles each grants (named from their
// role ids). Without a configured provider instance id, or on a 404 (the
// portal has none to show for this customer: not a Microsoft customer,
// or none linked), it is csp.ErrAccessUnsupported.
func (c *Client) DelegatedAccess(ctx context.Context, customerID string) ([]csp.DelegatedRelationship, error) {
	if err := c.needInstance("delegated admin relationships"); err != nil {
		return nil, fmt.Errorf("%w: %w", err, csp.ErrAccessUnsupported)
	}
	var rs listOrPage[relationship]
	path := "/v1/Customers/" + url.PathEscape(customerID) + "/delegated-admin-relationships"
	_, err := c.do(ctx, request{method: http.MethodGet, path: path, query: c.withInstance()}, &rs)
	if errors.Is(err, csp.ErrNotFound) {
		return nil, fmt.Errorf("cloudcockpit: delegated admin relationships of %s: %w (%w)", customerID, csp.ErrAccessUnsupported, err)
	}
	if err != nil {
		return nil, fmt.Errorf("cloudcockpit: delegated admin relationships of %s: %w", customerID, err)
	}
	out := make([]csp.DelegatedRelationship, 0, len(rs.Items))
	for _, r := range rs.Items {
		d := csp.DelegatedRelationship{
			ID:         portal.FirstNonEmpty(r.RelationshipID, r.ID),
			Name:       r.DisplayName,
			Status:     csp.MapDelegatedStatus(r.Status.Name),
			AutoExtend: days(r.AutoExtendDuration) > 0,
		}
		for _, role := range r.AccessDetails.UnifiedRoles {
			d.Roles = append(d.Roles, csp.RoleName(role.RoleDefinitionID))
		}
		if t, ok := portal.ParseInstant(r.ActivatedDateTime); ok {
			d.Start = t
		}
		if t, ok := portal.ParseInstant(r.EndDateTime); ok {
			d.End = t
		} else if n := days(r.Duration); n > 0 && !d.Start.IsZero() {
			d.End = d.Start.Add(time.Duration(n) * 24 * time.Hour)
		}
		out = append(out, d)
	}
	return out, nil
}

// days reads an ISO 8601 duration of whole days ("P730D", "P180D");
// anything else (PT0S included) is 0.
func days(iso string) int {
	s, ok := strings.CutPrefix(strings.ToUpper(strings.TrimSpace(iso)), "P")
	if !ok {
		return 0
	}
	s, ok = strings.CutSuffix(s, "D")
	if !ok {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0
	}
	return n
}
