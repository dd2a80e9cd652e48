package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/licensebot/licensebot/store"
)

// Bench measures the operations a chat turn and a reminder tick are made
// of, so backends can be compared with the same figures.
func Bench(b *testing.B, newHarness func(b *testing.B) Harness) {
	b.Run("ChatTurnState", func(b *testing.B) {
		s := newHarness(b).Store
		ctx := b.Context()
		if err := s.PutConversation(ctx, "U1", make([]byte, 2048), 30*time.Minute); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			if _, err := s.Claim(ctx, fmt.Sprintf("evt-%d", i), 10*time.Minute); err != nil {
				b.Fatal(err)
			}
			conv, err := s.GetConversation(ctx, "U1")
			if err != nil {
				b.Fatal(err)
			}
			if err := s.PutConversation(ctx, "U1", conv, 30*time.Minute); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DocumentUpdateWithAudit", func(b *testing.B) {
		s := newHarness(b).Store
		ctx := b.Context()
		ref := store.Ref{Scope: "acme", Collection: "requests", ID: "r1"}
		d, err := s.Create(ctx, ref, make([]byte, 1024))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for b.Loop() {
			d, err = s.Update(ctx, ref, d.Version, d.Data, store.AuditEntry{At: t0, Action: "bench"})
			if err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("DueTick1000", func(b *testing.B) {
		s := newHarness(b).Store
		ctx := b.Context()
		for i := range 1000 {
			due := t0.Add(time.Duration(i) * time.Minute)
			if err := s.Schedule(ctx, "acme", "reminders", store.ScheduledItem{ID: fmt.Sprint(i), Due: due, Payload: make([]byte, 128)}); err != nil {
				b.Fatal(err)
			}
		}
		now := t0.Add(9 * time.Minute) // 10 of 1000 due
		b.ReportAllocs()
		for b.Loop() {
			items, err := s.Due(ctx, "acme", "reminders", now, 100)
			if err != nil || len(items) != 10 {
				b.Fatalf("Due: %d items, %v", len(items), err)
			}
		}
	})
}
