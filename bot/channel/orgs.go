package channel

import (
	"context"

	"github.com/licensebot/licensebot/workflows"
)

// OrgLinker is what a directory (workflows.People) may also provide:
// whether a workspace or tenant is linked to a customer or to the
// reseller. An adapter asks it before anything else about an activity
// that names its organization — a Teams tenant that nobody linked is
// refused (403), whoever writes from it — and for the activities that
// carry no person (the app installed in a team). A directory without it
// links every organization: who may act is then decided person by
// person, as before organizations were linked.
type OrgLinker interface {
	OrgLinked(ctx context.Context, org workflows.Org) (bool, error)
}

// OrgLinked asks people whether org is linked; a directory that is not
// an OrgLinker links everything (known is false then).
func OrgLinked(ctx context.Context, people workflows.People, org workflows.Org) (linked, known bool, err error) {
	l, ok := people.(OrgLinker)
	if !ok {
		return true, false, nil
	}
	linked, err = l.OrgLinked(ctx, org)
	return linked, true, err
}
