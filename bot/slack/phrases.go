package slack

import "github.com/licensebot/licensebot/bot/internal/chantext"

// The few sentences only the Slack adapter says (the reject modal, the
// confirmation dialog's frame, the reply to someone who is not
// configured). They are hardcoded here in English and French rather than
// added to bot/locales, which belongs to the conversation engine; move
// them there if the engine ever needs them too.

// Phrase ids.
const (
	phNotSetUp      = "not_set_up"
	phConfirmTitle  = "confirm_title"
	phConfirmDeny   = "confirm_deny"
	phModalTitle    = "modal_title"
	phModalSubmit   = "modal_submit"
	phModalClose    = "modal_close"
	phModalLabel    = "modal_label"
	phModalHint     = "modal_hint"
	phModalIntro    = "modal_intro"
	phHomeEmpty     = "home_empty"
	phHomeTitle     = "home_title"
	phHomeTruncated = "home_truncated"
	phBusy          = "busy"
)

// phrase returns the sentence id in lang ("fr" or anything else for
// English). A switch rather than a map keeps the package free of mutable
// package-level state.
func phrase(lang, id string) string {
	pick := func(en, fr string) string { return chantext.Pick(lang, en, fr) }
	switch id {
	case phNotSetUp:
		return chantext.NotSetUp(lang)
	case phConfirmTitle:
		return chantext.ConfirmTitle(lang)
	case phConfirmDeny:
		return pick("Cancel", "Annuler")
	case phModalTitle:
		return pick("Reject request", "Refuser la demande")
	case phModalSubmit:
		return pick("Reject", "Refuser")
	case phModalClose:
		return pick("Cancel", "Annuler")
	case phModalLabel:
		return pick("Reason", "Motif")
	case phModalHint:
		return pick("Optional. The requester will see it.", "Facultatif. Le demandeur le verra.")
	case phModalIntro:
		return pick("You are rejecting *%s*.", "Vous refusez *%s*.")
	case phHomeEmpty:
		return pick("Send me a direct message, for example *help* or *my subscriptions*.",
			"Écrivez-moi en message direct, par exemple *aide* ou *mes abonnements*.")
	case phHomeTitle:
		return pick("Your licences", "Vos licences")
	case phHomeTruncated:
		return pick("More in a direct message: say *my subscriptions*.",
			"La suite en message direct : dites *mes abonnements*.")
	case phBusy:
		return pick("I'm very busy right now — please try again in a minute.",
			"Je suis très occupé en ce moment — réessayez dans une minute.")
	}
	return id
}

// busyBothLanguages is the "very busy" answer given before the person is
// known (a slash command refused on a full queue): in both languages.
func busyBothLanguages() string { return phrase("en", phBusy) + "\n" + phrase("fr", phBusy) }
