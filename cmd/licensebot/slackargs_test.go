package main

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
)

// slackArgs reads a Web API call's arguments, sent as a form or (chat.postMessage,
// chat.update) as a JSON body: strings as they are, anything else (blocks)
// as its JSON, as a form carries them.
func slackArgs(r *http.Request, body []byte) url.Values {
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		v, _ := url.ParseQuery(string(body))
		return v
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return url.Values{}
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
