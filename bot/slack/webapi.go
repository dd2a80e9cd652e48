package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	slackapi "github.com/slack-go/slack"
)

// client is one bot token's Web API: slack-go's client for most
// methods, and chat.postMessage and chat.update sent as JSON. slack-go
// sends those two as a form (the blocks marshalled to JSON, then the
// whole form URL-escaped), which was a tenth of a Slack turn's CPU;
// Slack accepts the same arguments as a JSON body with the token as a
// Bearer header.
type client struct {
	*slackapi.Client
	token string
	hc    *http.Client
	base  string
}

// chatMessage is the body of chat.postMessage and chat.update.
type chatMessage struct {
	Channel  string           `json:"channel"`
	TS       string           `json:"ts,omitempty"`
	ThreadTS string           `json:"thread_ts,omitempty"`
	Text     string           `json:"text"`
	Blocks   []slackapi.Block `json:"blocks,omitempty"`
	// UnfurlLinks is always false: the bot's links are its own.
	UnfurlLinks bool `json:"unfurl_links"`
}

// chatResponse is what both methods answer.
type chatResponse struct {
	OK               bool                      `json:"ok"`
	Error            string                    `json:"error"`
	Channel          string                    `json:"channel"`
	TS               string                    `json:"ts"`
	ResponseMetadata slackapi.ResponseMetadata `json:"response_metadata"`
}

// postMessage posts a new message (in thread when set) and returns
// where it landed.
func (c *client) postMessage(ctx context.Context, channelID, thread string, blocks []slackapi.Block, text string) (string, string, error) {
	return c.chat(ctx, "chat.postMessage", chatMessage{Channel: channelID, ThreadTS: thread, Text: text, Blocks: blocks})
}

// updateMessage replaces the message ts of channelID.
func (c *client) updateMessage(ctx context.Context, channelID, ts string, blocks []slackapi.Block, text string) error {
	_, _, err := c.chat(ctx, "chat.update", chatMessage{Channel: channelID, TS: ts, Text: text, Blocks: blocks})
	return err
}

// chat calls method with m. Errors are slack-go's types (a 429's
// RateLimitedError, StatusCodeError, SlackErrorResponse), so retrying
// and "message gone" read them as they read slack-go's own.
func (c *client) chat(ctx context.Context, method string, m chatMessage) (string, string, error) {
	body, err := json.Marshal(m)
	if err != nil {
		return "", "", fmt.Errorf("encode %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+method, bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusTooManyRequests {
		if secs, err := strconv.ParseInt(resp.Header.Get("Retry-After"), 10, 64); err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			return "", "", &slackapi.RateLimitedError{RetryAfter: time.Duration(secs) * time.Second}
		}
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, resp.Body)
		return "", "", slackapi.StatusCodeError{Code: resp.StatusCode, Status: resp.Status}
	}
	var r chatResponse
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return "", "", fmt.Errorf("decode %s: %w", method, err)
	}
	if !r.OK {
		return r.Channel, r.TS, slackapi.SlackErrorResponse{Err: r.Error, ResponseMetadata: r.ResponseMetadata}
	}
	return r.Channel, r.TS, nil
}
