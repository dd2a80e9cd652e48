// Package slacktest helps fakes of Slack's Web API (the tests' and the
// load generator's) read what the bot sends.
package slacktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// Args reads a Web API call's arguments, sent as a form or
// (chat.postMessage, chat.update) as a JSON body: strings as they are,
// anything else (blocks) as its JSON, as a form carries them.
func Args(r *http.Request, body []byte) url.Values {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		v, _ := url.ParseQuery(string(body))
		return v
	}
	return JSONArgs(body)
}

// JSONArgs reads the arguments of a JSON body; nil if it is not a JSON
// object.
func JSONArgs(body []byte) url.Values {
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return nil
	}
	v := url.Values{}
	for k, raw := range m {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			v.Set(k, s)
		} else {
			v.Set(k, string(raw))
		}
	}
	return v
}
