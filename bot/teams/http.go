package teams

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/licensebot/licensebot/bot/channel"
	"github.com/licensebot/licensebot/workflows"
)

// serveHTTP is the messaging endpoint. Every request is authenticated
// (the Bot Connector's JWT, then its serviceurl against the activity)
// before anything in the activity is acted on; failures get 401 and
// nothing else. Messages and conversation updates are acknowledged at
// once and handled by the worker pool; card presses (invokes) are
// answered in the response, as Teams requires.
func (a *Adapter) serveHTTP(w http.ResponseWriter, r *http.Request) {
	reqID := channel.RequestID("tm-")
	log := channel.With(a.log, slog.String("request_id", reqID))
	defer channel.Recover(w, r, log, "teams handler")
	body, ok := channel.ReadBody(w, r, maxBody, log)
	if !ok {
		return
	}
	id, err := a.auth.validate(r.Context(), r.Header.Get("Authorization"))
	if err != nil {
		a.unauthorized(w, r, reqID, err)
		return
	}
	var act Activity
	if err := json.Unmarshal(body, &act); err != nil {
		log.WarnContext(r.Context(), "teams activity malformed", "err", err)
		a.metrics.Event("malformed")
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if err := id.check(&act); err != nil {
		a.unauthorized(w, r, reqID, err)
		return
	}
	if !a.conn.origins.allows(act.ServiceURL) {
		// Signed, but naming a host outside the configured cloud: the
		// reply would carry the bot's token there. The host is logged so
		// an operator can add a genuine one (docs/TEAMS.md).
		log.WarnContext(r.Context(), "teams activity refused: serviceUrl not an allowed connector origin",
			"service_host", hostOf(act.ServiceURL), "err", errOriginNotAllowed)
		a.metrics.Dropped("connector_origin")
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	log = channel.With(log, slog.String("activity_id", act.ID), slog.String("type", act.Type))
	if act.Conversation == nil || act.Conversation.ID == "" || act.From == nil || act.From.ID == "" {
		log.WarnContext(r.Context(), "teams activity without conversation or sender")
		a.metrics.Event("malformed")
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	if ok, err := a.tenantAllowed(r.Context(), act.tenantID()); err != nil {
		// Whether the tenant is linked cannot be told (the store is
		// down): neither accepted on faith nor refused for good.
		log.WarnContext(r.Context(), "teams activity deferred: tenant links unreadable", "tenant", act.tenantID(), "err", err)
		a.metrics.Dropped("store_unavailable")
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	} else if !ok {
		// A tenant that uploaded the app package but is linked to no
		// customer must not talk to the bot, nor an activity that does
		// not say its tenant (every Teams activity does).
		log.WarnContext(r.Context(), "teams activity from a tenant not linked refused", "tenant", act.tenantID())
		a.metrics.Dropped("other_tenant")
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	kind := act.Type
	if act.Type == ActivityInvoke {
		kind = "invoke:" + act.Name
	}
	a.metrics.Event(kind)
	switch act.Type {
	case ActivityMessage, ActivityConversationUpdate:
		if !a.enqueue(r.Context(), reqID, &act) {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	case ActivityInvoke:
		a.serveInvoke(w, r, reqID, &act)
	default:
		log.DebugContext(r.Context(), "teams activity ignored")
		w.WriteHeader(http.StatusOK)
	}
}

// tenantAllowed says whether activities from tenant are accepted: the
// bot's home tenant always; with a directory that links organizations
// (channel.OrgLinker), the tenants linked to a customer or the
// reseller; without one, every tenant for a bot with no TenantID, else
// only the home tenant (a single-tenant deployment, as before). Who may
// act inside an accepted tenant is then decided person by person.
func (a *Adapter) tenantAllowed(ctx context.Context, tenant string) (bool, error) {
	if tenant == "" {
		return a.opt.TenantID == "" && !a.linker, nil
	}
	if a.opt.TenantID != "" && strings.EqualFold(tenant, a.opt.TenantID) {
		return true, nil
	}
	linked, known, err := channel.OrgLinked(ctx, a.opt.People, workflows.Org{Platform: "teams", ID: tenant})
	if err != nil {
		return false, err
	}
	if known {
		return linked, nil
	}
	return a.opt.TenantID == "", nil
}

func (a *Adapter) unauthorized(w http.ResponseWriter, r *http.Request, reqID string, err error) {
	a.log.WarnContext(r.Context(), "teams request rejected", "request_id", reqID, "reason", err.Error(), "remote", r.RemoteAddr)
	a.metrics.Dropped("unauthorized")
	http.Error(w, "unauthorized", http.StatusUnauthorized)
}

// enqueue hands a message or conversation update to the runner without
// waiting. A refusal (queue full, closed) is logged and counted there;
// the caller answers 503.
func (a *Adapter) enqueue(_ context.Context, reqID string, act *Activity) bool {
	return a.run.Submit(personKey(act), reqID, act.Type, a.job(reqID, act)) == nil
}

// personKey shards work by person.
func personKey(act *Activity) string {
	if act.From.AADObjectID != "" {
		return act.From.AADObjectID
	}
	return act.From.ID
}

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
