package app_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

// orderFields is everything of an order that OrderDetail, behind
// order(number:), fills: the order, its lines, its packages and their lines.
const orderFields = `number status placedAt
	lines { id lineNumber quantity sku title }
	packages { id kind appendSequence carrier { code } trackingNumber status shippedAt lines { quantity orderLine { id sku } } }`

// One order read on its own (the order joined with its lines, its packages
// joined with theirs) answers exactly as the same order does in the order
// list, whose lines and packages come through the dataloaders: lines in line order,
// packages in the order they were made, shipments with their lines and
// appended packages with none. Another buyer still finds nothing.
func TestOneOrderReadsAsTheListDoes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		id, lines := newOrder(t, a, db, buyer)
		shipper := a.Login(t, shipA)
		if r := ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{
			pkg("ZTO", ztoNumber(71), line(lines[1], 1)), pkg("SF", sfNumber(71), line(lines[0], 2))}}); r.code() != "OK" {
			t.Fatalf("ship: %+v", r.ShipOrder.UserErrors)
		}
		if r := appendOne(t, a, shipper, id, ytoNumber(71)); r.code() != "OK" {
			t.Fatalf("append: %+v", r.AppendPackages.UserErrors)
		}
		number := orderNumber(t, db, id)

		read := func(token string) (one, listed json.RawMessage) {
			t.Helper()
			var o struct{ Order json.RawMessage }
			a.MustDo(t, token, `query($n: String) { order(number: $n) { `+orderFields+` } }`, &o, map[string]any{"n": number})
			var l struct {
				Orders struct{ Nodes []json.RawMessage }
			}
			a.MustDo(t, token, `query($n: String) { orders(first: 5, filter: { number: $n }) { nodes { `+orderFields+` } } }`, &l, map[string]any{"n": number})
			if len(l.Orders.Nodes) != 1 {
				t.Fatalf("the list holds %d orders numbered %s", len(l.Orders.Nodes), number)
			}
			return o.Order, l.Orders.Nodes[0]
		}
		for _, who := range []string{ownerA, buyer} {
			one, listed := read(a.Login(t, who))
			if !bytes.Equal(one, listed) {
				t.Errorf("%s: the order alone\n%s\nand in the list\n%s", who, one, listed)
			}
			var o struct {
				Lines    []struct{ LineNumber int }
				Packages []struct {
					Kind  string
					Lines []struct{ Quantity int }
				}
			}
			if err := json.Unmarshal(one, &o); err != nil {
				t.Fatal(err)
			}
			if len(o.Lines) != 2 || o.Lines[0].LineNumber != 1 || o.Lines[1].LineNumber != 2 {
				t.Errorf("%s: lines %+v", who, o.Lines)
			}
			if len(o.Packages) != 3 || o.Packages[0].Kind != "SHIPMENT" || len(o.Packages[0].Lines) != 1 ||
				o.Packages[1].Kind != "SHIPMENT" || len(o.Packages[1].Lines) != 1 ||
				o.Packages[2].Kind != "APPENDED" || len(o.Packages[2].Lines) != 0 {
				t.Errorf("%s: packages %+v", who, o.Packages)
			}
		}
		var theirs struct{ Order *json.RawMessage }
		a.MustDo(t, a.Login(t, buyer2), `query($n: String) { order(number: $n) { `+orderFields+` } }`, &theirs, map[string]any{"n": number})
		if theirs.Order != nil {
			t.Errorf("another buyer read the order: %s", *theirs.Order)
		}
	})
}

// Order numbers are unique within a shop only. The platform, which reads
// every shop, gets one order for a number two shops share, with that
// order's own lines, never a mix of both.
func TestOneOrderForANumberTwoShopsShare(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		id, _ := newOrder(t, a, db, buyer)
		var lj string
		db.Raw("SELECT id FROM products WHERE sku = 'LJ-250'").Scan(&lj)
		other := place(t, a, a.Login(t, buyer), orderIn("440305", item("gid://fahuo/Product/"+lj, 1)))
		if other.PlaceOrder.Order == nil {
			t.Fatalf("place in shop B: %+v", other.PlaceOrder.UserErrors)
		}
		number := orderNumber(t, db, id)
		if err := db.Exec("UPDATE orders SET number = ? WHERE id = ?", number, other.PlaceOrder.Order.ID[len("gid://fahuo/Order/"):]).Error; err != nil {
			t.Fatal(err)
		}
		var o struct {
			Order *struct {
				ID    string
				Lines []struct{ SKU string }
			}
		}
		a.MustDo(t, a.Login(t, platfm), `query($n: String) { order(number: $n) { id lines { sku } } }`, &o, map[string]any{"n": number})
		if o.Order == nil {
			t.Fatal("the platform found no order")
		}
		want := 2
		if o.Order.ID == other.PlaceOrder.Order.ID {
			want = 1
		}
		if len(o.Order.Lines) != want {
			t.Errorf("order %s has %d lines, want %d: %+v", o.Order.ID, len(o.Order.Lines), want, o.Order.Lines)
		}
	})
}
