package bot

import (
	"context"
	"errors"
	"strings"

	"github.com/licensebot/licensebot/bot/intent"
	"github.com/licensebot/licensebot/rules"
	"github.com/licensebot/licensebot/workflows"
)

// roleManager is what a directory offers for managing roles in chat: the
// store-backed one does, the configuration file's does not (its people
// change by editing the file).
type roleManager interface {
	GrantAs(ctx context.Context, actor workflows.Person, g workflows.Grant) (bool, error)
	CustomerRoster(ctx context.Context, customerID string) (workflows.Roster, error)
}

// peopleTurn answers the people-and-roles intents: the guide's Users tab,
// in chat. Everything is about the customer the turn acts for, which the
// workspace or tenant decided; nobody names another customer here.
func (e *Engine) peopleTurn(ctx context.Context, tc *turnCtx, in intent.Intent) error {
	switch in.Kind {
	case intent.KindMakeAdmin:
		return e.makeAdmin(ctx, tc)
	case intent.KindWhoCanUse:
		return e.whoCanUse(ctx, tc)
	case intent.KindWhoApproves:
		return e.whoApproves(ctx, tc)
	case intent.KindWhoAccountManager:
		return e.whoAccountManager(ctx, tc)
	case intent.KindChoosePlatform:
		return e.choosePlatform(ctx, tc, in.Platform)
	}
	return nil
}

// platformChooser is what a directory offers for choosing where the bot
// writes to someone: the store-backed one does.
type platformChooser interface {
	SetPlatform(ctx context.Context, email, platform string) (bool, error)
}

// choosePlatform records where the person wants the bot's cards and
// reminders. The choice is theirs alone: it names no one else.
func (e *Engine) choosePlatform(ctx context.Context, tc *turnCtx, platform string) error {
	pc, ok := e.opt.Service.Directory().(platformChooser)
	if !ok {
		e.peopleSay(tc, "people.managed_in_file", nil)
		return nil
	}
	name := map[string]string{"slack": "Slack", "teams": "Microsoft Teams"}[platform]
	_, err := pc.SetPlatform(ctx, tc.turn.Person.Email, platform)
	if errors.Is(err, workflows.ErrUnknownPerson) {
		// Members admitted by their e-mail domain have no entry until a
		// role is granted: they are reached where they talk.
		e.peopleSay(tc, "people.platform.not_kept", map[string]any{"Platform": name})
		return nil
	}
	if err != nil {
		return err
	}
	e.peopleSay(tc, "people.platform.chosen", map[string]any{"Platform": name})
	return nil
}

func (e *Engine) peopleSay(tc *turnCtx, key string, data map[string]any) {
	tc.say(Message{Text: e.tr.T(tc.lang, key, data)})
}

func (e *Engine) makeAdmin(ctx context.Context, tc *turnCtx) error {
	rm, ok := e.opt.Service.Directory().(roleManager)
	if !ok {
		e.peopleSay(tc, "people.managed_in_file", nil)
		return nil
	}
	actor, cust := tc.turn.Person, tc.customer.ID
	if actor.Role != rules.RoleLicenceAdmin && actor.Role != rules.RoleAccountManager {
		e.peopleSay(tc, "people.only_admins", nil)
		return nil
	}
	ro, err := rm.CustomerRoster(ctx, cust)
	if err != nil {
		return err
	}
	email, name := findPerson(tc.turn.Text, ro)
	if email == "" {
		e.peopleSay(tc, "people.who_is_it", map[string]any{"Customer": tc.customer.Name})
		return nil
	}
	changed, err := rm.GrantAs(ctx, actor, workflows.Grant{Email: email, Name: name, Role: rules.RoleLicenceAdmin, CustomerID: cust})
	data := map[string]any{"Name": personLabel(name, email), "Email": email, "Customer": tc.customer.Name}
	switch {
	case errors.Is(err, workflows.ErrForbidden):
		e.peopleSay(tc, "people.forbidden", data)
	case errors.Is(err, workflows.ErrInvalid):
		e.peopleSay(tc, "people.who_is_it", data)
	case err != nil:
		return err
	case !changed:
		e.peopleSay(tc, "people.already_admin", data)
	default:
		e.log.InfoContext(ctx, "licence admin granted in chat", "customer_id", cust, "by", actor.Email, "to", email)
		e.peopleSay(tc, "people.granted_admin", data)
	}
	return nil
}

