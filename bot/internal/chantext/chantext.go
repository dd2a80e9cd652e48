// Package chantext holds the few sentences the chat adapters say on
// their own (before or beside the conversation engine), in English and
// French, so that Slack and Teams word them alike. A switch rather than a
// map keeps it free of package-level state.
package chantext

// Pick returns the French text for "fr" and the English one otherwise.
func Pick(lang, en, fr string) string {
	if lang == "fr" {
		return fr
	}
	return en
}

// NotSetUp is the one answer to someone who is not in the configuration.
func NotSetUp(lang string) string {
	return Pick(lang, "You're not set up for licence requests — ask your licence admin.",
		"Vous n'êtes pas configuré pour les demandes de licences — demandez à votre administrateur de licences.")
}

// ConfirmTitle heads the confirmation of an irreversible action.
func ConfirmTitle(lang string) string { return Pick(lang, "Are you sure?", "Confirmer ?") }
