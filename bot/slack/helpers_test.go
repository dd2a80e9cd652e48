package slack

import (
	"errors"
	"net/http"

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
