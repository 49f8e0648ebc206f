package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

// sfNumber makes a valid SF Express number from a serial.
func sfNumber(n int) string { return fmt.Sprintf("SF%013d", 1000000000000+n) }

// ztoNumber makes a valid ZTO number from a serial.
func ztoNumber(n int) string { return fmt.Sprintf("7%013d", n) }

const shipOrder = `mutation($in: ShipOrderInput!) { shipOrder(input: $in) {
	order { id status firstShippedAt shippedAt packages { kind trackingNumber lines { quantity orderLine { id } } } }
	packages { id trackingNumber }
	userErrors { code field message } } }`

type shipResp struct {
	ShipOrder struct {
		Order *struct {
			ID, Status                string
			FirstShippedAt, ShippedAt *time.Time
			Packages                  []struct {
				Kind, TrackingNumber string
				Lines                []struct {
					Quantity  int
					OrderLine struct{ ID string }
				}
			}
		}
		Packages   []struct{ ID, TrackingNumber string }
		UserErrors []userError
	}
}

func (r shipResp) code() string {
	if len(r.ShipOrder.UserErrors) == 0 {
		return "OK"
	}
	return r.ShipOrder.UserErrors[0].Code
}

// newOrder has the buyer place an order of shop A with two lines (2 and 1
// units) and returns its id and line ids.
// orderNumber is the number of the order with global id gid.
func orderNumber(t testing.TB, db *gorm.DB, gid string) string {
	t.Helper()
	var number string
	if err := db.Raw("SELECT number FROM orders WHERE id = ?", strings.TrimPrefix(gid, "gid://fahuo/Order/")).Scan(&number).Error; err != nil || number == "" {
		t.Fatalf("no order %s: %v", gid, err)
	}
	return number
}

func newOrder(t testing.TB, a *apptest.App, db *gorm.DB, buyerEmail string) (string, []string) {
	t.Helper()
	var p1, p2 string
	db.Raw("SELECT id FROM products WHERE sku = 'QC-5J'").Scan(&p1)
	db.Raw("SELECT id FROM products WHERE sku = 'PT-2C'").Scan(&p2)
	var r struct {
		PlaceOrder struct {
			Order *struct {
				ID    string
				Lines []struct{ ID string }
			}
			UserErrors []userError
		}
	}
	a.MustDo(t, a.Login(t, buyerEmail), `mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id lines { id } } userErrors { code } } }`,
		&r, map[string]any{"in": orderIn("440305", item("gid://fahuo/Product/"+p1, 2), item("gid://fahuo/Product/"+p2, 1))})
	if r.PlaceOrder.Order == nil {
		t.Fatalf("place: %+v", r.PlaceOrder.UserErrors)
	}
	var lines []string
	for _, l := range r.PlaceOrder.Order.Lines {
		lines = append(lines, l.ID)
	}
	return r.PlaceOrder.Order.ID, lines
}

func ship(t testing.TB, a *apptest.App, token string, in map[string]any) shipResp {
	t.Helper()
	var r shipResp
	a.MustDo(t, token, shipOrder, &r, map[string]any{"in": in})
	return r
}

func pkg(carrier, number string, lines ...map[string]any) map[string]any {
	p := map[string]any{"carrier": carrier, "trackingNumber": number}
	if len(lines) > 0 {
		p["lines"] = lines
	}
	return p
}

func line(id string, n int) map[string]any { return map[string]any{"orderLineId": id, "quantity": n} }

