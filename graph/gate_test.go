package graph

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"
)

// A gate of n lets n in at once, lets the others in one by one as slots
// free, in the order they came, and lets a waiter whose request ends go
// without a slot.
func TestGateAdmitsInTurn(t *testing.T) {
	ctx := t.Context()
	g := NewGate(2)
	for range 2 {
		if err := g.Enter(ctx); err != nil {
			t.Fatal(err)
		}
	}
	admitted := make(chan int, 3)
	for i := range 3 {
		go func() {
			if err := g.Enter(ctx); err != nil {
				t.Error(err)
				return
			}
			admitted <- i
		}()
		// Each waits before the next comes.
		waitFor(t, func() bool { return len(g.slots) == 2 && waitingInEnter() == i+1 })
	}
	select {
	case i := <-admitted:
		t.Fatalf("waiter %d let in while both slots were held", i)
	case <-time.After(20 * time.Millisecond):
	}
	for want := range 3 {
		g.Leave()
		if got := <-admitted; got != want {
			t.Fatalf("let in waiter %d, want %d (first come, first served)", got, want)
		}
	}

	gone, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- g.Enter(gone) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("a waiter whose request ended: %v", err)
	}
	if len(g.slots) != 2 {
		t.Fatalf("%d slots held, want the 2 still held", len(g.slots))
	}

	var none *Gate
	if err := none.Enter(ctx); err != nil || NewGate(0) != nil {
		t.Fatal("no gate should admit everyone")
	}
	none.Leave()
}

// waitingInEnter counts the goroutines blocked in Gate.Enter, from the
// stacks of all goroutines (the test has one gate at a time).
func waitingInEnter() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "[select") && strings.Contains(g, "graph.(*Gate).Enter") {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(time.Millisecond)
	}
}
