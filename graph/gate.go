package graph

import (
	"context"
	"runtime"
)

// Gate admits the work of at most a fixed number of requests at a time
// and has the others wait their turn, first come first served.
//
// A request's work is mostly waiting for PostgreSQL and then a burst of
// CPU, on a machine whose few cores the database shares. Let in all at
// once, sixty-four requests hold sixteen connections whose backends take
// turns on two cores, each woken cold for every statement, and the requests
// that wait for a connection wait in database/sql, which hands a freed one
// to a waiter picked at random: on this 2-core machine the buyer's read
// (W1) at 64 clients had a p99 of 44–47 ms, and 27–28 ms behind a gate of
// 4, at the same rate; at 16 clients the gate of 4 gave up to 13 % more
// buyers' reads and 11 % more pages of orders (README, Performance).
//
// Waiters queue on a channel send, which Go serves in the order the
// senders came. A nil Gate admits everyone.
type Gate struct{ slots chan struct{} }

// NewGate makes a gate of n slots; n of zero or less makes none (nil).
func NewGate(n int) *Gate {
	if n <= 0 {
		return nil
	}
	return &Gate{slots: make(chan struct{}, n)}
}

// DefaultInFlight is the gate's size when none is chosen: twice the
// processors Go runs on, at least 4; eight times when the hot reads go
// through a database.Multiplexer (multiplexed). It suits a database on the
// same machine or close to it; where every statement crosses a network, a
// request waits longer for each and more of them should be let in.
//
// Multiplexed, a request that reads waits in a pipeline that the others
// share rather than for a connection of its own, and the more requests are
// in, the more reads each pipeline carries: on the 2-core machine the
// buyer's read at 16 clients ran 5,471 requests/s behind a gate of 16
// against 3,799 unmultiplexed behind 4, and 32 gave no more; unmultiplexed,
// 16 gave no more than 4 and twice its p99 (README, Performance).
func DefaultInFlight(multiplexed bool) int {
	if multiplexed {
		return max(4, 8*runtime.GOMAXPROCS(0))
	}
	return max(4, 2*runtime.GOMAXPROCS(0))
}

// Enter waits for a slot, or until ctx ends (then it returns ctx's error
// and holds no slot). Every Enter that returns nil needs one Leave.
func (g *Gate) Enter(ctx context.Context) error {
	if g == nil {
		return nil
	}
	select {
	case g.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Leave frees the slot an Enter took.
func (g *Gate) Leave() {
	if g != nil {
		<-g.slots
	}
}
