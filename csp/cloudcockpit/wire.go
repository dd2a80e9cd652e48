package cloudcockpit

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/licensebot/licensebot/csp/internal/portal"
)

// This file holds the CloudCockpit wire types. Decoding is deliberately
// tolerant where the public documentation is vague (enums as objects or
// strings, prices as numbers or objects, the detail's offer as an object or
// a name): a field we cannot read is left empty and logged by the mapping,
// never a reason to fail a whole listing.

// page is the paged envelope of list endpoints.
type page[T any] struct {
	Items                []T `json:"items"`
	PaginationParameters struct {
		PageNumber int `json:"pageNumber"`
		PageSize   int `json:"pageSize"`
	} `json:"paginationParameters"`
	TotalPages        int    `json:"totalPages"`
	TotalCount        int    `json:"totalCount"`
	HasPreviousPage   bool   `json:"hasPreviousPage"`
	HasNextPage       bool   `json:"hasNextPage"`
	ContinuationToken string `json:"continuationToken"`
}

// enum is a CloudCockpit enum: {"name":"Monthly"}. A bare string is
// accepted too. The raw JSON is kept so that a PATCH can echo a value in
// exactly the shape the portal gave it.
type enum struct {
	Name string
	raw  json.RawMessage
}

func (e *enum) UnmarshalJSON(b []byte) error {
	e.raw = append(json.RawMessage(nil), b...)
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		e.Name = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		return json.Unmarshal(b, &e.Name)
	}
	var o struct {
		Name string `json:"name"`
	}
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	e.Name = o.Name
	return nil
}

// MarshalJSON echoes the portal's own shape, or {"name":…} for a value
// built here.
func (e enum) MarshalJSON() ([]byte, error) {
	if len(e.raw) > 0 {
		return e.raw, nil
	}
	if e.Name == "" {
		return []byte("null"), nil
	}
	return json.Marshal(struct {
		Name string `json:"name"`
	}{e.Name})
}

// set reports whether the enum has a value.
func (e enum) set() bool { return e.Name != "" }

// amount is a price: a JSON number, a numeric string, or an object with an
// amount and maybe a currency.
type amount struct {
	Value    float64
	Currency string
	OK       bool
}

