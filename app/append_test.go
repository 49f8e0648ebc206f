package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

const appendPackages = `mutation($in: AppendPackagesInput!) { appendPackages(input: $in) {
	order { id packages { kind appendSequence trackingNumber } } packages { id appendSequence }
	userErrors { code field message } } }`

type appendResp struct {
	AppendPackages struct {
		Order *struct {
			ID       string
			Packages []struct {
				Kind           string
				AppendSequence *int
				TrackingNumber string
			}
		}
		Packages []struct {
			ID             string
			AppendSequence int
		}
		UserErrors []userError
	}
}

func (r appendResp) code() string {
	if len(r.AppendPackages.UserErrors) == 0 {
		return "OK"
	}
	return r.AppendPackages.UserErrors[0].Code
}

func appendOne(t testing.TB, a *apptest.App, token, orderID, number string) appendResp {
	t.Helper()
	var r appendResp
	a.MustDo(t, token, appendPackages, &r, map[string]any{"in": map[string]any{"orderId": orderID, "packages": []any{pkg("YTO", number)}}})
	return r
}

// ytoNumber makes a valid YTO number from a serial.
func ytoNumber(n int) string { return fmt.Sprintf("YT%013d", 7000000000000+n) }

// shippedOrder places and fully ships an order, and returns its id.
func shippedOrder(t testing.TB, a *apptest.App, db *gorm.DB, n int) string {
	t.Helper()
	id, _ := newOrder(t, a, db, buyer)
	if r := ship(t, a, a.Login(t, shipA), map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(9000+n))}}); r.code() != "OK" {
		t.Fatalf("ship: %+v", r.ShipOrder.UserErrors)
	}
	return id
}

func TestAppendingPackages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		pending, _ := newOrder(t, a, db, buyer)
		if r := appendOne(t, a, shipper, pending, ytoNumber(1)); r.code() != "ORDER_NOT_SHIPPED" {
			t.Errorf("pending: %+v", r.AppendPackages.UserErrors)
		}
		partial, lines := newOrder(t, a, db, buyer)
		ship(t, a, shipper, map[string]any{"orderId": partial, "packages": []any{pkg("SF", sfNumber(1), line(lines[0], 1))}})
		if r := appendOne(t, a, shipper, partial, ytoNumber(2)); r.code() != "ORDER_PARTIALLY_SHIPPED" {
			t.Errorf("partially shipped: %+v", r.AppendPackages.UserErrors)
		}
		var closed string
		db.Raw("SELECT number FROM orders WHERE status = 'CLOSED' LIMIT 1").Scan(&closed)
		var r appendResp
		a.MustDo(t, shipper, appendPackages, &r, map[string]any{"in": map[string]any{"orderNumber": closed, "packages": []any{pkg("YTO", ytoNumber(3))}}})
		if r.code() != "ORDER_CLOSED" {
			t.Errorf("closed: %+v", r.AppendPackages.UserErrors)
		}
		id := shippedOrder(t, a, db, 1)
		// Appended packages carry no lines: the schema has no field for them.
		res := a.Do(t, shipper, appendPackages, map[string]any{"in": map[string]any{"orderId": id, "packages": []any{
			map[string]any{"carrier": "YTO", "trackingNumber": ytoNumber(4), "lines": []any{}}}}})
		if !slices.Equal(res.Codes(), []string{"GRAPHQL_VALIDATION_FAILED"}) {
			t.Errorf("lines on an appended package: %+v", res.Errors)
		}

		// The 20th passes, the 21st fails, and nothing of it is written.
		for i := 1; i <= 20; i++ {
			r := appendOne(t, a, shipper, id, ytoNumber(100+i))
			if r.code() != "OK" || r.AppendPackages.Packages[0].AppendSequence != i {
				t.Fatalf("append %d: %+v", i, r.AppendPackages)
			}
		}
		packages, claims := countRows(t, db, "packages"), countRows(t, db, "waybills")
		if r := appendOne(t, a, shipper, id, ytoNumber(121)); r.code() != "APPEND_LIMIT_REACHED" {
			t.Errorf("the 21st: %+v", r.AppendPackages.UserErrors)
		}
		if countRows(t, db, "packages") != packages || countRows(t, db, "waybills") != claims {
			t.Error("the refused 21st changed packages or claims")
		}
		// A number already on the order, and one of another order.
		other := shippedOrder(t, a, db, 2)
		if r := appendOne(t, a, shipper, other, ytoNumber(101)); r.code() != "OK" {
			// Same buyer and address: merged shipping allows sharing.
			t.Errorf("a number shared by the same buyer's orders: %+v", r.AppendPackages.UserErrors)
		}
		if r := appendOne(t, a, shipper, other, ytoNumber(101)); r.code() != "TRACKING_NUMBER_IN_USE" {
			t.Errorf("twice on one order: %+v", r.AppendPackages.UserErrors)
		}
		// A6: S2 and S4 hold for appended packages too, and a refusal
		// writes nothing.
		theirs, _ := newOrder(t, a, db, buyer2)
		if r := ship(t, a, shipper, map[string]any{"orderId": theirs, "packages": []any{pkg("SF", sfNumber(9100))}}); r.code() != "OK" {
			t.Fatalf("ship another buyer's order: %+v", r.ShipOrder.UserErrors)
		}
		packages, claims = countRows(t, db, "packages"), countRows(t, db, "waybills")
		for _, c := range []struct {
			name, carrier, number, code string
		}{
			{"another buyer's number", "YTO", ytoNumber(101), "TRACKING_NUMBER_IN_USE"},
			{"an unknown carrier", "飞鸽", ytoNumber(300), "UNKNOWN_CARRIER"},
			{"a number YTO does not issue", "YTO", "YT1", "INVALID_TRACKING_NUMBER"},
		} {
			var r appendResp
			a.MustDo(t, shipper, appendPackages, &r, map[string]any{"in": map[string]any{"orderId": theirs, "packages": []any{pkg(c.carrier, c.number)}}})
			if r.code() != c.code {
				t.Errorf("%s: %+v, want %s", c.name, r.AppendPackages.UserErrors, c.code)
			}
		}
		if countRows(t, db, "packages") != packages || countRows(t, db, "waybills") != claims {
			t.Error("a refused append changed packages or claims")
		}
	})
}

