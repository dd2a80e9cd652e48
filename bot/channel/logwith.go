package channel

import (
	"context"
	"log/slog"
	"sync"
)

// With is log.With(attrs...) for a request's ids, formatted only when a
// line is written. slog's JSON and text handlers format a With's
// attributes at once, copying the handler's buffer; a turn adds its ids
// four or five times (endpoint, queue, user, event, installation) and,
// at the default level, writes no line at all. The lines written are
// the same as log.With's.
func With(log *slog.Logger, attrs ...slog.Attr) *slog.Logger {
	if len(attrs) == 0 {
		return log
	}
	if l, ok := log.Handler().(*lazyHandler); ok {
		return slog.New(&lazyHandler{parent: l.parent, attrs: append(l.attrs[:len(l.attrs):len(l.attrs)], attrs...)})
	}
	return slog.New(&lazyHandler{parent: log.Handler(), attrs: attrs})
}

// lazyHandler is parent with attrs, made (parent.WithAttrs) on the first
// line written.
type lazyHandler struct {
	parent slog.Handler
	attrs  []slog.Attr
	once   sync.Once
	h      slog.Handler
}

func (l *lazyHandler) handler() slog.Handler {
	l.once.Do(func() { l.h = l.parent.WithAttrs(l.attrs) })
	return l.h
}

func (l *lazyHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return l.parent.Enabled(ctx, level)
}

func (l *lazyHandler) Handle(ctx context.Context, r slog.Record) error {
	return l.handler().Handle(ctx, r)
}

func (l *lazyHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	if len(attrs) == 0 {
		return l
	}
	return &lazyHandler{parent: l.parent, attrs: append(l.attrs[:len(l.attrs):len(l.attrs)], attrs...)}
}

func (l *lazyHandler) WithGroup(name string) slog.Handler {
	return l.handler().WithGroup(name)
}