func (a *amount) UnmarshalJSON(b []byte) error {
	*a = amount{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	switch b[0] {
	case '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			a.Value, a.OK = v, true
		}
		return nil
	case '{':
		var o map[string]json.RawMessage
		if err := json.Unmarshal(b, &o); err != nil {
			return err
		}
		for _, k := range []string{"amount", "value", "price", "unitPrice", "listPrice"} {
			if raw, ok := o[k]; ok {
				var in amount
				if err := in.UnmarshalJSON(raw); err == nil && in.OK {
					a.Value, a.OK = in.Value, true
					break
				}
			}
		}
		for _, k := range []string{"currency", "currencyCode"} {
			if raw, ok := o[k]; ok {
				var s string
				if json.Unmarshal(raw, &s) == nil && s != "" {
					a.Currency = s
					break
				}
			}
		}
		return nil
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	a.Value, a.OK = v, true
	return nil
}

// offerRef is the subscription detail's "offer": an object (id, name,
// providerOfferId) or, in some payloads, just a name.
type offerRef struct {
	ID              string
	Name            string
	ProviderOfferID string
	IsTrial         bool
}

func (o *offerRef) UnmarshalJSON(b []byte) error {
	*o = offerRef{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return nil
	}
	if b[0] == '"' {
		return json.Unmarshal(b, &o.Name)
	}
	var w struct {
		ID              string `json:"id"`
		OfferID         string `json:"offerId"`
		Name            string `json:"name"`
		OfferName       string `json:"offerName"`
		ProviderOfferID string `json:"providerOfferId"`
		IsTrial         bool   `json:"isTrial"`
		IsTrialOffer    bool   `json:"isTrialOffer"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	o.ID = portal.FirstNonEmpty(w.OfferID, w.ID)
	o.Name = portal.FirstNonEmpty(w.Name, w.OfferName)
	o.ProviderOfferID = w.ProviderOfferID
	o.IsTrial = w.IsTrial || w.IsTrialOffer
	return nil
}

// renewSettings is autoRenewSettings, read and written.
type renewSettings struct {
	Term              enum   `json:"term"`
	BillingFrequency  enum   `json:"billingFrequency"`
	CustomTermEndDate string `json:"customTermEndDate,omitempty"`
}

// subscription is the union of the list item and the detail of a
// subscription: the list gives offerId/providerOfferId/offerName/
// isTrialOffer/listPrice, the detail autoRenewEnabled/autoRenewSettings/
// offer/offerPrice. Fields absent from one are empty.
type subscription struct {
	ID                     string         `json:"id"`
	CustomerID             string         `json:"customerId"`
	Name                   string         `json:"name"`
	SubscriptionName       string         `json:"subscriptionName"`
	ProviderSubscriptionID string         `json:"providerSubscriptionId"`
	OfferID                string         `json:"offerId"`
	OfferName              string         `json:"offerName"`
	ProviderOfferID        string         `json:"providerOfferId"`
	Offer                  *offerRef      `json:"offer"`
	IsTrialOffer           bool           `json:"isTrialOffer"`
	Status                 enum           `json:"status"`
	SubscriptionStatus     enum           `json:"subscriptionStatus"`
	StartDate              string         `json:"startDate"`
	EndDate                string         `json:"endDate"`
	CancellationAllowed    string         `json:"cancellationAllowedUntil"`
	Quantity               int            `json:"quantity"`
	TermDuration           enum           `json:"termDuration"`
	BillingFrequency       enum           `json:"billingFrequency"`
	NextBillingFrequency   enum           `json:"nextBillingFrequency"`
	AutoRenewEnabled       *bool          `json:"autoRenewEnabled"`
	AutoRenewSettings      *renewSettings `json:"autoRenewSettings"`
	OfferPrice             amount         `json:"offerPrice"`
	ListPrice              amount         `json:"listPrice"`
	// OrderID is the purchase order that created the line (list items).
	OrderID string `json:"orderId"`
}

// fillFrom completes a detail with what only the list item carries.
func (s *subscription) fillFrom(item subscription) {
	fill := func(dst *string, src string) {
		if *dst == "" {
			*dst = src
		}
	}
	fill(&s.CustomerID, item.CustomerID)
	fill(&s.SubscriptionName, item.SubscriptionName)
	fill(&s.OfferID, item.OfferID)
	fill(&s.OfferName, item.OfferName)
	fill(&s.ProviderOfferID, item.ProviderOfferID)
	fill(&s.StartDate, item.StartDate)
	fill(&s.EndDate, item.EndDate)
	fill(&s.CancellationAllowed, item.CancellationAllowed)
	s.IsTrialOffer = s.IsTrialOffer || item.IsTrialOffer
	if !s.Status.set() && !s.SubscriptionStatus.set() {
		s.SubscriptionStatus = item.SubscriptionStatus
	}
	if !s.TermDuration.set() {
		s.TermDuration = item.TermDuration
	}
	if !s.BillingFrequency.set() {
		s.BillingFrequency = item.BillingFrequency
	}
	if !s.ListPrice.OK {
		s.ListPrice = item.ListPrice
	}
	if s.AutoRenewEnabled == nil {
		s.AutoRenewEnabled = item.AutoRenewEnabled
	}
}

// patchBody is the documented body of PATCH …/subscriptions/{id}, sent
// whole (the portal allows no other properties and requires name,
// quantity and nextBillingFrequency), built from a fresh read with only
// the changed value replaced.
type patchBody struct {
	Name                 *string        `json:"name"`
	Quantity             int            `json:"quantity"`
	NextBillingFrequency enumObj        `json:"nextBillingFrequency"`
	AutoRenewEnabled     bool           `json:"autoRenewEnabled"`
	AutoRenewSettings    *patchSettings `json:"autoRenewSettings,omitempty"`
}

// patchSettings is the PATCH body's autoRenewSettings: term and
// billingFrequency required, customTermEndDate a date-time or null.
type patchSettings struct {
	Term              enumObj `json:"term"`
	BillingFrequency  enumObj `json:"billingFrequency"`
	CustomTermEndDate *string `json:"customTermEndDate"`
}

// enumObj is an enum as the portal documents it for writes: always an
// object, never a bare string.
type enumObj struct {
	Name string `json:"name"`
}

// auditLog is one item of GET /v1/AuditLogs, as far as it is read here:
// the X-Correlation-Id of the call that caused it and its status
// (Processing, Succeded — sic, as documented — or Failed). The item's
// field names are not in the public reference; they are read
// tolerantly.
type auditLog struct {
	CorrelationID string `json:"correlationId"`
	Status        enum   `json:"status"`
	Operation     enum   `json:"operation"`
	Description   string `json:"description"`
	Timestamp     string `json:"timestamp"`
}

// transition is one item of GET …/eligible-transitions. The typed fields
// are for matching; raw is what POST …/upgrade receives back.
type transition struct {
	DestinationSubscriptionID string `json:"destinationSubscriptionId"`
	OfferName                 string `json:"offerName"`
	OfferID                   string `json:"offerId"`
	ProviderOfferID           string `json:"providerOfferId"`
	TransitionType            enum   `json:"transitionType"`
	raw                       map[string]json.RawMessage
}

func (t *transition) UnmarshalJSON(b []byte) error {
	type plain transition
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*t = transition(p)
	return json.Unmarshal(b, &t.raw)
}

// customer is GET /v1/Customers/{id}. The documented search fields are
// Company.Name and Domain; flat variants are accepted too.
type customer struct {
	ID            string `json:"id"`
	Name          string `json:"name"`
	CompanyName   string `json:"companyName"`
	Domain        string `json:"domain"`
	DefaultDomain string `json:"defaultDomain"`
	Currency      string `json:"currency"`
	CurrencyCode  string `json:"currencyCode"`
	Company       *struct {
		Name   string `json:"name"`
		Domain string `json:"domain"`
	} `json:"company"`
}

// apiError is the portal's error envelope.
type apiError struct {
	StatusCode    int    `json:"statusCode"`
	Type          string `json:"type"`
	Description   string `json:"description"`
	CorrelationID string `json:"correlationId"`
	Errors        []struct {
		PropertyName string   `json:"propertyName"`
		Description  []string `json:"description"`
	} `json:"errors"`
}

// detail renders the description and the property errors as one line.
func (e apiError) detail() string {
	parts := []string{}
	if e.Description != "" {
		parts = append(parts, e.Description)
	}
	for _, pe := range e.Errors {
		d := strings.Join(pe.Description, ", ")
		switch {
		case pe.PropertyName != "" && d != "":
			parts = append(parts, pe.PropertyName+": "+d)
		case d != "":
			parts = append(parts, d)
		case pe.PropertyName != "":
			parts = append(parts, pe.PropertyName)
		}
	}
	return strings.Join(parts, "; ")
}

// token is the OAuth2 token endpoint's answer.
type token struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Error       string `json:"error"`
	ErrorDesc   string `json:"error_description"`
}