func TestShippingInPackages(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		id, lines := newOrder(t, a, db, buyer)
		start := a.Clock.Now()

		// First package: one unit of line 1. PARTIALLY_SHIPPED, firstShippedAt set.
		a.Clock.Advance(time.Hour)
		r := ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(1), line(lines[0], 1))}})
		if r.code() != "OK" || r.ShipOrder.Order.Status != "PARTIALLY_SHIPPED" || !r.ShipOrder.Order.FirstShippedAt.Equal(start.Add(time.Hour)) ||
			r.ShipOrder.Order.ShippedAt != nil || len(r.ShipOrder.Packages) != 1 {
			t.Fatalf("first package: %+v", r.ShipOrder)
		}
		// Too many units of line 1: QUANTITY_EXCEEDS_ORDERED, nothing changed.
		packages := countRows(t, db, "packages")
		r = ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{
			pkg("SF", sfNumber(2), line(lines[0], 2)), pkg("ZTO", ztoNumber(2), line(lines[1], 1))}})
		if r.code() != "QUANTITY_EXCEEDS_ORDERED" || !slices.Equal(r.ShipOrder.UserErrors[0].Field, []string{"input", "packages", "0", "lines", "0", "quantity"}) {
			t.Errorf("too many units: %+v", r.ShipOrder.UserErrors)
		}
		if countRows(t, db, "packages") != packages {
			t.Error("a refused shipment wrote packages")
		}
		// The rest in two packages, with a carrier named by its Chinese name
		// and a number typed loosely. SHIPPED; firstShippedAt does not move.
		a.Clock.Advance(time.Hour)
		r = ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{
			pkg("顺丰", " sf-"+sfNumber(3)[2:], line(lines[0], 1)), pkg("zhongtong", ztoNumber(3), line(lines[1], 1))}})
		if r.code() != "OK" || r.ShipOrder.Order.Status != "SHIPPED" || !r.ShipOrder.Order.FirstShippedAt.Equal(start.Add(time.Hour)) ||
			!r.ShipOrder.Order.ShippedAt.Equal(start.Add(2*time.Hour)) || len(r.ShipOrder.Order.Packages) != 3 {
			t.Fatalf("the rest: %+v", r.ShipOrder)
		}
		if got := r.ShipOrder.Packages[0].TrackingNumber; got != sfNumber(3) {
			t.Errorf("number stored as %q", got)
		}
		// The very same shipment again: the order as it stands, no error, nothing new.
		packages = countRows(t, db, "packages")
		again := ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{
			pkg("SF", sfNumber(3), line(lines[0], 1)), pkg("ZTO", ztoNumber(3), line(lines[1], 1))}})
		if again.code() != "OK" || again.ShipOrder.Order.Status != "SHIPPED" || len(again.ShipOrder.Packages) != 0 || countRows(t, db, "packages") != packages {
			t.Errorf("a repeated shipment: %+v", again.ShipOrder)
		}
		// A different number on a shipped order: the rule's code.
		if r := ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(4))}}); r.code() != "ORDER_ALREADY_SHIPPED" {
			t.Errorf("shipping a shipped order: %+v", r.ShipOrder.UserErrors)
		}
		var events int64
		db.Table("order_events").Where("order_id = ? AND action = 'ship'", id[len("gid://fahuo/Order/"):]).Count(&events)
		if events != 3 {
			t.Errorf("%d ship events in the history, want 3", events)
		}
	})
}

