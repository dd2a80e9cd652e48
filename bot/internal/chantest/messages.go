package chantest

import "github.com/licensebot/licensebot/bot"

// Messages are messages as the engine writes them, one per kind and state
// a renderer must lay out; the Slack and Teams golden-file tests render
// the same set (each adds an injection case for its own markup).
func Messages() map[string]bot.Message {
	approval := func(state string) bot.Message {
		m := bot.Message{
			To: "marc@reseller.example", Kind: bot.KindApproval, Lang: "en",
			Title: "Approval needed: R-3",
			Text:  "Alice (Contoso) asks to upgrade 5 seats of Microsoft 365 E1 to Microsoft 365 E3, as a new subscription.\n⚠️ This cannot be undone.",
			Fields: []bot.Field{
				{Label: "Requested by", Value: "Alice <alice@contoso.example>"},
				{Label: "Customer", Value: "Contoso"},
				{Label: "Subscription", Value: "Microsoft 365 E1"},
				{Label: "Microsoft 365 E1", Value: "10 → 5"},
				{Label: "Microsoft 365 E3 (new subscription)", Value: "0 → 5"},
				{Label: "Monthly cost", Value: "€84.00 → €232.50"},
				{Label: "Why approval", Value: "an upgrade is irreversible"},
				{Label: "Decision needed by", Value: "Mar 5, 2026 18:00"},
				{Label: "Justification", Value: "New hires need Teams Phone"},
			},
			Key: "approval:R-3", RequestID: "R-3", CustomerID: "C1",
		}
		switch state {
		case "pending":
			m.Actions = []bot.Action{
				{ID: bot.ActApprove, Label: "Approve", Style: bot.StylePrimary, Value: "C1:R-3", Confirm: "Approving R-3 makes an irreversible change. Are you sure?"},
				{ID: bot.ActReject, Label: "Reject", Style: bot.StyleDanger, Value: "C1:R-3", Reason: true},
			}
		case "approved":
			m.Context = "✅ Approved by Marc at Mar 2, 2026 10:42 and carried out."
		case "rejected":
			m.Context = "❌ Rejected by Marc at Mar 2, 2026 10:42. Not in this quarter's budget."
		case "expired":
			m.Context = "⌛ Expired at Mar 5, 2026 18:00: the deadline passed."
		}
		return m
	}
	return map[string]bot.Message{
		"help": {Kind: bot.KindHelp, Lang: "en", Title: "What I can do", Text: "• *my subscriptions* — your licences, renewal dates and removal windows\n" +
			"• *add 2 Business Standard seats* — seats can be added at any time\n" +
			"• *remove 3 E1 seats* — only in the 72 hours after a purchase or renewal\n" +
			"• *upgrade 5 E1 to E3* — same family, higher plan, irreversible\n" +
			"• *my requests*, *withdraw R-3*, *speak French*"},
		"list": {Kind: bot.KindList, Lang: "fr", Title: "Abonnements de Contoso", Text: "• *Microsoft 365 Business Standard* — 12 licences, renouvellement auto le 14/01/2027\n" +
			"   _2 licences retirables jusqu'au 05/03/2026 10:00_\n" +
			"• *Microsoft 365 E1* — 10 licences, se termine le 30/06/2026 (renouvellement auto désactivé)"},
		"subscription": {Kind: bot.KindList, Lang: "en", Title: "Microsoft 365 Business Standard",
			Fields: []bot.Field{{Label: "Status", Value: "active"}, {Label: "Seats", Value: "12"}, {Label: "Term", Value: "Annual, billed monthly"},
				{Label: "Commitment end", Value: "Jan 14, 2027"}, {Label: "Cost", Value: "€151.20 / month"}},
			Actions: []bot.Action{
				{ID: bot.ActStart, Label: "Add seats", Value: "add_seats:S1"},
				{ID: bot.ActStart, Label: "Reduce the renewal", Value: "set_renewal_quantity:S1"},
				{ID: bot.ActStart, Label: "Turn off auto-renew", Value: "auto_renew_off:S1"},
			}},
		"preview": {Kind: bot.KindPreview, Lang: "en", Title: "Please check",
			Text:   "You're about to add 2 seats to Microsoft 365 Business Standard.\n⚠️ Changing it now deletes the renewal settings scheduled for it (renewal at 8 seats) — set them again afterwards.",
			Fields: []bot.Field{{Label: "Seats", Value: "12 → 14"}, {Label: "Monthly cost", Value: "€151.20 → €176.40"}, {Label: "Charged now (prorated)", Value: "€265.10"}, {Label: "Approval", Value: "none needed — it runs as soon as you confirm"}},
			Actions: []bot.Action{
				{ID: bot.ActConfirm, Label: "Confirm", Style: bot.StylePrimary, Value: "a1b2c3"},
				{ID: bot.ActCancel, Label: "Cancel", Value: "a1b2c3"},
			}},
		"refusal": {Kind: bot.KindRefusal, Lang: "en",
			Text: "Seats of Microsoft 365 E1 can only be removed in the 72 hours after the commitment date (Jun 30, 2026), not before. You can schedule the renewal with fewer seats now.\nWhat you can do instead:",
			Actions: []bot.Action{
				{ID: bot.ActAlt, Label: "Renew at 7 seats", Value: "d9:0"},
				{ID: bot.ActAlt, Label: "Remind me then", Value: "d9:1"},
			}},
		"approval_pending":  approval("pending"),
		"approval_approved": approval("approved"),
		"approval_rejected": approval("rejected"),
		"approval_expired":  approval("expired"),
		"request_pending": {Kind: bot.KindRequest, Lang: "en", Title: "Request R-3",
			Text: "R-3: upgrade 5 seats of Microsoft 365 E1 to Microsoft 365 E3, as a new subscription — waiting for your account manager (decision needed by Mar 5, 2026 18:00).",
			Key:  "request:R-3", RequestID: "R-3", CustomerID: "C1",
			Actions: []bot.Action{{ID: bot.ActWithdraw, Label: "Withdraw", Value: "C1:R-3"}}},
		"request_completed": {Kind: bot.KindRequest, Lang: "fr", Title: "Demande R-4",
			Text:   "✅ R-4 : fait — ajouter 2 licences à Microsoft 365 Business Standard.",
			Fields: []bot.Field{{Label: "Licences", Value: "12 → 14"}},
			Key:    "request:R-4", RequestID: "R-4", CustomerID: "C1"},
		"reminder": {Kind: bot.KindReminder, Lang: "en", Title: "Removal window open",
			Text:    "The window to remove seats of *Microsoft 365 E1* is open until _Jul 3, 2026 00:00_.",
			Context: "You asked to be reminded on Jun 12, 2026.",
			Actions: []bot.Action{{ID: bot.ActStart, Label: "Remove seats", Value: "remove_seats:S2"}}},
		"error": {Kind: bot.KindError, Lang: "en", Text: "I can't reach the licence portal right now. Nothing was changed — please try again in a few minutes."},
	}
}
