package slack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/internal/secretbox"
	"github.com/licensebot/licensebot/store"
	"github.com/licensebot/licensebot/workflows"
)

// installsCollection holds one document per Slack installation (global
// scope; id: the team id, or the enterprise id of an Enterprise Grid
// org-wide install).
const installsCollection = "slack-installations"

// Installation states.
const (
	StatusInstalled   = "installed"
	StatusUninstalled = "uninstalled"
)

// Errors callers branch on.
var (
	// ErrNotInstalled: no installation of the app is known for that
	// workspace, or it was uninstalled (its token is gone).
	ErrNotInstalled = errors.New("slack: the app is not installed in that workspace")
)

// Installation is the app installed in one workspace (or one Enterprise
// Grid org). The bot token is kept sealed (Token); nothing else here is
// secret.
type Installation struct {
	// ID is what events are routed by: the enterprise id for an
	// org-wide install, else the team id.
	ID                string    `json:"id"`
	TeamID            string    `json:"team_id,omitempty"`
	TeamName          string    `json:"team_name,omitempty"`
	EnterpriseID      string    `json:"enterprise_id,omitempty"`
	EnterpriseName    string    `json:"enterprise_name,omitempty"`
	EnterpriseInstall bool      `json:"is_enterprise_install,omitempty"`
	BotUserID         string    `json:"bot_user_id,omitempty"`
	AppID             string    `json:"app_id,omitempty"`
	Scope             string    `json:"scope,omitempty"`
	InstalledBy       string    `json:"installed_by,omitempty"`
	Status            string    `json:"status"`
	InstalledAt       time.Time `json:"installed_at,omitzero"`
	UninstalledAt     time.Time `json:"uninstalled_at,omitzero"`
	// Reason says why it was uninstalled: "app_uninstalled",
	// "tokens_revoked".
	Reason string `json:"reason,omitempty"`
	// Token is the bot token sealed by secretbox (with its key id);
	// empty once uninstalled.
	Token string `json:"token,omitempty"`
}

// Org is the organization people of this installation talk from.
func (in Installation) Org() workflows.Org { return workflows.Org{Platform: "slack", ID: in.ID} }

// installID is the key an installation is stored and routed by.
func installID(team, enterprise string, enterpriseInstall bool) string {
	if enterpriseInstall && enterprise != "" {
		return strings.ToUpper(enterprise)
	}
	return strings.ToUpper(team)
}

// Installations keeps the Slack installations in the store, their bot
// tokens encrypted. Safe for concurrent use.
type Installations struct {
	Store store.Documents
	Box   *secretbox.Box
	Clock clock.Clock
	Log   *slog.Logger
}

func installRef(id string) store.Ref {
	return store.Ref{Collection: installsCollection, ID: id}
}

// tokenAD binds a sealed token to its installation: copied into another
// installation's record, it does not open.
func tokenAD(id string) []byte { return []byte("slack-installation:" + id) }

// Save records a new installation, or a re-install (a new token) of a
// known one, sealing token.
func (s *Installations) Save(ctx context.Context, in Installation, token string) (Installation, error) {
	if in.ID == "" || token == "" {
		return Installation{}, errors.New("slack installation: no workspace id or no token")
	}
	sealed, err := s.Box.Seal([]byte(token), tokenAD(in.ID))
	if err != nil {
		return Installation{}, fmt.Errorf("slack installation: seal token: %w", err)
	}
	in.Token, in.Status, in.InstalledAt = sealed, StatusInstalled, s.Clock.Now()
	in.UninstalledAt, in.Reason = time.Time{}, ""
	data, err := json.Marshal(in)
	if err != nil {
		return Installation{}, err
	}
	action := "slack.installed"
	if _, err := s.Store.Get(ctx, installRef(in.ID)); err == nil {
		action = "slack.reinstalled"
	}
	if _, err := store.Modify(ctx, s.Store, installRef(in.ID), func([]byte) ([]byte, error) { return data, nil },
		s.audit(in, in.InstalledBy, action)); err != nil {
		return Installation{}, fmt.Errorf("slack installation: save: %w", err)
	}
	s.Log.InfoContext(ctx, "audit: slack app installed", "action", action, "installation", in.ID,
		"team", in.TeamID, "enterprise", in.EnterpriseID, "enterprise_install", in.EnterpriseInstall, "key_id", s.Box.KeyID())
	return in, nil
}

func (s *Installations) audit(in Installation, actor, action string) store.AuditEntry {
	detail, _ := json.Marshal(map[string]any{"team_id": in.TeamID, "enterprise_id": in.EnterpriseID,
		"is_enterprise_install": in.EnterpriseInstall, "reason": in.Reason})
	if actor == "" {
		actor = "slack"
	}
	return store.AuditEntry{At: s.Clock.Now(), Actor: actor, Action: action, Subject: "slack:" + in.ID, Detail: detail}
}

