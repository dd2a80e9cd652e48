package channel

import (
	"context"
	"errors"
	"sync"
	"testing"
)

func TestOnePersonsJobsRunInOrder(t *testing.T) {
	p := NewPool(4, 64)
	var mu sync.Mutex
	got := map[string][]int{}
	for i := range 10 {
		for _, person := range []string{"a", "b", "c"} {
			err := p.Submit(person, func(context.Context) {
				mu.Lock()
				got[person] = append(got[person], i)
				mu.Unlock()
			})
			if err != nil {
				t.Fatalf("submit: %v", err)
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
	if err := p.Submit("a", func(context.Context) {}); !errors.Is(err, ErrClosed) {
		t.Fatalf("submit after close: %v", err)
	}
}

// A full queue refuses at once, and the refused job never runs.
func TestFullQueueRefusesAtOnce(t *testing.T) {
	block := make(chan struct{})
	started := make(chan struct{})
	p := NewPool(1, 1)
	ran := 0
	_ = p.Submit("k", func(context.Context) { close(started); <-block; ran++ }) // running
	<-started
	_ = p.Submit("k", func(context.Context) { ran++ }) // queued
	if err := p.Submit("k", func(context.Context) { ran += 100 }); !errors.Is(err, ErrBusy) {
		t.Fatalf("third submit: %v, want ErrBusy", err)
	}
	close(block)
	p.Idle()
	_ = p.Close(context.Background())
	if ran != 2 {
		t.Fatalf("ran %d", ran)
	}
}