func TestShippingRefusals(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		id, lines := newOrder(t, a, db, buyer)
		other, _ := newOrder(t, a, db, buyer2)
		ship(t, a, shipper, map[string]any{"orderId": other, "packages": []any{pkg("SF", sfNumber(50))}})
		var otherLine string
		db.Raw("SELECT id FROM order_lines WHERE order_id = ? LIMIT 1", other[len("gid://fahuo/Order/"):]).Scan(&otherLine)
		packages, claims := countRows(t, db, "packages"), countRows(t, db, "waybills")
		for _, c := range []struct {
			name  string
			pkgs  []any
			code  string
			field []string
		}{
			{"unknown carrier", []any{pkg("飞鸽传书", sfNumber(1))}, "UNKNOWN_CARRIER", []string{"input", "packages", "0", "carrier"}},
			{"number of another carrier", []any{pkg("JD", sfNumber(1))}, "INVALID_TRACKING_NUMBER", []string{"input", "packages", "0", "trackingNumber"}},
			{"malformed number", []any{pkg("SF", "SF123")}, "INVALID_TRACKING_NUMBER", []string{"input", "packages", "0", "trackingNumber"}},
			{"another buyer's number", []any{pkg("SF", sfNumber(50))}, "TRACKING_NUMBER_IN_USE", []string{"input", "packages", "0", "trackingNumber"}},
			{"one number twice", []any{pkg("SF", sfNumber(5), line(lines[0], 1)), pkg("SF", sfNumber(5), line(lines[1], 1))}, "TRACKING_NUMBER_IN_USE", []string{"input", "packages", "1", "trackingNumber"}},
			{"a line of another order", []any{pkg("SF", sfNumber(6), line("gid://fahuo/OrderLine/"+otherLine, 1)), pkg("SF", sfNumber(7), line(lines[1], 1))}, "INVALID_ARGUMENT", []string{"input", "packages", "0", "lines", "0", "orderLineId"}},
			{"zero units", []any{pkg("SF", sfNumber(6), line(lines[0], 0))}, "INVALID_ARGUMENT", []string{"input", "packages", "0", "lines", "0", "quantity"}},
			{"a package without lines among several", []any{pkg("SF", sfNumber(6)), pkg("SF", sfNumber(7), line(lines[1], 1))}, "INVALID_ARGUMENT", []string{"input", "packages", "0", "lines"}},
			{"no packages", []any{}, "INVALID_ARGUMENT", []string{"input", "packages"}},
		} {
			r := ship(t, a, shipper, map[string]any{"orderId": id, "packages": c.pkgs})
			if r.code() != c.code || !slices.Equal(r.ShipOrder.UserErrors[0].Field, c.field) || r.ShipOrder.Order != nil {
				t.Errorf("%s: %+v, want %s at %v", c.name, r.ShipOrder.UserErrors, c.code, c.field)
			}
		}
		if countRows(t, db, "packages") != packages || countRows(t, db, "waybills") != claims {
			t.Error("refused shipments changed packages or claims")
		}
		// Another shop's order, by id and by number: not found.
		var bOrder string
		db.Raw("SELECT number FROM orders WHERE shop_id = (SELECT id FROM shops WHERE name = '山野茶舍') AND status = 'PENDING_SHIPMENT' LIMIT 1").Scan(&bOrder)
		if r := ship(t, a, shipper, map[string]any{"orderNumber": bOrder, "packages": []any{pkg("SF", sfNumber(8))}}); r.code() != "NOT_FOUND" {
			t.Errorf("another shop's order: %+v", r.ShipOrder.UserErrors)
		}
		// A closed order.
		var closed string
		db.Raw("SELECT number FROM orders WHERE status = 'CLOSED' LIMIT 1").Scan(&closed)
		if r := ship(t, a, a.Login(t, ownerA), map[string]any{"orderNumber": closed, "packages": []any{pkg("SF", sfNumber(9))}}); r.code() != "ORDER_CLOSED" {
			t.Errorf("a closed order: %+v", r.ShipOrder.UserErrors)
		}
		// A viewer may not ship.
		if res := a.Do(t, a.Login(t, viewerA), shipOrder, map[string]any{"in": map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(10))}}}); !slices.Equal(res.Codes(), []string{"FORBIDDEN"}) {
			t.Errorf("viewer: %+v", res.Errors)
		}
	})
}

func TestMergedShipping(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		one, _ := newOrder(t, a, db, buyer)
		two, _ := newOrder(t, a, db, buyer)
		three, _ := newOrder(t, a, db, buyer2)
		// Same shop, buyer and address: one parcel for both orders.
		if r := ship(t, a, shipper, map[string]any{"orderId": one, "packages": []any{pkg("SF", sfNumber(1))}}); r.code() != "OK" {
			t.Fatal(r.ShipOrder.UserErrors)
		}
		if r := ship(t, a, shipper, map[string]any{"orderId": two, "packages": []any{pkg("SF", sfNumber(1))}}); r.code() != "OK" {
			t.Errorf("merged shipping: %+v", r.ShipOrder.UserErrors)
		}
		// Another buyer (a different address too): refused.
		if r := ship(t, a, shipper, map[string]any{"orderId": three, "packages": []any{pkg("SF", sfNumber(1))}}); r.code() != "TRACKING_NUMBER_IN_USE" {
			t.Errorf("another buyer: %+v", r.ShipOrder.UserErrors)
		}
		// The same buyer at another address: not one parcel, refused.
		var p1 string
		db.Raw("SELECT id FROM products WHERE sku = 'QC-5J'").Scan(&p1)
		elsewhere := orderIn("440305", item("gid://fahuo/Product/"+p1, 1))
		elsewhere["address"].(map[string]any)["detail"] = "科技园南区 2 栋"
		moved := place(t, a, a.Login(t, buyer), elsewhere)
		if moved.PlaceOrder.Order == nil {
			t.Fatalf("place: %+v", moved.PlaceOrder.UserErrors)
		}
		// Another shop's order of the same buyer and address: refused too.
		var lj string
		db.Raw("SELECT id FROM products WHERE sku = 'LJ-250'").Scan(&lj)
		otherShop := place(t, a, a.Login(t, buyer), orderIn("440305", item("gid://fahuo/Product/"+lj, 1)))
		if otherShop.PlaceOrder.Order == nil {
			t.Fatalf("place in shop B: %+v", otherShop.PlaceOrder.UserErrors)
		}
		packages := countRows(t, db, "packages")
		for _, c := range []struct{ name, token, order string }{
			{"the same buyer at another address", shipper, moved.PlaceOrder.Order.ID},
			{"another shop", a.Login(t, ownerB), otherShop.PlaceOrder.Order.ID},
		} {
			if r := ship(t, a, c.token, map[string]any{"orderId": c.order, "packages": []any{pkg("SF", sfNumber(1))}}); r.code() != "TRACKING_NUMBER_IN_USE" {
				t.Errorf("%s: %+v", c.name, r.ShipOrder.UserErrors)
			}
		}
		if got := countRows(t, db, "packages"); got != packages {
			t.Errorf("refused shipments added %d packages", got-packages)
		}
	})
}

