package app_test

import (
	"os"
	"testing"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

// benchDatabases runs a benchmark on SQLite and, with TEST_DATABASE_URL, on
// PostgreSQL, each on a fresh database with the demo data.
func benchDatabases(b *testing.B, fn func(b *testing.B, a *apptest.App)) {
	benchDatabasesDB(b, func(b *testing.B, a *apptest.App, _ *gorm.DB) { fn(b, a) })
}

// benchDatabasesDB is benchDatabases for a benchmark that also sets data up
// through the database handle.
func benchDatabasesDB(b *testing.B, fn func(b *testing.B, a *apptest.App, db *gorm.DB)) {
	b.Run("sqlite", func(b *testing.B) {
		db, url := dbtest.SQLite(b)
		fn(b, apptest.New(b, url), db)
	})
	if os.Getenv(dbtest.EnvURL) != "" {
		b.Run("postgres", func(b *testing.B) {
			db, url := dbtest.Postgres(b)
			fn(b, apptest.New(b, url), db)
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

// BenchmarkBuyerOrder is W1 in process: the buyer reads one shipped order
// with its lines and packages, through the whole HTTP handler.
func BenchmarkBuyerOrder(b *testing.B) {
	benchDatabasesDB(b, func(b *testing.B, a *apptest.App, db *gorm.DB) {
		numbers := readOrders(b, a, db)
		buy := a.Login(b, buyer)
		vars := map[string]any{"n": numbers[1]}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if res := a.Do(b, buy, w1, vars); len(res.Errors) > 0 || len(res.Data) < 200 {
				b.Fatalf("%s %v", res.Data, res.Errors)
			}
		}
	})
}

// BenchmarkOrderPage50 is W2 in process: the merchant's first page of 50
// orders, half of them shipped in two packages.
func BenchmarkOrderPage50(b *testing.B) {
	benchDatabasesDB(b, func(b *testing.B, a *apptest.App, db *gorm.DB) {
		readOrders(b, a, db)
		owner := a.Login(b, ownerA)
		vars := map[string]any{"first": 50}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			if res := a.Do(b, owner, w2, vars); len(res.Errors) > 0 || len(res.Data) < 10000 {
				b.Fatalf("%.300s %v", res.Data, res.Errors)
			}
		}
	})
}
