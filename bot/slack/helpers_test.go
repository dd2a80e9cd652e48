package slack

import (
	"errors"
	"net/http"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/channel"

	slackapi "github.com/slack-go/slack"
)

func verifyWithSlackGo(h http.Header, body []byte) error {
	sv, err := slackapi.NewSecretsVerifier(h, testSecret)
	if err != nil {
		return err
	}
	if _, err := sv.Write(body); err != nil {
		return err
	}
	return sv.Ensure()
}

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// testWords are the adapter's sentences from the embedded catalogs.
var testWords = func() channel.Words {
	tr, err := bot.NewTranslator()
	if err != nil {
		panic(err)
	}
	return channel.NewWords(tr)
}()
