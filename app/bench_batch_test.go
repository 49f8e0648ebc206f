package app_test

import (
	"fmt"
	"testing"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
)

// fiveThousandOrders places 5000 orders of shop A through the domain and
// returns their numbers.
func fiveThousandOrders(b *testing.B, a *apptest.App) []string {
	b.Helper()
	ctx := b.Context()
	var p1 string
	a.DB.Raw("SELECT id FROM products WHERE title = '压测一'").Scan(&p1)
	if p1 == "" {
		p1, _ = benchProducts(b, a)
	} else {
		p1 = "gid://fahuo/Product/" + p1
	}
	var pid int64
	fmt.Sscan(p1[len("gid://fahuo/Product/"):], &pid)
	var buyerActor fulfillment.Actor
	if _, act, err := a.Service.Login(ctx, buyer, fulfillment.DemoPassword); err != nil {
		b.Fatal(err)
	} else {
		buyerActor = act
	}
	numbers := make([]string, 5000)
	for i := range numbers {
		o, err := a.Service.PlaceOrder(ctx, buyerActor, fulfillment.PlaceOrderInput{
			Items:   []fulfillment.QuoteItem{{ProductID: pid, Quantity: 1}},
			Address: fulfillment.AddressInput{RecipientName: "张三", Phone: "13800138000", RegionCode: "440305", Detail: "科技园"},
		})
		if err != nil {
			b.Fatal(err)
		}
		numbers[i] = o.Number
	}
	return numbers
}

func shipperActor(b *testing.B, a *apptest.App) fulfillment.Actor {
	_, act, err := a.Service.Login(b.Context(), shipA, fulfillment.DemoPassword)
	if err != nil {
		b.Fatal(err)
	}
	return act
}

// BenchmarkBatchShip5000 ships 5000 orders in one batch; one op is one
// batch (the 5000 orders are placed outside the timer for each op).
func BenchmarkBatchShip5000(b *testing.B) {
	benchDatabases(b, func(b *testing.B, a *apptest.App) {
		shipper := shipperActor(b, a)
		run := 0
		for b.Loop() {
			b.StopTimer()
			numbers := fiveThousandOrders(b, a)
			rows := make([]fulfillment.BatchRow, len(numbers))
			for i, n := range numbers {
				rows[i] = fulfillment.BatchRow{OrderNumber: n, Carrier: "SF", TrackingNumber: sfNumber(run*10000 + i)}
			}
			run++
			if err := a.DB.Exec("ANALYZE").Error; err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			res, err := a.Service.BatchShipOrders(b.Context(), shipper, rows, "")
			if err != nil || res.Succeeded != 5000 {
				b.Fatalf("%v: %d succeeded", err, res.Succeeded)
			}
		}
	})
}

// BenchmarkBatchAppend5000 appends one package to each of 5000 shipped
// orders in one batch, through the whole GraphQL handler (W4). Run it with
// -benchtime=Nx, N ≤ 19: each run adds one append per order.
func BenchmarkBatchAppend5000(b *testing.B) {
	benchDatabases(b, func(b *testing.B, a *apptest.App) {
		numbers := fiveThousandOrders(b, a)
		shipper := shipperActor(b, a)
		rows := make([]fulfillment.BatchRow, len(numbers))
		for i, n := range numbers {
			rows[i] = fulfillment.BatchRow{OrderNumber: n, Carrier: "SF", TrackingNumber: sfNumber(i)}
		}
		if res, err := a.Service.BatchShipOrders(b.Context(), shipper, rows, ""); err != nil || res.Succeeded != 5000 {
			b.Fatalf("ship: %v", err)
		}
		if err := a.DB.Exec("ANALYZE").Error; err != nil {
			b.Fatal(err)
		}
		token := a.Login(b, shipA)
		run := 0
		b.ResetTimer()
		for b.Loop() {
			run++
			if run > models.MaxAppendedPackages {
				b.Fatal("more runs than appends an order may have")
			}
			list := make([]any, len(numbers))
			for i, n := range numbers {
				list[i] = row(n, "YTO", ytoNumber(run*10000+i))
			}
			p := decodeBatch(b, a.Do(b, token, batchAppend, map[string]any{"in": map[string]any{"rows": list}}), "batchAppendPackages")
			if p.Succeeded != 5000 {
				b.Fatalf("run %d: %d succeeded, %v", run, p.Succeeded, rowCodes(p)[:3])
			}
		}
	})
}
