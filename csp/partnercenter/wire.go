package partnercenter

import (
	"encoding/json"
	"strings"
)

// This file holds the Partner Center wire types, as the REST reference
// describes them. Only the fields the bot reads are typed; a subscription
// is also kept as raw JSON because a PATCH must send the whole resource
// back, including fields this client does not know.

// collection is Partner Center's ResourceCollection envelope.
type collection[T any] struct {
	TotalCount int `json:"totalCount"`
	Items      []T `json:"items"`
	Links      struct {
		Next *link `json:"next"`
	} `json:"links"`
}

type link struct {
	URI     string `json:"uri"`
	Method  string `json:"method"`
	Headers []struct {
		Key   string `json:"key"`
		Value string `json:"value"`
	} `json:"headers"`
}

type attributes struct {
	Etag       string `json:"etag,omitempty"`
	ObjectType string `json:"objectType,omitempty"`
}

// subscription is the Subscription resource.
type subscription struct {
	ID                            string                `json:"id"`
	OfferID                       string                `json:"offerId"`
	OfferName                     string                `json:"offerName"`
	FriendlyName                  string                `json:"friendlyName"`
	Quantity                      int                   `json:"quantity"`
	UnitType                      string                `json:"unitType"`
	Status                        string                `json:"status"`
	AutoRenewEnabled              bool                  `json:"autoRenewEnabled"`
	CreationDate                  string                `json:"creationDate"`
	EffectiveStartDate            string                `json:"effectiveStartDate"`
	CommitmentEndDate             string                `json:"commitmentEndDate"`
	CancellationAllowedUntilDate  string                `json:"cancellationAllowedUntilDate"`
	TermDuration                  string                `json:"termDuration"`
	BillingCycle                  string                `json:"billingCycle"`
	IsTrial                       bool                  `json:"isTrial"`
	RefundableQuantity            *refundable           `json:"refundableQuantity"`
	ScheduledNextTermInstructions *nextTermInstructions `json:"scheduledNextTermInstructions"`
	Attributes                    attributes            `json:"attributes"`
}

type refundable struct {
	TotalQuantity int `json:"totalQuantity"`
	Details       []struct {
		Quantity             int    `json:"quantity"`
		AllowedUntilDateTime string `json:"allowedUntilDateTime"`
	} `json:"details"`
}

// nextTermInstructions is scheduledNextTermInstructions.
type nextTermInstructions struct {
	Product           nextTermProduct `json:"product"`
	Quantity          int             `json:"quantity"`
	CustomTermEndDate string          `json:"customTermEndDate,omitempty"`
}

type nextTermProduct struct {
	ProductID      string `json:"productId"`
	SkuID          string `json:"skuId"`
	AvailabilityID string `json:"availabilityId"`
	BillingCycle   string `json:"billingCycle"`
	TermDuration   string `json:"termDuration"`
}

// customer is the Customer resource, the parts the bot reads.
type customer struct {
	ID             string `json:"id"`
	CompanyProfile struct {
		CompanyName string `json:"companyName"`
		Domain      string `json:"domain"`
	} `json:"companyProfile"`
	BillingProfile struct {
		CompanyName    string `json:"companyName"`
		Culture        string `json:"culture"`
		DefaultAddress struct {
			Country string `json:"country"`
		} `json:"defaultAddress"`
	} `json:"billingProfile"`
}

// transitionEligibility is one item of transitionEligibilities.
type transitionEligibility struct {
	CatalogItemID string `json:"catalogItemId"`
	Title         string `json:"title"`
	Eligibilities []struct {
		IsEligible     bool          `json:"isEligible"`
		TransitionType string        `json:"transitionType"`
		Errors         []eligibError `json:"errors"`
	} `json:"eligibilities"`
	SubscriptionEligibilities []struct {
		SubscriptionID string        `json:"subscriptionId"`
		IsEligible     bool          `json:"isEligible"`
		Errors         []eligibError `json:"errors"`
	} `json:"subscriptionEligibilities"`
}

