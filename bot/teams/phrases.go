package teams

import "github.com/licensebot/licensebot/bot/internal/chantext"

// The few sentences only the Teams adapter says (the confirmation step
// Adaptive Cards lack, the reason box of an approval card, the reply to
// someone who is not configured). They are hardcoded here in English and
// French rather than added to bot/locales, which belongs to the
// conversation engine; the refusal is worded exactly as the Slack
// adapter's. Move them to bot/locales if the engine ever needs them.

// Phrase ids.
const (
	phNotSetUp      = "not_set_up"
	phConfirmTitle  = "confirm_title"
	phConfirmYes    = "confirm_yes"
	phConfirmNo     = "confirm_no"
	phReasonLabel   = "reason_label"
	phReasonHint    = "reason_hint"
	phBusy          = "busy"
	phCardGone      = "card_gone"
	phDone          = "done"
	phTryAgain      = "try_again"
	phRefreshTitle  = "refresh_title"
	phCardTruncated = "card_truncated"
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
	case phConfirmYes:
		return pick("Yes, %s", "Oui, %s")
	case phConfirmNo:
		return pick("No", "Non")
	case phReasonLabel:
		return pick("Reason, if you reject (optional)", "Motif en cas de refus (facultatif)")
	case phReasonHint:
		return pick("The requester will see it.", "Le demandeur le verra.")
	case phBusy:
		return pick("I'm very busy right now — please try again in a minute.",
			"Je suis très occupé en ce moment — réessayez dans une minute.")
	case phCardGone:
		return pick("This card is out of date: ask me again in the chat.",
			"Cette carte n'est plus à jour : redemandez-moi dans la conversation.")
	case phDone:
		return pick("Done.", "C'est fait.")
	case phTryAgain:
		return pick("Something went wrong — please try again.", "Une erreur s'est produite — réessayez.")
	case phRefreshTitle:
		return pick("Refresh", "Actualiser")
	case phCardTruncated:
		return pick("(shortened: ask me in the chat for the rest)", "(abrégé : demandez-moi la suite dans la conversation)")
	}
	return id
}
