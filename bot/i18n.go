package bot

import (
	"embed"
	"fmt"
	"io/fs"

	"github.com/licensebot/licensebot/bot/i18n"
)

// The bot's sentences live here, beside the dialogue that says them;
// package i18n renders them.
//
//go:embed locales/*.yaml
var localeFiles embed.FS

// Translator renders message ids, money and dates in a language (see
// package i18n).
type Translator = i18n.Translator

// Languages the bot speaks, the first being the fallback.
var Languages = i18n.Languages

// NewTranslator loads the embedded English and French catalogs.
func NewTranslator() (*Translator, error) {
	sub, err := fs.Sub(localeFiles, "locales")
	if err != nil {
		return nil, fmt.Errorf("read locales: %w", err)
	}
	return i18n.New(sub)
}

// Lang normalises a locale ("fr-FR", "fr_CA", "FR") to a supported
// language, or "" when it is none of them.
func Lang(locale string) string { return i18n.Lang(locale) }
