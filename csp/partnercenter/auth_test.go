package partnercenter

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"
)

// The caller gives up while the identity platform is answering a
// refresh-token grant, and that answer rotates the refresh token (the
// old one is then invalid). The fetch is not the caller's: the answer is
// still read and the rotated token kept, so the next fetch works. Under
// the caller's context the answer was dropped and the bot was locked out
// until someone consented again.
func TestTokenFetchOutlivesTheCallersContext(t *testing.T) {
	e := setup(t, withUser, func(o *Options) { o.ClientSecret = "" })
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	e.f.mu.Lock()
	e.f.tokenGate = func() { once.Do(func() { close(arrived); <-release }) }
	e.f.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := e.c.Subscription(ctx, custID, "s1")
		errc <- err
	}()
	<-arrived
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled call: %v, want context.Canceled", err)
	}
	close(release)

	// The next call takes the token the detached fetch obtained.
	e.sub(t, "s1")
	if n := len(e.f.requests(http.MethodPost, "/token")); n != 1 {
		t.Errorf("%d token requests, want the one the cancelled caller started", n)
	}
	if len(e.rotated) != 1 {
		t.Fatalf("the rotated refresh token was not handed over: %d", len(e.rotated))
	}
	// An hour later the access token is renewed with the rotated refresh
	// token, the only one the fake still accepts.
	e.clk.Advance(time.Hour)
	e.sub(t, "s1")
	if n := len(e.f.requests(http.MethodPost, "/token")); n != 2 {
		t.Errorf("%d token requests, want 2", n)
	}
}

// Callers that need a token while one is being fetched wait for it
// instead of sending their own grant (each would rotate the refresh
// token under the others).
func TestConcurrentCallersShareOneTokenFetch(t *testing.T) {
	e := setup(t, withUser, func(o *Options) { o.ClientSecret = "" })
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := e.c.Subscription(context.Background(), custID, "s1"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := len(e.f.requests(http.MethodPost, "/token")); n != 1 {
		t.Errorf("%d token requests for 8 concurrent calls, want 1", n)
	}
}