// findPerson finds whom a sentence names: an e-mail typed in full, or
// the name (or e-mail local part) of someone on the customer's roster.
func findPerson(text string, ro workflows.Roster) (email, name string) {
	for _, w := range strings.Fields(text) {
		w = strings.Trim(w, ".,;:!?<>()\"'")
		if strings.Contains(w, "@") {
			w = strings.TrimPrefix(strings.ToLower(w), "mailto:")
			for _, g := range ro.Grants {
				if g.Email == w {
					return w, g.Name
				}
			}
			return w, ""
		}
	}
	known := map[string]string{}
	for _, g := range ro.Grants {
		if g.Role != rules.RoleAccountManager {
			known[g.Email] = g.Name
		}
	}
	for _, m := range ro.Members {
		known[m.Email] = m.Name
	}
	var found []string
	for e, n := range known {
		local := e[:strings.IndexByte(e, '@')]
		for _, w := range strings.Fields(strings.ToLower(text)) {
			w = strings.Trim(w, ".,;:!?\"'")
			if w != "" && (strings.EqualFold(w, n) || w == local) {
				found = append(found, e)
				break
			}
		}
	}
	if len(found) != 1 { // none, or two people with that name
		return "", ""
	}
	return found[0], known[found[0]]
}

func (e *Engine) whoCanUse(ctx context.Context, tc *turnCtx) error {
	rm, ok := e.opt.Service.Directory().(roleManager)
	if !ok {
		e.peopleSay(tc, "people.managed_in_file", nil)
		return nil
	}
	ro, err := rm.CustomerRoster(ctx, tc.customer.ID)
	if err != nil {
		return err
	}
	var admins, members []string
	for _, g := range ro.Grants {
		switch g.Role {
		case rules.RoleLicenceAdmin:
			admins = append(admins, personLabel(g.Name, g.Email))
		case rules.RoleMember:
			members = append(members, personLabel(g.Name, g.Email))
		}
	}
	for _, m := range ro.Members {
		members = append(members, personLabel(m.Name, m.Email))
	}
	mode := "people.mode." + ro.Customer.MemberMode()
	var b strings.Builder
	b.WriteString(e.tr.T(tc.lang, mode, map[string]any{"Customer": tc.customer.Name, "Domains": strings.Join(ro.Customer.Domains, ", ")}))
	b.WriteString("\n")
	b.WriteString(e.tr.T(tc.lang, "people.admins", map[string]any{"List": listOrNone(e, tc, admins)}))
	b.WriteString("\n")
	b.WriteString(e.tr.T(tc.lang, "people.members", map[string]any{"List": listOrNone(e, tc, members)}))
	tc.say(Message{Kind: KindList, Title: e.tr.T(tc.lang, "people.title", map[string]any{"Customer": tc.customer.Name}), Text: b.String()})
	return nil
}

func personLabel(name, email string) string {
	if name == "" {
		return email
	}
	return name + " (" + email + ")"
}

func listOrNone(e *Engine, tc *turnCtx, l []string) string {
	if len(l) == 0 {
		return e.tr.T(tc.lang, "people.nobody", nil)
	}
	return strings.Join(l, ", ")
}

// approverNames lists the approvers of role at the turn's customer, the
// backups marked.
func (e *Engine) approverNames(ctx context.Context, tc *turnCtx, role rules.Role) (primary, backup []string, err error) {
	ps, err := e.opt.Service.Directory().ApproversFor(ctx, role, tc.customer.ID)
	if err != nil {
		return nil, nil, err
	}
	for _, p := range ps {
		if p.Backup {
			backup = append(backup, personLabel(p.Name, p.Email))
		} else {
			primary = append(primary, personLabel(p.Name, p.Email))
		}
	}
	return primary, backup, nil
}

func (e *Engine) whoApproves(ctx context.Context, tc *turnCtx) error {
	admins, _, err := e.approverNames(ctx, tc, rules.RoleLicenceAdmin)
	if err != nil {
		return err
	}
	ams, backups, err := e.approverNames(ctx, tc, rules.RoleAccountManager)
	if err != nil {
		return err
	}
	var b strings.Builder
	if len(admins) > 0 {
		b.WriteString(e.tr.T(tc.lang, "people.approves.admins", map[string]any{"List": strings.Join(admins, ", ")}))
	} else {
		b.WriteString(e.tr.T(tc.lang, "people.approves.no_admin", nil))
	}
	b.WriteString("\n")
	b.WriteString(e.tr.T(tc.lang, "people.approves.ams", map[string]any{"List": listOrNone(e, tc, ams)}))
	if len(backups) > 0 {
		b.WriteString(" " + e.tr.T(tc.lang, "people.backup", map[string]any{"List": strings.Join(backups, ", ")}))
	}
	tc.say(Message{Text: b.String()})
	return nil
}

func (e *Engine) whoAccountManager(ctx context.Context, tc *turnCtx) error {
	ams, backups, err := e.approverNames(ctx, tc, rules.RoleAccountManager)
	if err != nil {
		return err
	}
	if len(ams) == 0 && len(backups) == 0 {
		e.peopleSay(tc, "people.am.none", map[string]any{"Customer": tc.customer.Name})
		return nil
	}
	text := e.tr.T(tc.lang, "people.am", map[string]any{"List": listOrNone(e, tc, ams), "Customer": tc.customer.Name})
	if len(backups) > 0 {
		text += " " + e.tr.T(tc.lang, "people.backup", map[string]any{"List": strings.Join(backups, ", ")})
	}
	tc.say(Message{Text: text})
	return nil
}
