package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app"
	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

// Behind a gate of one, many clients at once wait their turn and each gets
// its own answer: authentication and GraphQL work each hold the one slot
// for a while and give it back, whether the request succeeds or not.
func TestRequestsWaitTheirTurnBehindTheGate(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		a := apptest.New(t, url, func(c *app.Config) { c.MaxInFlight = 1 })
		tokens := []string{a.Login(t, ownerA), a.Login(t, buyer), a.Login(t, buyer2)}
		read := func(tok string) ([]string, error) {
			res := a.Do(t, tok, ordersQuery, map[string]any{"first": 100})
			var p ordersPage
			if len(res.Errors) > 0 {
				return nil, fmt.Errorf("%v", res.Codes())
			}
			err := json.Unmarshal(res.Data, &p)
			return numbers(p.Orders.Nodes), err
		}
		// A slot that is not given back leaves the requests after it
		// waiting for ever: they run apart from the test, which gives
		// them a minute.
		done := make(chan struct{})
		go func() {
			defer close(done)
			var want [][]string
			for _, tok := range tokens {
				got, err := read(tok)
				if err != nil {
					t.Errorf("alone: %v", err)
					return
				}
				want = append(want, got)
			}
			var wg sync.WaitGroup
			for i := range 30 {
				wg.Go(func() {
					if i%5 == 4 {
						// Refused before any work: a token never issued.
						if res := a.Do(t, "fhs_never-issued", ordersQuery, nil); len(res.Errors) == 0 {
							t.Errorf("request %d: a made-up token was let in", i)
						}
						return
					}
					k := i % len(tokens)
					if got, err := read(tokens[k]); err != nil || !slices.Equal(got, want[k]) {
						t.Errorf("request %d: %v, %v", i, err, got)
					}
				})
			}
			wg.Wait()
			// Every slot was given back: one more request gets through.
			if got, err := read(tokens[0]); err != nil || !slices.Equal(got, want[0]) {
				t.Errorf("after the crowd: %v, %v", err, got)
			}
		}()
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatal("requests still waiting after a minute: a slot was not given back")
		}
	})
}
