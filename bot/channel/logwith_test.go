package channel

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"testing"
)

// A logger made by With writes the lines log.With writes, with the same
// attributes in the same order, through further With calls, slog's own
// With and groups; below the level it writes nothing.
func TestWithWritesWhatSlogWithWrites(t *testing.T) {
	for _, name := range []string{"json", "text"} {
		newLog := func(b *bytes.Buffer) *slog.Logger {
			opts := &slog.HandlerOptions{Level: slog.LevelInfo}
			if name == "json" {
				return slog.New(slog.NewJSONHandler(b, opts)).With("component", "slack")
			}
			return slog.New(slog.NewTextHandler(b, opts)).With("component", "slack")
		}
		var want, got bytes.Buffer
		ctx := context.Background()

		eager := newLog(&want).With("request_id", "sl-1", "endpoint", "events").With("slack_user", "U1")
		lazy := With(With(newLog(&got), slog.String("request_id", "sl-1"), slog.String("endpoint", "events")), slog.String("slack_user", "U1"))
		for _, pair := range [][2]*slog.Logger{
			{eager, lazy},
			{eager.With("event_id", "Ev1"), lazy.With("event_id", "Ev1")},
			{eager.WithGroup("g").With("k", 1), lazy.WithGroup("g").With("k", 1)},
			{With(eager, slog.String("installation", "T1")), With(lazy, slog.String("installation", "T1"))},
		} {
			pair[0].DebugContext(ctx, "hidden", "n", 0)
			pair[1].DebugContext(ctx, "hidden", "n", 0)
			pair[0].ErrorContext(ctx, "turn failed", "err", errors.New("boom"))
			pair[1].ErrorContext(ctx, "turn failed", "err", errors.New("boom"))
		}
		// Lines written at different instants differ only in their time.
		strip := func(b []byte) string {
			var out []string
			for line := range bytes.Lines(b) {
				if i := bytes.Index(line, []byte("level")); i >= 0 {
					line = line[i:]
				}
				out = append(out, string(line))
			}
			return join(out)
		}
		if w, g := strip(want.Bytes()), strip(got.Bytes()); w != g || w == "" {
			t.Errorf("%s: With wrote\n%s\nslog's With writes\n%s", name, g, w)
		}
		if bytes.Contains(got.Bytes(), []byte("hidden")) {
			t.Errorf("%s: a debug line was written at info", name)
		}
	}
}

func join(lines []string) string {
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString(l)
	}
	return b.String()
}
