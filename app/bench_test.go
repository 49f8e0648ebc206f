package app_test

import (
	"os"
	"testing"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
)

// benchDatabases runs a benchmark on SQLite and, with TEST_DATABASE_URL, on
// PostgreSQL, each on a fresh database with the demo data.
func benchDatabases(b *testing.B, fn func(b *testing.B, a *apptest.App)) {
	b.Run("sqlite", func(b *testing.B) {
		_, url := dbtest.SQLite(b)
		fn(b, apptest.New(b, url))
	})
	if os.Getenv(dbtest.EnvURL) != "" {
		b.Run("postgres", func(b *testing.B) {
			_, url := dbtest.Postgres(b)
			fn(b, apptest.New(b, url))
		})
	}
}

// benchProducts gives shop A two products with stock enough for any run.
func benchProducts(b *testing.B, a *apptest.App) (string, string) {
	owner := a.Login(b, ownerA)
	piece := mustTemplateTB(b, a, owner, templateIn("压测按件", map[string]any{"nonDeliveryRegionCodes": []string{"650000", "540000"}}))
	weight := mustTemplateTB(b, a, owner, map[string]any{"name": "压测按重", "shipFromRegionCode": "440305", "pricing": "BY_WEIGHT",
		"defaultRule": fee(1000, 1200, 500, 300)})
	p1 := mustProductTB(b, a, owner, productIn("压测一", 1000, 100_000_000, piece, spot))
	p2 := mustProductTB(b, a, owner, productIn("压测二", 2000, 100_000_000, weight, map[string]any{"mode": "PRESALE", "presaleDays": 5}))
	return p1, p2
}

func BenchmarkPlaceOrder(b *testing.B) {
	benchDatabases(b, func(b *testing.B, a *apptest.App) {
		p1, p2 := benchProducts(b, a)
		buy := a.Login(b, buyer)
		in := map[string]any{"in": orderIn("440305", item(p1, 2), item(p2, 1))}
		b.ResetTimer()
		for b.Loop() {
			res := a.Do(b, buy, placeOrder, in)
			if len(res.Errors) > 0 {
				b.Fatal(res.Errors)
			}
		}
	})
}

func BenchmarkFreightQuote(b *testing.B) {
	benchDatabases(b, func(b *testing.B, a *apptest.App) {
		p1, p2 := benchProducts(b, a)
		q := `query($in: FreightQuoteInput!) { freightQuote(input: $in) { total { cents } deliverable } }`
		in := map[string]any{"in": map[string]any{"items": []any{item(p1, 3), item(p2, 2)}, "regionCode": "650102"}}
		b.ResetTimer()
		for b.Loop() {
			res := a.Do(b, "", q, in)
			if len(res.Errors) > 0 {
				b.Fatal(res.Errors)
			}
		}
	})
}

// benchOrder places an order of one spot product for the benchmarks, with
// the timer stopped, and returns its id.
func benchOrder(b *testing.B, a *apptest.App, buy, product string) string {
	b.StopTimer()
	defer b.StartTimer()
	var r struct {
		PlaceOrder struct{ Order *struct{ ID string } }
	}
	a.MustDo(b, buy, placeOrder, &r, map[string]any{"in": orderIn("440305", item(product, 2))})
	if r.PlaceOrder.Order == nil {
		b.Fatal("no order placed")
	}
	return r.PlaceOrder.Order.ID
}

func BenchmarkShipOrder(b *testing.B) {
	benchDatabases(b, func(b *testing.B, a *apptest.App) {
		p1, _ := benchProducts(b, a)
		buy, shipper := a.Login(b, buyer), a.Login(b, shipA)
		n := 0
		for b.Loop() {
			id := benchOrder(b, a, buy, p1)
			n++
			if r := ship(b, a, shipper, map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(50000+n))}}); r.code() != "OK" {
				b.Fatal(r.ShipOrder.UserErrors)
			}
		}
	})
}

func BenchmarkAppendPackage(b *testing.B) {
	benchDatabases(b, func(b *testing.B, a *apptest.App) {
		p1, _ := benchProducts(b, a)
		buy, shipper := a.Login(b, buyer), a.Login(b, shipA)
		var id string
		n := 0
		for b.Loop() {
			if n%20 == 0 { // A1: at most 20 appended packages an order
				id = benchOrder(b, a, buy, p1)
				b.StopTimer()
				ship(b, a, shipper, map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(60000+n))}})
				b.StartTimer()
			}
			n++
			if r := appendOne(b, a, shipper, id, ytoNumber(60000+n)); r.code() != "OK" {
				b.Fatal(r.AppendPackages.UserErrors)
			}
		}
	})
}
