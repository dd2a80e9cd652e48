package main

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A short run end to end: licensebot is built and served, a few dozen
// turns go through each platform, and every one is answered. No timing
// is asserted.
func TestLoadTestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs licensebot")
	}
	for _, platform := range []string{"slack", "teams"} {
		t.Run(platform, func(t *testing.T) {
			var out bytes.Buffer
			o := options{platform: platform, store: "bbolt", rate: 20, users: 4, duration: 2 * time.Second,
				timeout: 10 * time.Second, text: "my subscriptions", ceiling: true}
			if err := o.check(); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			if err := run(ctx, &out, o); err != nil {
				t.Fatalf("%v\n%s", err, out.String())
			}
			// serve, turns, turns/s, p50 ms, p99 ms, max ms, errors, refused, lost, …
			line := regexp.MustCompile(`(?m)^serve .*$`).FindString(out.String())
			row := strings.Fields(line)
			if len(row) < 12 {
				t.Fatalf("no serve row:\n%s", out.String())
			}
			turns, _ := strconv.Atoi(row[1])
			if turns != 40 || row[9] != "0" || row[10] != "0" || row[11] != "0" {
				t.Fatalf("want 40 turns answered, no error, refusal or loss:\n%s", out.String())
			}
			if !regexp.MustCompile(`(?m)^ceiling\s+40\s`).MatchString(out.String()) {
				t.Fatalf("ceiling did not take the same 40 turns:\n%s", out.String())
			}
			// The turns were answered by the engine, not with "you are
			// not set up": the reply lists Contoso's subscriptions.
			if !bytes.Contains(out.Bytes(), []byte("Business Standard")) {
				t.Fatalf("the sample reply is not the subscriptions list:\n%s", out.String())
			}
			if bytes.Contains(out.Bytes(), []byte("warning")) {
				t.Fatalf("warnings:\n%s", out.String())
			}
		})
	}
}
