package workpool

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

func TestOnePersonsJobsRunInOrder(t *testing.T) {
	var mu sync.Mutex
	got := map[string][]int{}
	p := New(4, 64, func(_ context.Context, j [2]int) {
		mu.Lock()
		key := string(rune('a' + j[0]))
		got[key] = append(got[key], j[1])
		mu.Unlock()
	})
	for i := 0; i < 20; i++ {
		for person := 0; person < 3; person++ {
			if ok, err := p.Submit(string(rune('a'+person)), [2]int{person, i}, time.Second); !ok || err != nil {
				t.Fatalf("submit: %v %v", ok, err)
			}
		}
	}
	p.Idle()
	for k, seq := range got {
		for i := range seq {
			if seq[i] != i {
				t.Fatalf("%s ran out of order: %v", k, seq)
			}
		}
	}
	if err := p.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Submit("a", [2]int{}, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
}

func TestFullQueueRefusesAfterTheWait(t *testing.T) {
	block := make(chan struct{})
	p := New(1, 1, func(context.Context, int) { <-block })
	p.Submit("k", 1, time.Second) // running
	p.Submit("k", 2, time.Second) // queued
	if ok, err := p.Submit("k", 3, 10*time.Millisecond); ok || err != nil {
		t.Fatalf("third submit: %v %v, want refused", ok, err)
	}
	close(block)
	p.Idle()
	_ = p.Close(context.Background())
}
