package slack

import (
	"context"
	"testing"
)

// Payload decoders must never panic, whatever arrives after a valid
// signature (or over Socket Mode, where there is none).
func FuzzPayloads(f *testing.F) {
	for _, seed := range []string{
		dmEvent("Ev1", "UALICE", "add 2 seats"),
		`{"type":"url_verification","challenge":"c"}`,
		`{"type":"event_callback","event_id":"E","event":{"type":"app_mention","channel":"C1","user":"UALICE","text":"<@U1> hi <https://x|y>","ts":"1.2"}}`,
		`{"type":"event_callback","event_id":"E","event":{"type":"app_home_opened","user":"UALICE","tab":"home"}}`,
		`{"type":"block_actions","user":{"id":"UALICE"},"container":{"type":"message","channel_id":"C1"},"actions":[{"block_id":"b","action_id":"reject/1","value":"C1:R-3"}]}`,
		`{"type":"view_submission","user":{"id":"UMARC"},"view":{"callback_id":"licensebot.reject","private_metadata":"{\"v\":\"C1:R-3\"}","state":{"values":{}}}}`,
		`{"type":"event_callback","event":null}`,
		`<@U1|x> &amp;&lt; <#C|> <>`,
	} {
		f.Add([]byte(seed))
	}
	e := newEnv(f)
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, data []byte) {
		e.a.onEventsPayload(ctx, "fz", data, "", nil)
		if ic, err := parseInteraction(data); err == nil {
			e.a.onInteraction(ctx, "fz", ic)
		}
		_ = plainText(string(data))
		e.a.run.Idle()
	})
}