type eligibError struct {
	Code        json.RawMessage `json:"code"`
	Description string          `json:"description"`
}

// transition is a Transition resource (the answer to POST transitions and
// the items of its history).
type transition struct {
	ID                 string `json:"id"`
	FromCatalogItemID  string `json:"fromCatalogItemId"`
	ToCatalogItemID    string `json:"toCatalogItemId"`
	FromSubscriptionID string `json:"fromSubscriptionId"`
	ToSubscriptionID   string `json:"toSubscriptionId"`
	Quantity           int    `json:"quantity"`
	TransitionType     string `json:"transitionType"`
	Status             string `json:"status"`
	OperationID        string `json:"operationId"`
	CreationDate       string `json:"creationDate"`
}

// opID is the transition's operation id (some answers name it id).
func (t transition) opID() string {
	if t.OperationID != "" {
		return t.OperationID
	}
	return t.ID
}

// customTermEndDate is one item of customTermEndDates.
type customTermEndDate struct {
	AllowedCustomTermEndDate string `json:"allowedCustomTermEndDate"`
	AllowedCustomTermEndType string `json:"allowedCustomTermEndType"`
	CotermSubscriptionID     string `json:"cotermSubscriptionId"`
}

// cart is a Cart resource with its line items.
type cart struct {
	ID        string         `json:"id,omitempty"`
	LineItems []cartLineItem `json:"lineItems"`
}

type cartLineItem struct {
	ID                  int               `json:"id"`
	CatalogItemID       string            `json:"catalogItemId"`
	FriendlyName        string            `json:"friendlyName,omitempty"`
	Quantity            int               `json:"quantity"`
	BillingCycle        string            `json:"billingCycle"`
	TermDuration        string            `json:"termDuration"`
	CustomTermEndDate   string            `json:"customTermEndDate,omitempty"`
	ProvisioningContext map[string]string `json:"provisioningContext"`
	Error               *struct {
		ErrorCode        json.RawMessage `json:"errorCode"`
		ErrorDescription string          `json:"errorDescription"`
	} `json:"error,omitempty"`
}

// checkoutResult is the answer to POST carts/{id}/checkout.
type checkoutResult struct {
	Orders      []order `json:"orders"`
	OrderErrors []struct {
		OrderGroupID string          `json:"orderGroupId"`
		Code         json.RawMessage `json:"code"`
		Description  string          `json:"description"`
	} `json:"orderErrors"`
}

// order is an Order resource.
type order struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	LineItems []struct {
		LineItemNumber int    `json:"lineItemNumber"`
		OfferID        string `json:"offerId"`
		SubscriptionID string `json:"subscriptionId"`
		Quantity       int    `json:"quantity"`
	} `json:"lineItems"`
	CreationDate string `json:"creationDate"`
}

// availability is one availability of a SKU (its id makes the catalog
// item id productId:skuId:availabilityId).
type availability struct {
	ID            string `json:"id"`
	CatalogItemID string `json:"catalogItemId"`
	ProductID     string `json:"productId"`
	SkuID         string `json:"skuId"`
	Country       string `json:"country"`
	Segment       string `json:"segment"`
	// DefaultCurrency is the market's currency.
	DefaultCurrency struct {
		Code string `json:"code"`
	} `json:"defaultCurrency"`
}

// apiError is Partner Center's error body.
type apiError struct {
	Code        json.RawMessage `json:"code"`
	Description string          `json:"description"`
	Source      string          `json:"source"`
}

// codeString returns the code, which Partner Center sends as a number or
// a string.
func codeString(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return ""
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str
	}
	return s
}

// token is the identity platform's answer.
type token struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	ExpiresIn    int    `json:"expires_in"`
	Error        string `json:"error"`
	ErrorDesc    string `json:"error_description"`
}
