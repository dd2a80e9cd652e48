package channel

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"unicode/utf8"
)

// ReadBody reads at most limit bytes of a request's body. On failure it
// answers (413 for a body too large, 400 otherwise), logs, and returns
// false.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64, log *slog.Logger) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		return body, true
	}
	log.WarnContext(r.Context(), "request body unreadable", "err", err)
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		http.Error(w, "request too large", http.StatusRequestEntityTooLarge)
	} else {
		http.Error(w, "bad request", http.StatusBadRequest)
	}
	return nil, false
}

// Recover is deferred by an HTTP handler: a bug in it must not take the
// process down, nor leave the platform waiting, so the panic is logged
// and answered 500.
func Recover(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string) {
	if v := recover(); v != nil {
		log.ErrorContext(r.Context(), what+" panicked", "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		http.Error(w, "internal error", http.StatusInternalServerError)
	}
}

// Truncate cuts s to limit characters, ending with "…" when cut.
func Truncate(s string, limit int) string {
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}