// Get returns the installation and its version; ErrNotInstalled when
// there is none.
func (s *Installations) Get(ctx context.Context, id string) (Installation, int64, error) {
	id = strings.ToUpper(strings.TrimSpace(id))
	if id == "" {
		return Installation{}, 0, ErrNotInstalled
	}
	doc, err := s.Store.Get(ctx, installRef(id))
	if errors.Is(err, store.ErrNotFound) {
		return Installation{}, 0, fmt.Errorf("%w: %s", ErrNotInstalled, id)
	}
	if err != nil {
		return Installation{}, 0, fmt.Errorf("slack installation: read: %w", err)
	}
	var in Installation
	if err := json.Unmarshal(doc.Data, &in); err != nil {
		return Installation{}, 0, fmt.Errorf("slack installation %s: corrupt record: %w", id, err)
	}
	return in, doc.Version, nil
}

// Token returns the installation's bot token (ErrNotInstalled once
// uninstalled). A token sealed with an old key is sealed again with the
// current one and stored, so a key rotation completes as workspaces are
// used (Rotate does it for all at once).
func (s *Installations) Token(ctx context.Context, in Installation) (string, error) {
	if in.Status != StatusInstalled || in.Token == "" {
		return "", fmt.Errorf("%w: %s", ErrNotInstalled, in.ID)
	}
	pt, stale, err := s.Box.Open(in.Token, tokenAD(in.ID))
	if err != nil {
		return "", fmt.Errorf("slack installation %s: open token: %w", in.ID, err)
	}
	if stale {
		if err := s.reseal(ctx, in.ID); err != nil {
			s.Log.WarnContext(ctx, "slack token not re-encrypted with the current key", "installation", in.ID, "err", err)
		}
	}
	return string(pt), nil
}

// reseal seals one installation's token with the current key.
func (s *Installations) reseal(ctx context.Context, id string) error {
	changed := false
	_, err := store.Modify(ctx, s.Store, installRef(id), func(old []byte) ([]byte, error) {
		var in Installation
		if err := json.Unmarshal(old, &in); err != nil {
			return nil, err
		}
		changed = false
		if in.Token == "" || secretbox.KeyIDOf(in.Token) == s.Box.KeyID() {
			return old, nil
		}
		pt, _, err := s.Box.Open(in.Token, tokenAD(in.ID))
		if err != nil {
			return nil, err
		}
		if in.Token, err = s.Box.Seal(pt, tokenAD(in.ID)); err != nil {
			return nil, err
		}
		changed = true
		return json.Marshal(in)
	})
	if err == nil && changed {
		s.Log.InfoContext(ctx, "audit: slack token re-encrypted with the current key", "installation", id, "key_id", s.Box.KeyID())
	}
	return err
}

// Rotate seals every stored token with the current key (after
// LICENSEBOT_SECRET_KEY changed and the previous key moved to
// LICENSEBOT_SECRET_KEY_OLD). It returns how many were re-encrypted; a
// token no configured key opens is reported, not lost.
func (s *Installations) Rotate(ctx context.Context) (int, error) {
	docs, err := s.Store.List(ctx, "", installsCollection)
	if err != nil {
		return 0, fmt.Errorf("slack installations: list: %w", err)
	}
	n := 0
	var errs []error
	for _, d := range docs {
		var in Installation
		if json.Unmarshal(d.Data, &in) != nil || in.Token == "" || secretbox.KeyIDOf(in.Token) == s.Box.KeyID() {
			continue
		}
		if err := s.reseal(ctx, in.ID); err != nil {
			errs = append(errs, fmt.Errorf("slack installation %s: %w", in.ID, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// List returns every installation (tokens still sealed).
func (s *Installations) List(ctx context.Context) ([]Installation, error) {
	docs, err := s.Store.List(ctx, "", installsCollection)
	if err != nil {
		return nil, fmt.Errorf("slack installations: list: %w", err)
	}
	out := make([]Installation, 0, len(docs))
	for _, d := range docs {
		var in Installation
		if json.Unmarshal(d.Data, &in) == nil {
			out = append(out, in)
		}
	}
	return out, nil
}

// Uninstall deletes the token and marks the installation uninstalled,
// with an audit entry. Unknown or already uninstalled: nothing changes.
func (s *Installations) Uninstall(ctx context.Context, id, reason string) (bool, error) {
	changed := false
	var in Installation
	now := s.Clock.Now()
	_, err := store.Modify(ctx, s.Store, installRef(id), func(old []byte) ([]byte, error) {
		changed = false
		if old == nil {
			return nil, errNothingToUninstall
		}
		if err := json.Unmarshal(old, &in); err != nil {
			return nil, err
		}
		if in.Status == StatusUninstalled && in.Token == "" {
			return nil, errNothingToUninstall
		}
		in.Status, in.Token, in.Reason, in.UninstalledAt = StatusUninstalled, "", reason, now
		changed = true
		return json.Marshal(in)
	}, s.audit(Installation{ID: id, Reason: reason}, "slack", "slack.uninstalled"))
	if errors.Is(err, errNothingToUninstall) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("slack installation %s: uninstall: %w", id, err)
	}
	if changed {
		s.Log.InfoContext(ctx, "audit: slack app uninstalled; token deleted", "installation", id, "reason", reason)
	}
	return changed, nil
}

var errNothingToUninstall = errors.New("nothing to uninstall")

// orgIDs lists the Slack organization ids of a person, best first.
func orgIDs(p workflows.Person) []string {
	var ids []string
	for _, o := range p.Orgs {
		if strings.EqualFold(o.Platform, "slack") && o.ID != "" {
			ids = append(ids, o.ID)
		}
	}
	return ids
}
