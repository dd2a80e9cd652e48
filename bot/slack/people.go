package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	slackapi "github.com/slack-go/slack"
)

// Cache keys live in the store's conversation space (values with a TTL).
// The "slack-cache:" prefix cannot collide with the engine's dialogue
// keys, which are "slack:" + e-mail.
const (
	cacheUser  = "slack-cache:user:"  // Slack user id → slackUser
	cacheEmail = "slack-cache:email:" // e-mail → Slack user id
	cacheDM    = "slack-cache:dm:"    // Slack user id → DM channel id
)

// slackUser is what we need of a Slack user.
type slackUser struct {
	ID     string `json:"id"`
	Email  string `json:"email,omitempty"`
	Locale string `json:"locale,omitempty"`
	// Bot: bots and deactivated accounts are never answered.
	Bot bool `json:"bot,omitempty"`
}

// slackUser returns the Slack user's e-mail and locale, from the cache
// or users.info (scopes users:read and users:read.email).
func (a *Adapter) slackUser(ctx context.Context, ws workspace, reqID, userID string) (slackUser, error) {
	var u slackUser
	if a.cache.Get(ctx, cacheUser+ws.key(userID), &u) && u.ID == userID {
		return u, nil
	}
	var info *slackapi.User
	err := a.retry.Do(ctx, reqID, "users.info", func(ctx context.Context) error {
		var err error
		info, err = ws.api.GetUserInfoContext(ctx, userID, slackapi.GetUserInfoOptionIncludeLocale(true))
		return err
	})
	if err != nil {
		return slackUser{}, err
	}
	u = slackUser{ID: userID, Email: strings.ToLower(strings.TrimSpace(info.Profile.Email)), Locale: info.Locale,
		Bot: info.IsBot || info.Deleted}
	if u.Email == "" && !u.Bot {
		a.log.WarnContext(ctx, "slack user has no visible e-mail: is the users:read.email scope granted?",
			"request_id", reqID, "slack_user", userID)
	}
	a.cache.Put(ctx, cacheUser+ws.key(userID), u, userTTL)
	if u.Email != "" {
		a.cache.Put(ctx, cacheEmail+ws.key(u.Email), userID, userTTL)
	}
	return u, nil
}

// userIDByEmail finds the Slack user with that e-mail (users.lookupByEmail).
func (a *Adapter) userIDByEmail(ctx context.Context, ws workspace, reqID, email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	var id string
	if a.cache.Get(ctx, cacheEmail+ws.key(email), &id) && id != "" {
		return id, nil
	}
	var u *slackapi.User
	err := a.retry.Do(ctx, reqID, "users.lookupByEmail", func(ctx context.Context) error {
		var err error
		u, err = ws.api.GetUserByEmailContext(ctx, email)
		return err
	})
	if slackError(err) == "users_not_found" {
		return "", fmt.Errorf("%w: %w", ErrNotOnSlack, err)
	}
	if err != nil {
		return "", err
	}
	a.cache.Put(ctx, cacheEmail+ws.key(email), u.ID, userTTL)
	return u.ID, nil
}

// dmChannel opens (or finds) the direct message between the bot and a
// user (conversations.open, scope im:write).
func (a *Adapter) dmChannel(ctx context.Context, ws workspace, reqID, userID string) (string, error) {
	var id string
	if a.cache.Get(ctx, cacheDM+ws.key(userID), &id) && id != "" {
		return id, nil
	}
	var ch *slackapi.Channel
	err := a.retry.Do(ctx, reqID, "conversations.open", func(ctx context.Context) error {
		var err error
		ch, _, _, err = ws.api.OpenConversationContext(ctx, &slackapi.OpenConversationParameters{Users: []string{userID}, ReturnIM: true})
		return err
	})
	if err != nil {
		return "", err
	}
	if ch == nil || ch.ID == "" {
		return "", errors.New("slack conversations.open: no channel in the answer")
	}
	a.cache.Put(ctx, cacheDM+ws.key(userID), ch.ID, userTTL)
	return ch.ID, nil
}
