package slack

import (
	"encoding/json"
	"testing"

	"github.com/slack-go/slack/slackevents"
)

// The one-pass decoding of the events that start a turn reads them as
// slackevents does: same person, text, place, event id and workspace,
// and the same events skipped.
func TestCallbackDecodingAgreesWithSlackevents(t *testing.T) {
	a := newEnv(t).a
	payloads := []string{
		dmEvent("Ev1", "UALICE", "add 2 seats"),
		`{"type":"event_callback","team_id":"T1","event_id":"Ev2","event":{"type":"message","channel_type":"im","channel":"D1","user":"UALICE","text":"hi &amp; <https://x|y>","ts":"1.2","thread_ts":"1.1"}}`,
		`{"type":"event_callback","team_id":"T1","enterprise_id":"E1","event_id":"Ev3","authorizations":[{"team_id":"T1","is_enterprise_install":true}],"event":{"type":"message","channel_type":"im","channel":"D1","user":"UALICE","text":"hi","ts":"1.2"}}`,
		`{"type":"event_callback","event_id":"Ev4","event":{"type":"message","channel_type":"im","channel":"D1","user":"UBOT","bot_id":"B1","text":"mine","ts":"1.2"}}`,
		`{"type":"event_callback","event_id":"Ev5","event":{"type":"message","subtype":"message_changed","channel_type":"im","channel":"D1","message":{"user":"UALICE","text":"edited"},"ts":"1.2"}}`,
		`{"type":"event_callback","event_id":"Ev6","event":{"type":"message","channel_type":"channel","channel":"C1","user":"UALICE","text":"hi","ts":"1.2"}}`,
		`{"type":"event_callback","event_id":"Ev7","event":{"type":"app_mention","channel":"C1","user":"UALICE","text":"<@U1> my subscriptions","ts":"1.2"}}`,
		`{"type":"event_callback","event_id":"Ev8","event":{"type":"app_mention","channel":"C1","user":"UALICE","text":"<@U1> hi","ts":"1.3","thread_ts":"1.1"}}`,
		`{"type":"event_callback","event_id":"Ev9","event":{"type":"app_mention","channel":"C1","user":"UALICE","text":"<@U1> hi","ts":"1.3","edited":{"user":"UALICE","ts":"1.4"}}}`,
		`{"type":"event_callback","event_id":"Ev10","event":{"type":"app_mention","channel":"D1","user":"UALICE","text":"<@U1> hi","ts":"1.3"}}`,
		`{"type":"event_callback","event_id":"Ev11","event":{"type":"app_home_opened","user":"UALICE","tab":"home"}}`,
		`{"type":"event_callback","event_id":"Ev12","event":{"type":"app_home_opened","user":"UALICE","tab":"messages"}}`,
		`{"type":"event_callback","event_id":"Ev13","event":{"type":"message","channel_type":"im","channel":"D1","text":"no user","ts":"1.2"}}`,
	}
	for _, p := range payloads {
		cb, ok := decodeCallback([]byte(p))
		if !ok {
			t.Errorf("not decoded in one pass: %s", p)
			continue
		}
		got, gotOK := inboundOf(*cb.Event)
		ev, err := slackevents.ParseEvent(json.RawMessage(p), slackevents.OptionNoVerifyToken())
		if err != nil {
			t.Fatalf("slackevents: %v: %s", err, p)
		}
		want, wantOK := a.inboundFromEvent(ev.InnerEvent)
		scb := ev.Data.(*slackevents.EventsAPICallbackEvent)
		if gotOK != wantOK || got.kind != want.kind || got.userID != want.userID || got.channel != want.channel ||
			got.thread != want.thread || got.text != want.text || got.home != want.home {
			t.Errorf("%s:\n one pass   %v %+v\n slackevents %v %+v", p, gotOK, got, wantOK, want)
		}
		if cb.EventID != scb.EventID || orgOf(cb.TeamID, cb.EnterpriseID, enterpriseInstall(cb.Authorizations)) != orgOf(scb.TeamID, scb.EnterpriseID, enterpriseInstall(scb.Authorizations)) {
			t.Errorf("%s: event id or workspace differ", p)
		}
	}
	// Everything else is left to slackevents.
	for _, p := range []string{
		`{"type":"url_verification","challenge":"c"}`,
		`{"type":"event_callback","event":{"type":"app_uninstalled"}}`,
		`{"type":"event_callback","event":{"type":"tokens_revoked","tokens":{"bot":["U1"]}}}`,
		`{"type":"event_callback","event":null}`,
		`{"type":"event_callback","event":{"type":"message","text":5}}`,
		`not json`,
	} {
		if _, ok := decodeCallback([]byte(p)); ok {
			t.Errorf("decoded in one pass, should go to slackevents: %s", p)
		}
	}
}
