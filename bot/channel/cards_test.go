package channel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/licensebot/licensebot/bot"
	"github.com/licensebot/licensebot/bot/internal/chantest"
	"github.com/licensebot/licensebot/clock"
	"github.com/licensebot/licensebot/store"
)

var testNow = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

// fakePoster records posts and updates; gone makes the next update fail
// as a deleted message would, failPost the next post.
type fakePoster struct {
	mu       sync.Mutex
	posts    int
	updates  []string
	gone     bool
	failPost bool
}

func (f *fakePoster) Hash(m bot.Message, _ Address) string { return m.Text }

func (f *fakePoster) Post(_ context.Context, _ string, at Address, m bot.Message) (Place, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failPost {
		f.failPost = false
		return Place{}, errors.New("post refused")
	}
	f.posts++
	return Place{Conversation: at.Conversation, MessageID: "m" + strconv.Itoa(f.posts)}, nil
}

var errGone = errors.New("message_not_found")

func (f *fakePoster) Update(_ context.Context, _ string, p Place, m bot.Message) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.gone {
		f.gone = false
		return errGone
	}
	f.updates = append(f.updates, p.MessageID+"="+m.Text)
	return nil
}

func (f *fakePoster) Gone(err error) bool { return errors.Is(err, errGone) }

func (f *fakePoster) counts() (int, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.posts, len(f.updates)
}

func newCards(t *testing.T) (*Cards, *chantest.MemStore, *clock.Manual) {
	t.Helper()
	clk := clock.NewManual(testNow)
	st := chantest.NewMemStore(clk)
	return &Cards{Store: st, Clock: clk, Log: slog.New(slog.DiscardHandler), Platform: "slack"}, st, clk
}

func card(text string) bot.Message {
	return bot.Message{Key: "approval:R-3", CustomerID: "contoso", Kind: bot.KindApproval, Text: text}
}

func TestShowPostsOnceThenUpdatesInPlace(t *testing.T) {
	c, st, _ := newCards(t)
	out := &fakePoster{}
	ctx := context.Background()
	at := Address{Conversation: "DMARC"}
	for _, text := range []string{"pending", "pending", "approved"} {
		if err := c.Show(ctx, "r", out, "Marc@Reseller.example", at, card(text)); err != nil {
			t.Fatal(err)
		}
	}
	if posts, updates := out.counts(); posts != 1 || updates != 1 {
		t.Fatalf("posts %d updates %d, want 1 and 1 (an identical version costs nothing)", posts, updates)
	}
	// One record, in the customer's scope, keyed by the card's Key.
	doc, err := st.Get(ctx, store.Ref{Scope: "contoso", Collection: CardsCollection, ID: "approval:R-3"})
	if err != nil {
		t.Fatal(err)
	}
	var rec CardRecord
	if err := json.Unmarshal(doc.Data, &rec); err != nil {
		t.Fatal(err)
	}
	p := rec.Places["slack:marc@reseller.example"]
	if p.Conversation != "DMARC" || p.MessageID != "m1" || p.Hash != "approved" || p.Reserved != "" {
		t.Fatalf("record %+v", rec)
	}
	if !c.Shows(ctx, card(""), "DMARC", "m1") || c.Shows(ctx, card(""), "DMARC", "m2") {
		t.Fatal("Shows does not match the record")
	}
}