// Two parallel shipOrder calls for all that remains of one order: one wins,
// the other gets a code, and no unit ships twice.
func TestParallelShipmentsOfOneOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		for round := 0; round < 5; round++ {
			id, _ := newOrder(t, a, db, buyer)
			tokens := []string{a.Login(t, shipA), a.Login(t, ownerA)}
			codes := make([]string, 2)
			var wg sync.WaitGroup
			for i := range tokens {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					res := a.Do(t, tokens[i], shipOrder, map[string]any{"in": map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(100*round+i))}}})
					var r shipResp
					if len(res.Errors) > 0 || json.Unmarshal(res.Data, &r) != nil {
						codes[i] = fmt.Sprint(res.Codes())
						return
					}
					codes[i] = r.code()
				}(i)
			}
			wg.Wait()
			slices.Sort(codes)
			if !slices.Equal(codes, []string{"OK", "ORDER_ALREADY_SHIPPED"}) {
				t.Errorf("round %d: %v", round, codes)
			}
			var units int64
			db.Raw(`SELECT COALESCE(SUM(pl.quantity), 0) FROM package_lines pl JOIN order_lines l ON l.id = pl.order_line_id WHERE l.order_id = ?`,
				id[len("gid://fahuo/Order/"):]).Scan(&units)
			if units != 3 {
				t.Errorf("round %d: %d units shipped, want 3", round, units)
			}
		}
	})
}

// The same tracking number sent for two different buyers' orders at once:
// one wins.
func TestParallelClaimsOfOneNumber(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		for round := 0; round < 5; round++ {
			orders := []string{}
			for _, b := range []string{buyer, buyer2} {
				id, _ := newOrder(t, a, db, b)
				orders = append(orders, id)
			}
			token := a.Login(t, shipA)
			var ins []map[string]any
			for _, id := range orders {
				ins = append(ins, map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(500+round))}})
			}
			codes := shipInParallel(t, a, token, ins)
			slices.Sort(codes)
			if !slices.Equal(codes, []string{"OK", "TRACKING_NUMBER_IN_USE"}) {
				t.Errorf("round %d: %v", round, codes)
			}
		}
	})
}

// Two orders of one buyer to one address may share a number (merged
// shipping) even when both shipments race: the one that loses the claim
// reads the winner's and shares it.
func TestParallelMergedShipmentsShareANumber(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		token := a.Login(t, shipA)
		for round := 0; round < 5; round++ {
			var ins []map[string]any
			for _, n := range pendingOrders(t, a, db, 2) {
				ins = append(ins, map[string]any{"orderNumber": n, "packages": []any{pkg("SF", sfNumber(700+round))}})
			}
			if codes := shipInParallel(t, a, token, ins); !slices.Equal(codes, []string{"OK", "OK"}) {
				t.Errorf("round %d: %v", round, codes)
			}
			var waybills, packages int64
			db.Raw("SELECT count(*) FROM waybills WHERE tracking_number = ?", sfNumber(700+round)).Scan(&waybills)
			db.Raw("SELECT count(*) FROM packages WHERE tracking_number = ?", sfNumber(700+round)).Scan(&packages)
			if waybills != 1 || packages != 2 {
				t.Errorf("round %d: %d waybills, %d packages", round, waybills, packages)
			}
		}
	})
}

// shipInParallel sends one shipOrder per input at once and returns each
// one's outcome: OK, the user error's code, or the top-level errors.
func shipInParallel(t *testing.T, a *apptest.App, token string, ins []map[string]any) []string {
	codes := make([]string, len(ins))
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			res := a.Do(t, token, shipOrder, map[string]any{"in": in})
			var r shipResp
			if len(res.Errors) > 0 || json.Unmarshal(res.Data, &r) != nil {
				codes[i] = fmt.Sprint(res.Codes())
				return
			}
			codes[i] = r.code()
		})
	}
	wg.Wait()
	return codes
}
