package channel

import "github.com/licensebot/licensebot/bot"

// Phrase ids of the sentences the adapters say on their own (the
// bot/locales/channel.<lang>.yaml catalogs, under "channel.").
const (
	NotSetUp      = "not_set_up"
	Busy          = "busy"
	TryAgain      = "try_again"
	Done          = "done"
	CardGone      = "card_gone"
	ConfirmTitle  = "confirm_title"
	ConfirmDeny   = "confirm_deny"
	ConfirmYes    = "confirm_yes" // data: Action
	ConfirmNo     = "confirm_no"
	ReasonLabel   = "reason_label"
	ReasonHint    = "reason_hint"
	RefreshTitle  = "refresh_title"
	CardTruncated = "card_truncated"
	ModalTitle    = "modal_title"
	ModalSubmit   = "modal_submit"
	ModalClose    = "modal_close"
	ModalLabel    = "modal_label"
	ModalHint     = "modal_hint"
	ModalIntro    = "modal_intro" // data: Request
	HomeEmpty     = "home_empty"
	HomeTitle     = "home_title"
	HomeTruncated = "home_truncated"
)

// Words says the adapters' sentences in a language, from the locale
// catalogs through bot.Translator. The zero value is not usable; build it
// with NewWords.
type Words struct{ tr *bot.Translator }

// NewWords wraps the engine's translator.
func NewWords(tr *bot.Translator) Words { return Words{tr: tr} }

// Say returns phrase id in lang (English when lang is not spoken).
func (w Words) Say(lang, id string) string { return w.tr.T(lang, "channel."+id, nil) }

// Sayf returns phrase id in lang with its template data.
func (w Words) Sayf(lang, id string, data map[string]any) string {
	return w.tr.T(lang, "channel."+id, data)
}

// Both is a sentence in every language the bot speaks, one a line: the
// answer given before the person (and so their language) is known.
func (w Words) Both(id string) string {
	out := ""
	for i, l := range bot.Languages {
		if i > 0 {
			out += "\n"
		}
		out += w.Say(l, id)
	}
	return out
}

// Lang is the language for the adapter's own sentences: the configured
// locale, else the platform's, else English.
func Lang(configured, platform string) string {
	if l := bot.Lang(configured); l != "" {
		return l
	}
	if l := bot.Lang(platform); l != "" {
		return l
	}
	return "en"
}
