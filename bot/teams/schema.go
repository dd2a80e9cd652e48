package teams

import (
	"encoding/json"
	"strings"
)

// The Bot Framework REST schema v3, reduced to the fields this adapter
// reads or writes. Pointers and omitempty keep what we send free of the
// empty objects and zero timestamps a full mirror of the schema would
// carry (a zero "expiration" would tell Teams the message has expired).
// Unknown fields of incoming activities are ignored.

// Activity types and names the adapter handles.
const (
	ActivityMessage            = "message"
	ActivityConversationUpdate = "conversationUpdate"
	ActivityInvoke             = "invoke"
	// InvokeAdaptiveCardAction is the invoke name of an Action.Execute
	// press (Universal Actions for Adaptive Cards).
	InvokeAdaptiveCardAction = "adaptiveCard/action"
)

// Content types.
const (
	contentTypeAdaptiveCard = "application/vnd.microsoft.card.adaptive"
	// contentTypeMessage is the invoke response type that shows a short
	// text to the person instead of a card.
	contentTypeMessage = "application/vnd.microsoft.activity.message"
)

// Conversation types Teams sets on ConversationAccount.ConversationType.
const (
	convPersonal  = "personal"
	convChannel   = "channel"
	convGroupChat = "groupChat"
)

// Activity is one Bot Framework activity (inbound or outbound).
type Activity struct {
	Type         string               `json:"type"`
	ID           string               `json:"id,omitempty"`
	Timestamp    string               `json:"timestamp,omitempty"`
	ServiceURL   string               `json:"serviceUrl,omitempty"`
	ChannelID    string               `json:"channelId,omitempty"`
	From         *ChannelAccount      `json:"from,omitempty"`
	Conversation *ConversationAccount `json:"conversation,omitempty"`
	Recipient    *ChannelAccount      `json:"recipient,omitempty"`
	TextFormat   string               `json:"textFormat,omitempty"`
	Locale       string               `json:"locale,omitempty"`
	Text         string               `json:"text,omitempty"`
	// Summary is the notification text of a card message.
	Summary        string           `json:"summary,omitempty"`
	Attachments    []Attachment     `json:"attachments,omitempty"`
	Entities       []Entity         `json:"entities,omitempty"`
	ChannelData    json.RawMessage  `json:"channelData,omitempty"`
	ReplyToID      string           `json:"replyToId,omitempty"`
	Value          json.RawMessage  `json:"value,omitempty"`
	Name           string           `json:"name,omitempty"`
	MembersAdded   []ChannelAccount `json:"membersAdded,omitempty"`
	MembersRemoved []ChannelAccount `json:"membersRemoved,omitempty"`
}

// ChannelAccount is a user or bot. In Teams, ID is the user's MRI
// ("29:…") or the bot's ("28:<app id>").
type ChannelAccount struct {
	ID          string `json:"id"`
	Name        string `json:"name,omitempty"`
	AADObjectID string `json:"aadObjectId,omitempty"`
	Role        string `json:"role,omitempty"`
}

// ConversationAccount is a conversation: a personal chat, a group chat
// or a channel thread.
type ConversationAccount struct {
	ID               string `json:"id"`
	Name             string `json:"name,omitempty"`
	ConversationType string `json:"conversationType,omitempty"`
	TenantID         string `json:"tenantId,omitempty"`
	IsGroup          bool   `json:"isGroup,omitempty"`
}

// ConversationReference is what is needed to write into a conversation
// later (a proactive message).
type ConversationReference struct {
	ActivityID   string               `json:"activityId,omitempty"`
	User         *ChannelAccount      `json:"user,omitempty"`
	Bot          *ChannelAccount      `json:"bot,omitempty"`
	Conversation *ConversationAccount `json:"conversation,omitempty"`
	ChannelID    string               `json:"channelId,omitempty"`
	ServiceURL   string               `json:"serviceUrl,omitempty"`
	Locale       string               `json:"locale,omitempty"`
}

// Attachment carries a card. Content is any JSON value; incoming
// attachments keep it raw.
type Attachment struct {
	ContentType string `json:"contentType"`
	Content     any    `json:"content,omitempty"`
}