func TestAppendWindow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		id := shippedOrder(t, a, db, 1)
		shippedAt := a.Clock.Now()
		a.Clock.Set(shippedAt.Add(30 * 24 * time.Hour))
		shipper := a.Login(t, shipA)
		if r := appendOne(t, a, shipper, id, ytoNumber(1)); r.code() != "OK" {
			t.Errorf("at 30 days: %+v", r.AppendPackages.UserErrors)
		}
		a.Clock.Set(shippedAt.Add(30*24*time.Hour + time.Second))
		shipper = a.Login(t, shipA)
		packages := countRows(t, db, "packages")
		if r := appendOne(t, a, shipper, id, ytoNumber(2)); r.code() != "APPEND_WINDOW_EXPIRED" {
			t.Errorf("30 days and a second: %+v", r.AppendPackages.UserErrors)
		}
		if countRows(t, db, "packages") != packages {
			t.Error("an append after the window wrote a package")
		}
	})
}

// Fifty parallel appends to one order leave exactly twenty.
func TestParallelAppendsStopAtTwenty(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		id := shippedOrder(t, a, db, 1)
		token := a.Login(t, shipA)
		const callers = 50
		var wg sync.WaitGroup
		codes := make(chan string, callers)
		for i := 0; i < callers; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				res := a.Do(t, token, appendPackages, map[string]any{"in": map[string]any{"orderId": id, "packages": []any{pkg("YTO", ytoNumber(i))}}})
				var r appendResp
				if len(res.Errors) > 0 || json.Unmarshal(res.Data, &r) != nil {
					codes <- fmt.Sprint(res.Codes())
					return
				}
				codes <- r.code()
			}(i)
		}
		wg.Wait()
		close(codes)
		count := map[string]int{}
		for c := range codes {
			count[c]++
		}
		if count["OK"] != 20 || count["APPEND_LIMIT_REACHED"] != 30 {
			t.Errorf("outcomes %v, want 20 OK and 30 APPEND_LIMIT_REACHED", count)
		}
		var seqs []int
		db.Raw("SELECT append_seq FROM packages WHERE order_id = ? AND kind = 'APPENDED' ORDER BY append_seq", id[len("gid://fahuo/Order/"):]).Scan(&seqs)
		want := make([]int, 20)
		for i := range want {
			want[i] = i + 1
		}
		if !slices.Equal(seqs, want) {
			t.Errorf("append sequence %v", seqs)
		}
	})
}
