package app_test

import (
	"encoding/json"
	"testing"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

// The fields of an object are remembered across requests only where no
// directive can change them (graph/collect.go): the same query text with
// @include, @skip and fragments answers each request by its own
// variables, however often and in whatever order it comes.
func TestDirectivesFollowEachRequestsVariables(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, _ *gorm.DB, url string) {
		a := apptest.New(t, url)
		tok := a.Login(t, ownerA)
		const query = `query($lines: Boolean!, $noNumber: Boolean!) { orders(first: 3) { nodes {
			id ...Numbered @skip(if: $noNumber) lines @include(if: $lines) { sku } ... on Order { packages { ...Tracked } } } } }
			fragment Numbered on Order { number }
			fragment Tracked on Package { trackingNumber }`
		for _, c := range []struct{ lines, noNumber bool }{{true, false}, {false, false}, {true, true}, {false, true}, {true, false}, {false, false}} {
			var got struct {
				Orders struct {
					Nodes []map[string]json.RawMessage `json:"nodes"`
				} `json:"orders"`
			}
			a.MustDo(t, tok, query, &got, map[string]any{"lines": c.lines, "noNumber": c.noNumber})
			if len(got.Orders.Nodes) != 3 {
				t.Fatalf("%+v: %d orders", c, len(got.Orders.Nodes))
			}
			for _, o := range got.Orders.Nodes {
				_, lines := o["lines"]
				_, number := o["number"]
				_, packages := o["packages"]
				if lines != c.lines || number == c.noNumber || !packages {
					b, _ := json.Marshal(o)
					t.Errorf("lines %v, skip number %v: answered %s", c.lines, c.noNumber, b)
				}
			}
		}
	})
}
