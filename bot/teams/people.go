package teams

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// Cache keys live in the store's conversation space (values with a TTL).
// The "teams-cache:" prefix cannot collide with the engine's dialogue
// keys, which are "teams:" + e-mail.
const (
	cacheAAD  = "teams-cache:aad:"  // Entra object id → teamsUser
	cacheUser = "teams-cache:user:" // Teams user id (when no object id) → teamsUser
	cacheCard = "teams-cache:card:" // conversation|activity id → shownCard
)

// refsCollection holds one conversation reference per person and
// tenant (global scope, id: lower-cased tenant "|" lower-cased e-mail:
// someone writing from another tenant with the same address cannot
// replace the reference Alice's cards go to), the tenant a person last
// wrote from ("last-tenant:" + e-mail), and one reference per shared
// conversation the bot was added to (id: "conversation:" + id).
const refsCollection = "teams-refs"

// teamsUser is what we need of a Teams user, read from the roster.
type teamsUser struct {
	Email string `json:"email,omitempty"`
	UPN   string `json:"upn,omitempty"`
}

// identify returns the sender's e-mail and user principal name: from the
// cache (by Entra object id), else from the roster of the conversation
// (GET …/members/{id}), which is then cached.
func (a *Adapter) identify(ctx context.Context, reqID string, act *Activity) (teamsUser, error) {
	key := userCacheKey(act)
	var u teamsUser
	if a.cache.Get(ctx, key, &u) && (u.Email != "" || u.UPN != "") {
		return u, nil
	}
	roster := baseConversation(act.Conversation.ID)
	if cd := act.channelData(); cd.Team != nil && cd.Team.ID != "" {
		roster = cd.Team.ID
	}
	m, err := a.conn.member(ctx, reqID, act.ServiceURL, roster, act.From.ID)
	if err != nil {
		return teamsUser{}, fmt.Errorf("identify sender: %w", err)
	}
	u = teamsUser{Email: strings.ToLower(strings.TrimSpace(m.Email)), UPN: strings.ToLower(strings.TrimSpace(m.UserPrincipalName))}
	if u.Email == "" && u.UPN == "" {
		a.log.WarnContext(ctx, "teams roster gave no e-mail nor user principal name", "request_id", reqID, "aad_object_id", act.From.AADObjectID)
		return u, nil
	}
	a.cache.Put(ctx, key, u, userTTL)
	return u, nil
}

// sender is who sent act: their e-mail, then user principal name (often
// the same address), their Teams locale and their tenant.
func (a *Adapter) sender(ctx context.Context, reqID string, act *Activity) (channel.Sender, error) {
	u, err := a.identify(ctx, reqID, act)
	if err != nil {
		return channel.Sender{}, err
	}
	return channel.Sender{Emails: []string{u.Email, u.UPN}, Locale: act.Locale,
		Org: workflows.Org{Platform: "teams", ID: act.tenantID()}}, nil
}

// lookup finds the configured person behind a cached Teams user (no
// roster call: after an uninstall the roster is not readable).
func (a *Adapter) lookup(ctx context.Context, act *Activity, u teamsUser) (workflows.Person, error) {
	org := workflows.Org{Platform: "teams", ID: act.tenantID()}
	p, err := a.opt.People.Person(ctx, org, u.Email)
	if err != nil && u.UPN != "" {
		p, err = a.opt.People.Person(ctx, org, u.UPN)
	}
	return p, err
}

// storedRef is a conversation reference as kept in the store.
type storedRef struct {
	Ref ConversationReference `json:"ref"`
	// Personal: the conversation is the person's one-to-one chat with the
	// bot. A reference from a channel only tells us the person's Teams id
	// and service URL; Deliver then opens the personal chat.
	Personal bool `json:"personal,omitempty"`
}

// userCacheKey names a sender's cached e-mail, per tenant.
func userCacheKey(act *Activity) string {
	t := strings.ToLower(act.tenantID())
	if act.From.AADObjectID == "" {
		return cacheUser + t + ":" + act.From.ID
	}
	return cacheAAD + t + ":" + act.From.AADObjectID
}

// personRef names a person's reference in a tenant ("" for references
// kept before tenants were told apart).
func personRef(tenant, email string) store.Ref {
	email = strings.ToLower(strings.TrimSpace(email))
	if tenant == "" {
		return store.Ref{Collection: refsCollection, ID: email}
	}
	return store.Ref{Collection: refsCollection, ID: strings.ToLower(tenant) + "|" + email}
}

func lastTenantRef(email string) store.Ref {
	return store.Ref{Collection: refsCollection, ID: "last-tenant:" + strings.ToLower(strings.TrimSpace(email))}
}

