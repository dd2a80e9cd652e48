package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"github.com/licensebot/licensebot/workflows"
)

// workspace is the Slack API client for one installation. id is the
// installation (team or enterprise id); "" is the single-workspace token
// (SLACK_BOT_TOKEN), whose cache keys and card records keep the names
// they had before the app was distributed.
type workspace struct {
	id  string
	api *client
}

// key scopes a cache key to the workspace: a Slack user id or an e-mail
// means something only inside one workspace.
func (w workspace) key(k string) string {
	if w.id == "" {
		return k
	}
	return w.id + ":" + k
}

// clientCache keeps one client per installation, rebuilt when the
// stored installation changes (a re-install brings a new token).
type clientCache struct {
	mu sync.Mutex
	m  map[string]cachedClient
	// home is the team and enterprise of the single-workspace token,
	// learned once with auth.test.
	home     []string
	homeKnow bool
}

type cachedClient struct {
	version int64
	api     *client
}

func (c *clientCache) get(id string, version int64) (*client, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cc, ok := c.m[id]
	return cc.api, ok && cc.version == version
}

func (c *clientCache) put(id string, version int64, api *client) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]cachedClient{}
	}
	c.m[id] = cachedClient{version: version, api: api}
}

func (c *clientCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// defaultWorkspace is the single-workspace token's client, or false when
// the app runs only from OAuth installations.
func (a *Adapter) defaultWorkspace() (workspace, bool) {
	return workspace{api: a.api}, a.api != nil
}

// workspaceFor returns the client of the installation id (a team id or
// an Enterprise Grid id, as events name them). Without distribution
// (no Installations) every request goes through the single-workspace
// token, as before. With it, a workspace that has no live installation
// is refused with ErrNotInstalled — unless it is the single-workspace
// token's own team.
func (a *Adapter) workspaceFor(ctx context.Context, id string) (workspace, error) {
	def, hasDef := a.defaultWorkspace()
	if a.installs == nil {
		return def, nil
	}
	id = strings.ToUpper(strings.TrimSpace(id))
	if id == "" {
		if hasDef {
			return def, nil
		}
		return workspace{}, fmt.Errorf("%w: the request names no workspace", ErrNotInstalled)
	}
	in, version, err := a.installs.Get(ctx, id)
	switch {
	case err == nil && in.Status == StatusInstalled:
		if api, ok := a.clients.get(id, version); ok {
			return workspace{id: id, api: api}, nil
		}
		tok, err := a.installs.Token(ctx, in)
		if err != nil {
			return workspace{}, err
		}
		api := newClient(a.opt, tok)
		a.clients.put(id, version, api)
		return workspace{id: id, api: api}, nil
	case err == nil, errors.Is(err, ErrNotInstalled):
		a.clients.drop(id)
		if hasDef && a.isHome(ctx, id) {
			return def, nil
		}
		return workspace{}, fmt.Errorf("%w: %s", ErrNotInstalled, id)
	default:
		return workspace{}, err
	}
}

// isHome reports whether id is the team (or enterprise) of the
// single-workspace token, asked once of auth.test.
func (a *Adapter) isHome(ctx context.Context, id string) bool {
	a.clients.mu.Lock()
	known, home := a.clients.homeKnow, a.clients.home
	a.clients.mu.Unlock()
	if !known {
		res, err := a.api.AuthTestContext(ctx)
		if err != nil {
			a.log.WarnContext(ctx, "slack auth.test failed: cannot tell the single-workspace token's team", "err", err)
			return false
		}
		home = []string{strings.ToUpper(res.TeamID), strings.ToUpper(res.EnterpriseID)}
		a.clients.mu.Lock()
		a.clients.home, a.clients.homeKnow = home, true
		a.clients.mu.Unlock()
	}
	for _, h := range home {
		if h != "" && h == id {
			return true
		}
	}
	return false
}

// workspacesOf are the workspaces to reach a person through, best
// first: the installations of the Slack organizations they talk from,
// then the single-workspace token. Installations that are gone are
// skipped (logged).
func (a *Adapter) workspacesOf(ctx context.Context, reqID string, p workflows.Person) ([]workspace, error) {
	var out []workspace
	var errs []error
	seen := map[string]bool{}
	for _, id := range orgIDs(p) {
		ws, err := a.workspaceFor(ctx, id)
		if err != nil {
			if !errors.Is(err, ErrNotInstalled) {
				errs = append(errs, err)
			}
			a.log.InfoContext(ctx, "slack workspace of the recipient not usable", "request_id", reqID, "installation", id, "err", err)
			continue
		}
		if !seen[ws.id] {
			seen[ws.id] = true
			out = append(out, ws)
		}
	}
	if def, ok := a.defaultWorkspace(); ok && !seen[""] {
		out = append(out, def)
	}
	if len(out) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