// Deliveries of one card to one person that run at once (an outbox
// retry beside a turn, two replicas) post it once; the others update.
func TestConcurrentShowsPostOnce(t *testing.T) {
	c, st, _ := newCards(t)
	// All eight read the record before any writes it: they all see no
	// message, so only the reservation keeps them from all posting.
	c.Store = &barrierStore{MemStore: st, n: 8, release: make(chan struct{})}
	out := &fakePoster{}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Go(func() {
			errs <- c.Show(context.Background(), "r", out, "marc@reseller.example", Address{Conversation: "DMARC"}, card(fmt.Sprint("v", i)))
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if posts, updates := out.counts(); posts != 1 || updates != 7 {
		t.Fatalf("posts %d updates %d, want 1 post and 7 updates", posts, updates)
	}
}

func TestGoneCardIsPostedAnew(t *testing.T) {
	c, _, _ := newCards(t)
	out := &fakePoster{}
	ctx := context.Background()
	_ = c.Show(ctx, "r", out, "marc@reseller.example", Address{Conversation: "DMARC"}, card("pending"))
	out.gone = true
	if err := c.Show(ctx, "r", out, "marc@reseller.example", Address{Conversation: "DMARC"}, card("approved")); err != nil {
		t.Fatal(err)
	}
	if p, ok := c.Where(ctx, card(""), "marc@reseller.example"); !ok || p.MessageID != "m2" {
		t.Fatalf("record after repost: %+v %v", p, ok)
	}
}

// A failed post returns its error (the outbox retries) and leaves no
// reservation behind, so the retry posts.
func TestFailedPostIsRetriable(t *testing.T) {
	c, _, _ := newCards(t)
	out := &fakePoster{failPost: true}
	ctx := context.Background()
	if err := c.Show(ctx, "r", out, "marc@reseller.example", Address{Conversation: "DMARC"}, card("pending")); err == nil {
		t.Fatal("a failed post reported as delivered")
	}
	if err := c.Show(ctx, "r", out, "marc@reseller.example", Address{Conversation: "DMARC"}, card("pending")); err != nil {
		t.Fatal(err)
	}
	if posts, _ := out.counts(); posts != 1 {
		t.Fatalf("%d posts", posts)
	}
}

// A reservation left by a delivery that died mid-post is taken over once
// it is stale; a fresh one is waited for, then reported busy.
func TestReservations(t *testing.T) {
	c, _, clk := newCards(t)
	c.Wait = func(context.Context, time.Duration) error { return nil }
	out := &fakePoster{}
	ctx := context.Background()
	reserve := func() {
		err := c.change(ctx, card(""), func(r *CardRecord) error {
			r.Places[c.Slot("marc@reseller.example")] = Place{Reserved: "other", ReservedAt: clk.Now()}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	reserve()
	if err := c.Show(ctx, "r", out, "marc@reseller.example", Address{Conversation: "DMARC"}, card("pending")); !errors.Is(err, ErrCardBusy) {
		t.Fatalf("fresh reservation: %v, want ErrCardBusy", err)
	}
	clk.Advance(reserveTTL + time.Second)
	if err := c.Show(ctx, "r", out, "marc@reseller.example", Address{Conversation: "DMARC"}, card("pending")); err != nil {
		t.Fatalf("stale reservation: %v", err)
	}
	if posts, _ := out.counts(); posts != 1 {
		t.Fatalf("%d posts", posts)
	}
}

// With the store down the card is still shown (once) and Show says so.
func TestShowWithTheStoreDown(t *testing.T) {
	c, st, _ := newCards(t)
	st.SetFail(true)
	out := &fakePoster{}
	if err := c.Show(context.Background(), "r", out, "marc@reseller.example", Address{Conversation: "DMARC"}, card("pending")); err != nil {
		t.Fatal(err)
	}
	if posts, _ := out.counts(); posts != 1 {
		t.Fatalf("%d posts", posts)
	}
}

// barrierStore holds the first n reads of a card record until all n
// have happened.
type barrierStore struct {
	*chantest.MemStore
	n       int
	mu      sync.Mutex
	reads   int
	release chan struct{}
}

func (b *barrierStore) Get(ctx context.Context, ref store.Ref) (store.Document, error) {
	if ref.Collection == CardsCollection {
		b.mu.Lock()
		b.reads++
		r := b.reads
		if r == b.n {
			close(b.release)
		}
		b.mu.Unlock()
		if r <= b.n {
			<-b.release
		}
	}
	return b.MemStore.Get(ctx, ref)
}