// refCandidates are where a person's reference may be, best first: the
// Teams tenants the directory says they talk from; for a person the
// directory binds to no tenant, the tenant they last wrote from, the
// home tenant, then the reference kept before tenants were told apart.
func (a *Adapter) refCandidates(ctx context.Context, p workflows.Person) []store.Ref {
	var out []store.Ref
	for _, o := range p.Orgs {
		if strings.EqualFold(o.Platform, "teams") && o.ID != "" {
			out = append(out, personRef(o.ID, p.Email))
		}
	}
	if len(out) > 0 {
		return out
	}
	if doc, err := a.opt.Store.Get(ctx, lastTenantRef(p.Email)); err == nil {
		var lt struct {
			Tenant string `json:"tenant"`
		}
		if json.Unmarshal(doc.Data, &lt) == nil && lt.Tenant != "" {
			out = append(out, personRef(lt.Tenant, p.Email))
		}
	}
	if a.opt.TenantID != "" {
		out = append(out, personRef(a.opt.TenantID, p.Email))
	}
	return append(out, personRef("", p.Email))
}

// rememberTenant keeps the tenant a person last wrote from, for people
// the directory binds to no tenant. Written only on change.
func (a *Adapter) rememberTenant(ctx context.Context, reqID, email, tenant string) {
	data, _ := json.Marshal(map[string]string{"tenant": strings.ToLower(tenant)})
	if doc, err := a.opt.Store.Get(ctx, lastTenantRef(email)); err == nil && string(doc.Data) == string(data) {
		return
	}
	if _, err := store.Modify(ctx, a.opt.Store, lastTenantRef(email), func([]byte) ([]byte, error) { return data, nil }); err != nil {
		a.log.ErrorContext(ctx, "teams last tenant not saved", "request_id", reqID, "err", err)
	}
}

func conversationRef(convID string) store.Ref {
	return store.Ref{Collection: refsCollection, ID: "conversation:" + baseConversation(convID)}
}

// saveReference keeps the conversation reference of a person's activity,
// so proactive messages (approval cards, reminders) can reach them. A
// personal chat is never replaced by a channel: the channel reference
// only fills in when nothing better is known. Written only on change.
func (a *Adapter) saveReference(ctx context.Context, reqID, email string, act *Activity) {
	ref := act.reference()
	ref.ActivityID = ""
	if ref.Conversation != nil && !act.personal() {
		c := *ref.Conversation
		c.ID = baseConversation(c.ID)
		ref.Conversation = &c
	}
	next := storedRef{Ref: ref, Personal: act.personal()}
	a.writeRef(ctx, reqID, personRef(act.tenantID(), email), next)
	if act.tenantID() != "" {
		a.rememberTenant(ctx, reqID, email, act.tenantID())
	}
}

// saveConversation keeps the reference of a shared conversation (a team
// channel, a group chat), so ApprovalsConversation can use its service
// URL.
func (a *Adapter) saveConversation(ctx context.Context, reqID string, act *Activity) {
	ref := act.reference()
	ref.ActivityID, ref.User = "", nil
	c := *ref.Conversation
	c.ID = baseConversation(c.ID)
	ref.Conversation = &c
	a.writeRef(ctx, reqID, conversationRef(c.ID), storedRef{Ref: ref})
}

func (a *Adapter) writeRef(ctx context.Context, reqID string, at store.Ref, next storedRef) {
	data, err := json.Marshal(next)
	if err != nil {
		return
	}
	if old, found, err := a.loadRef(ctx, at); err == nil && found {
		if old.Personal && !next.Personal {
			return
		}
		if b, _ := json.Marshal(old); string(b) == string(data) {
			return
		}
	}
	_, err = store.Modify(ctx, a.opt.Store, at, func(old []byte) ([]byte, error) {
		var cur storedRef
		if json.Unmarshal(old, &cur) == nil && cur.Personal && !next.Personal {
			return old, nil
		}
		return data, nil
	})
	if err != nil {
		// Not fatal for this turn, but proactive messages would miss
		// this person: say so loudly.
		a.log.ErrorContext(ctx, "teams conversation reference not saved", "request_id", reqID, "ref", at.ID, "err", err)
	}
}

func (a *Adapter) loadRef(ctx context.Context, at store.Ref) (storedRef, bool, error) {
	doc, err := a.opt.Store.Get(ctx, at)
	if errors.Is(err, store.ErrNotFound) {
		return storedRef{}, false, nil
	}
	if err != nil {
		return storedRef{}, false, err
	}
	var r storedRef
	if json.Unmarshal(doc.Data, &r) != nil || r.Ref.Conversation == nil || r.Ref.ServiceURL == "" {
		return storedRef{}, false, nil // corrupt: as if absent
	}
	return r, true, nil
}

// baseConversation strips the ";messageid=…" Teams appends to a channel
// conversation id for a thread: cards, references and the approvals
// conversation are named by the channel.
func baseConversation(id string) string {
	if i := strings.Index(id, ";messageid="); i >= 0 {
		return id[:i]
	}
	return id
}
