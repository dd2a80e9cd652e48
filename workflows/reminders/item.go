package reminders

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/workflows"
)

// Store queues, per customer scope.
const (
	// Queue holds the derived reminders (Sync owns it).
	Queue = "reminders"
	// QueuePersonal holds "remind me when the window opens" reminders,
	// scheduled by the bot with a Personal payload; Sync never touches
	// it.
	QueuePersonal = "personal-reminders"
)

// Personal is the payload of a personal reminder in QueuePersonal.
type Personal struct {
	To             string         `json:"to"`
	Lang           string         `json:"lang"`
	SubscriptionID string         `json:"subscription_id"`
	Kind           csp.ChangeKind `json:"kind"`
	Quantity       int            `json:"quantity"`
}

// PersonalID is the schedule id of a person's reminder about a
// subscription: asking again moves it rather than adding one.
func PersonalID(email, subscriptionID string) string {
	return "personal:" + strings.ToLower(email) + ":" + subscriptionID
}

// Audience says in which capacity a recipient gets a reminder.
type Audience string

// Audiences.
const (
	// AudienceAdmin: a licence admin (or, without one, the account
	// manager) hears about a subscription.
	AudienceAdmin Audience = "admin"
	// AudienceApprover: someone who may decide a request.
	AudienceApprover Audience = "approver"
	// AudienceRequester: the person who asked.
	AudienceRequester Audience = "requester"
	// AudienceSelf: a personal reminder.
	AudienceSelf Audience = "self"
)

// Item is one reminder to send to one person, with the fresh data it is
// about. The Sender renders it in the recipient's language.
type Item struct {
	// ID is the schedule id; Key is ID plus the due instant, unique per
	// send (a message Key built from it replaces an earlier copy).
	ID         string
	Key        string
	Kind       Kind
	CustomerID string
	// Due is the instant it was scheduled for; Late says it is sent
	// noticeably after that (downtime), which the message may say.
	Due  time.Time
	Late bool
	// Now is the engine's clock when the item was resolved.
	Now      time.Time
	To       workflows.Person
	Audience Audience
	// Location is the customer's zone, to show dates in; RemovalWindow
	// the customer's window after a purchase or renewal.
	Location      *time.Location
	RemovalWindow time.Duration
	// LeadDays: for renewal and trial reminders, the days before the
	// commitment end date the reminder was planned for.
	LeadDays int
	// Subscription is the subscription as just read (all kinds but the
	// approval ones).
	Subscription csp.Subscription
	// CommitmentEnd is the subscription's commitment end date (local
	// midnight); NextTermCost what its next term costs as scheduled.
	CommitmentEnd time.Time
	NextTermCost  csp.Money
	// NextTermLength and NextBilling are the next term's, as scheduled.
	NextTermLength csp.Term
	NextBilling    csp.BillingCycle
	// WindowCloses is when the removal window closes (window kinds and
	// personal reminders); RemovableSeats how many seats it covers.
	WindowCloses   time.Time
	RemovableSeats int
	// Request is the request as just read (approval kinds).
	Request workflows.Request
	// Personal is the payload of a personal reminder.
	Personal *Personal
	// Unused is the content of a monthly unused-seats summary
	// (summary.go).
	Unused *UnusedSummary
}

// Sender delivers a reminder. bot.Engine implements it. An error means
// nothing was delivered: the claim is released and the item retried on a
// later tick.
type Sender interface {
	Remind(ctx context.Context, it Item) error
}

// SenderFunc adapts a function to Sender.
type SenderFunc func(ctx context.Context, it Item) error

// Remind calls f.
func (f SenderFunc) Remind(ctx context.Context, it Item) error { return f(ctx, it) }

// payload is what a derived item stores: only ids and the instants it
// was derived from; everything shown is read fresh at send time.
type payload struct {
	Kind Kind     `json:"kind"`
	Sub  string   `json:"sub,omitempty"`
	Req  string   `json:"req,omitempty"`
	To   string   `json:"to"`
	Aud  Audience `json:"aud"`
	Lead int      `json:"lead,omitempty"`
	// Term is the term the reminder is about: its end for renewal and
	// trial reminders, its start for window reminders.
	Term time.Time `json:"term,omitzero"`
	// Until: after this the reminder is no longer useful.
	Until time.Time `json:"until"`
	// Next is the due instant of the next reminder of the same series:
	// once it has passed too, this one is superseded (catch-up sends
	// only the latest).
	Next time.Time `json:"next,omitzero"`
}

func (p payload) owner() string {
	if p.Req != "" {
		return "req:" + p.Req
	}
	if p.Kind == KindUnusedSummary {
		return summaryOwner
	}
	return "sub:" + p.Sub
}

func (p payload) encode() []byte {
	b, _ := json.Marshal(p) // plain struct: cannot fail
	return b
}

func decodePayload(queue string, data []byte) (payload, *Personal, error) {
	if queue == QueuePersonal {
		var pr Personal
		if err := json.Unmarshal(data, &pr); err != nil {
			return payload{}, nil, fmt.Errorf("decode personal reminder: %w", err)
		}
		return payload{Kind: KindPersonal, Sub: pr.SubscriptionID, To: pr.To, Aud: AudienceSelf}, &pr, nil
	}
	if p, ok := decodeEncoded(data); ok {
		return p, nil, nil
	}
	var p payload
	if err := json.Unmarshal(data, &p); err != nil {
		return payload{}, nil, fmt.Errorf("decode reminder: %w", err)
	}
	return p, nil, nil
}

// itemKey identifies one send: the id and the due instant.
func itemKey(id string, due time.Time) string {
	return id + "@" + due.UTC().Format(time.RFC3339Nano)
}
