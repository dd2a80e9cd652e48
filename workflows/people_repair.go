package workflows

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/licensebot/licensebot/store"
)

// Repair rebuilds the person index from the rosters, which are the truth.
// A process that died between a roster and the index left the index
// behind it: a grant not yet indexed, a withdrawal that took the role out
// of the index but never reached the roster (the withdrawal did not
// happen), or an entry written by an older version. It rewrites each person's entry for each customer from
// that customer's roster and drops entries for customers whose roster no
// longer names them. It returns how many people's entries it changed.
// Running it on a consistent directory changes nothing.
func (d *StoreDirectory) Repair(ctx context.Context) (int, error) {
	custs, err := d.Customers(ctx)
	if err != nil {
		return 0, fmt.Errorf("repair people index: %w", err)
	}
	rosters := make(map[string]roster, len(custs))
	for _, c := range custs {
		ro, _, err := store.GetJSON[roster](ctx, d.st, rosterRef(c.ID))
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return 0, fmt.Errorf("repair people index: roster %s: %w", c.ID, err)
		}
		rosters[c.ID] = ro
	}
	// Everyone some roster names, and everyone the index names.
	pairs := map[string]map[string]bool{} // email → customer ids to rewrite
	want := func(email, customerID string) {
		if pairs[email] == nil {
			pairs[email] = map[string]bool{}
		}
		pairs[email][customerID] = true
	}
	for id, ro := range rosters {
		for email := range ro.Grants {
			want(email, id)
		}
		for email := range ro.Seen {
			want(email, id)
		}
	}
	docs, err := d.st.List(ctx, "", collPeople)
	if err != nil {
		return 0, fmt.Errorf("repair people index: %w", err)
	}
	before := make(map[string]string, len(docs))
	for _, doc := range docs {
		var idx personIndex
		if err := json.Unmarshal(doc.Data, &idx); err != nil {
			return 0, fmt.Errorf("repair people index: decode %s: %w", doc.Ref.ID, err)
		}
		before[idx.Email] = string(doc.Data)
		for id := range idx.At {
			want(idx.Email, id)
		}
	}
	changed := 0
	for email, ids := range pairs {
		// What the rosters read above say; only a person they disagree
		// with is reindexed, from the rosters as they are by then (one
		// may have changed since).
		var idx personIndex
		if b, ok := before[email]; ok {
			if err := json.Unmarshal([]byte(b), &idx); err != nil {
				return changed, fmt.Errorf("repair people index: decode %s: %w", email, err)
			}
		}
		want, _ := json.Marshal(idx)
		for id := range ids {
			applyEntry(&idx, email, id, rosters[id])
		}
		if got, _ := json.Marshal(idx); bytes.Equal(got, want) {
			continue
		}
		for id := range ids {
			// A customer removed since keeps no entry: its empty
			// roster takes the person's roles there away.
			if err := d.reindex(ctx, email, id, nil, false); err != nil {
				return changed, fmt.Errorf("repair people index: %w", err)
			}
		}
		doc, err := d.st.Get(ctx, indexRef(email))
		if err == nil && string(doc.Data) != before[email] {
			changed++
		}
	}
	return changed, nil
}