// Entity is an activity entity; only mentions are read.
type Entity struct {
	Type      string          `json:"type"`
	Mentioned *ChannelAccount `json:"mentioned,omitempty"`
	Text      string          `json:"text,omitempty"`
}

// conversationParameters create a conversation (a personal chat for a
// proactive message).
type conversationParameters struct {
	IsGroup     bool             `json:"isGroup"`
	Bot         *ChannelAccount  `json:"bot,omitempty"`
	Members     []ChannelAccount `json:"members"`
	TenantID    string           `json:"tenantId,omitempty"`
	ChannelData any              `json:"channelData,omitempty"`
}

// conversationResourceResponse answers a conversation creation.
type conversationResourceResponse struct {
	ID         string `json:"id"`
	ActivityID string `json:"activityId,omitempty"`
	ServiceURL string `json:"serviceUrl,omitempty"`
}

// resourceResponse answers a sent activity.
type resourceResponse struct {
	ID string `json:"id"`
}

// teamsMember is a member as the roster API returns it.
type teamsMember struct {
	ID                string `json:"id"`
	Name              string `json:"name,omitempty"`
	AADObjectID       string `json:"aadObjectId,omitempty"`
	Email             string `json:"email,omitempty"`
	UserPrincipalName string `json:"userPrincipalName,omitempty"`
	TenantID          string `json:"tenantId,omitempty"`
}

// teamsChannelData is the part of Teams' channelData we read.
type teamsChannelData struct {
	Tenant *struct {
		ID string `json:"id"`
	} `json:"tenant,omitempty"`
	Team *struct {
		ID string `json:"id"`
	} `json:"team,omitempty"`
}

func (a *Activity) channelData() teamsChannelData {
	var cd teamsChannelData
	if len(a.ChannelData) > 0 {
		_ = json.Unmarshal(a.ChannelData, &cd) // malformed: as if absent
	}
	return cd
}

// tenantID is the tenant the activity comes from.
func (a *Activity) tenantID() string {
	if a.Conversation != nil && a.Conversation.TenantID != "" {
		return a.Conversation.TenantID
	}
	if cd := a.channelData(); cd.Tenant != nil {
		return cd.Tenant.ID
	}
	return ""
}

// personal reports whether the activity is in the person's one-to-one
// chat with the bot.
func (a *Activity) personal() bool {
	if a.Conversation == nil {
		return false
	}
	switch a.Conversation.ConversationType {
	case convPersonal:
		return true
	case "":
		return !a.Conversation.IsGroup
	}
	return false
}

// reference is the activity's conversation reference.
func (a *Activity) reference() ConversationReference {
	return ConversationReference{
		ActivityID:   a.ID,
		User:         a.From,
		Bot:          a.Recipient,
		Conversation: a.Conversation,
		ChannelID:    a.ChannelID,
		ServiceURL:   a.ServiceURL,
		Locale:       a.Locale,
	}
}

// invokeValue is the value of an adaptiveCard/action invoke.
type invokeValue struct {
	Action struct {
		Type string          `json:"type"`
		ID   string          `json:"id,omitempty"`
		Verb string          `json:"verb"`
		Data json.RawMessage `json:"data,omitempty"`
	} `json:"action"`
	Trigger string `json:"trigger,omitempty"`
}

// invokeResponse is the HTTP body answering an adaptiveCard/action
// invoke: a card to show in place of the pressed one, or a message.
type invokeResponse struct {
	StatusCode int    `json:"statusCode"`
	Type       string `json:"type"`
	Value      any    `json:"value"`
}

func cardResponse(c *card) invokeResponse {
	return invokeResponse{StatusCode: 200, Type: contentTypeAdaptiveCard, Value: c}
}

func messageResponse(text string) invokeResponse {
	return invokeResponse{StatusCode: 200, Type: contentTypeMessage, Value: text}
}

// mentions reports whether e is a mention of the account id.
func (e Entity) mentions(id string) bool {
	return strings.EqualFold(e.Type, "mention") && e.Mentioned != nil && e.Mentioned.ID == id
}
