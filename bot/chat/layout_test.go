package chat

import "testing"

func labels(as []Action) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Label)
	}
	return out
}

// The row keeps the primary actions while they fit a phone, with
// "More…" counted; secondary actions always go behind "More…".
func TestSplitActions(t *testing.T) {
	for _, c := range []struct {
		in        []Action
		row, more int
	}{
		{[]Action{{Label: "Approve"}, {Label: "Reject"}}, 2, 0},
		{[]Action{{Label: "Add seats"}, {Label: "Reduce renewal"}, {Label: "Stop auto-renew"}, {Label: "Upgrade"}}, 2, 2},
		{[]Action{{Label: "Check again"}, {Label: "Mark as done"}, {Label: "Send again", Secondary: true}}, 2, 1},
		{[]Action{{Label: "A"}, {Label: "B"}, {Label: "C"}}, 3, 0},
		{[]Action{{Label: "A"}, {Label: "B"}, {Label: "C"}, {Label: "D"}}, 2, 2},
		{[]Action{{Label: "Stop reminders", Secondary: true}}, 0, 1},
	} {
		row, more := SplitActions(c.in)
		if len(row) != c.row || len(more) != c.more {
			t.Errorf("%v: row %v, more %v", labels(c.in), labels(row), labels(more))
		}
	}
}
