package fulfillment

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/fahuo/fahuo/clock"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// The hand-written column lists name every column of their model, and scan
// each row into what gorm's own read of it gives, optional fields set or
// not, and null-safe from the missing side of an outer join.
func TestColumnsReadWhatGormReads(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		checkNames(t, db, orderColumns, &models.Order{})
		checkNames(t, db, orderLineColumns, &models.OrderLine{})
		checkNames(t, db, packageColumns, &models.Package{})

		// The demo's orders, lines and packages, and two orders of every
		// optional field set and none.
		svc := New(db, clock.System{}, DefaultSettings(), slog.New(slog.DiscardHandler))
		_, _, err := svc.SeedDemo(t.Context())
		noErr(t, err)
		var product struct{ ID, ShopID int64 }
		noErr(t, db.Raw("SELECT id, shop_id FROM products ORDER BY id LIMIT 1").Scan(&product).Error)
		at := time.Date(2026, 11, 25, 10, 30, 15, 123456000, time.UTC)
		later := at.Add(36 * time.Hour)
		seq := int64(3)
		shop := models.Shop{ID: product.ShopID}
		buyer := models.User{Email: "col@example.com", Name: "买家", PasswordHash: "x", Role: models.RoleBuyer, CreatedAt: at}
		noErr(t, db.Create(&buyer).Error)
		full := models.Order{ShopID: shop.ID, Number: "C1", BuyerID: buyer.ID, Status: models.OrderShipped, RecipientName: "张三",
			RecipientPhone: "13800138000", RegionCode: "440305", RegionName: "广东省 深圳市 南山区", AddressDetail: "科技园 1 号",
			ShipFromRegion: "440300", Currency: "CNY", FreightCents: 800, TotalCents: 12800, PaidAt: at, PromisedShipBy: later,
			FirstShippedAt: &at, ShippedAt: &later, DeliveredAt: &later, ClosedAt: &later, RefundStatus: models.RefundRequested,
			RefundReason: "不想要了", RefundRequestedAt: &later, CreatedAt: at, UpdatedAt: later}
		bare := models.Order{ShopID: shop.ID, Number: "C2", BuyerID: buyer.ID, Status: models.OrderPendingShipment, Currency: "CNY",
			PaidAt: at, PromisedShipBy: later, RefundStatus: models.RefundNone, CreatedAt: at, UpdatedAt: at}
		noErr(t, db.Create(&full).Error)
		noErr(t, db.Create(&bare).Error)
		noErr(t, db.Create(&[]models.OrderLine{
			{ShopID: shop.ID, OrderID: full.ID, LineNo: 1, ProductID: product.ID, SKU: "S-1", Title: "礼盒", Quantity: 2, UnitPriceCents: 6000,
				SpotQuantity: 1, PromisedShipBy: &later},
			{ShopID: shop.ID, OrderID: full.ID, LineNo: 2, ProductID: product.ID, SKU: "S-2", Title: "茶", Quantity: 1, UnitPriceCents: 800},
		}).Error)
		noErr(t, db.Create(&[]models.Package{
			{ShopID: shop.ID, OrderID: full.ID, Kind: models.PackageShipment, CarrierCode: "SF", TrackingNumber: "SF1", Status: models.PackageAwaitingPickup,
				ShippedAt: at, InterceptStatus: models.InterceptNone, CreatedAt: at},
			{ShopID: shop.ID, OrderID: full.ID, Kind: models.PackageAppended, AppendSeq: &seq, CarrierCode: "YTO", TrackingNumber: "YT2",
				Status: models.PackageDelivered, ShippedAt: at, DeliveredAt: &later, InterceptStatus: models.InterceptRequired,
				PickedUpAt: &at, StatusAt: &later, CreatedAt: later},
		}).Error)

		checkRows(t, db, orderColumns, "id")
		checkRows(t, db, orderLineColumns, "id")
		checkRows(t, db, packageColumns, "id")

		// On PostgreSQL the one-statement order detail reads what the
		// two statements read, for every order: shipped in packages with
		// lines, with appended packages, with none; through the pool, and
		// through a multiplexer, whose driver hands the JSON over its own
		// way.
		if database.DialectOf(db) == database.Postgres {
			m, err := database.OpenMultiplexer(url, database.MultiplexOptions{})
			noErr(t, err)
			defer m.Close()
			multiplexed := New(db, clock.System{}, DefaultSettings(), slog.New(slog.DiscardHandler))
			multiplexed.UseMultiplexer(m)
			var ids []int64
			noErr(t, db.Raw("SELECT id FROM orders ORDER BY id").Scan(&ids).Error)
			withPackages := 0
			for _, id := range ids {
				q := func() *gorm.DB { return db.Where("orders.id = ?", id) }
				platform := Actor{Kind: ActorUser, UserID: 1, Role: models.RolePlatform}
				got, found, err := svc.orderDetailJSON(context.Background(), platform, OrderRef{ID: id})
				noErr(t, err)
				gotM, foundM, err := multiplexed.orderDetailJSON(context.Background(), platform, OrderRef{ID: id})
				noErr(t, err)
				o, lines, _, err := withLines(q())
				noErr(t, err)
				k := KeyOf(o)
				pkgs, plines, err := svc.PackagesWithLines(t.Context(), platform, []Key{k})
				noErr(t, err)
				want := OrderDetail{Order: o, Lines: lines, Packages: pkgs[k], PackageLines: plines}
				if !found || !reflect.DeepEqual(got, want) {
					t.Errorf("order %d in one statement:\n%+v\nin two:\n%+v", id, got, want)
				}
				if !foundM || !reflect.DeepEqual(gotM, want) {
					t.Errorf("order %d in one statement, multiplexed:\n%+v\nin two:\n%+v", id, gotM, want)
				}
				if len(want.Packages) > 0 {
					withPackages++
				}
			}
			if withPackages < 3 {
				t.Errorf("only %d orders with packages compared", withPackages)
			}
			if s := m.Stats(); s.Reads != int64(len(ids)) {
				t.Errorf("%d reads multiplexed, want %d", s.Reads, len(ids))
			}
		}

		// The order without lines comes with a line of zero id.
		rows, err := db.Table("orders").Select(orderWithLineColumns.list).
			Joins("LEFT JOIN order_lines ON order_lines.order_id = orders.id").Where("orders.id = ?", bare.ID).Rows()
		noErr(t, err)
		got, err := scanRows(rows, orderWithLineColumns, nil)
		noErr(t, err)
		var want models.Order
		noErr(t, db.First(&want, bare.ID).Error)
		if len(got) != 1 || !reflect.DeepEqual(got[0].Order, want) || !reflect.DeepEqual(got[0].Line, models.OrderLine{}) {
			t.Errorf("an order without lines read as %+v", got)
		}
	})
}

func noErr(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// checkNames checks that c names every column of model, each once.
func checkNames[T any](t *testing.T, db *gorm.DB, c columns[T], model any) {
	t.Helper()
	stmt := &gorm.Statement{DB: db}
	noErr(t, stmt.Parse(model))
	want := slices.Sorted(slices.Values(stmt.Schema.DBNames))
	got := slices.Sorted(slices.Values(c.names))
	if !slices.Equal(got, want) || len(c.dests(new(T))) != len(c.names) {
		t.Errorf("%s: the list names %v, the model has %v (%d destinations)", c.table, got, want, len(c.dests(new(T))))
	}
}

// checkRows reads every row of c's table by c and by gorm and compares.
func checkRows[T any](t *testing.T, db *gorm.DB, c columns[T], order string) {
	t.Helper()
	rows, err := db.Table(c.table).Select(c.list).Order(order).Rows()
	noErr(t, err)
	got, err := scanRows(rows, c, nil)
	noErr(t, err)
	var want []T
	noErr(t, db.Order(order).Find(&want).Error)
	if len(want) < 2 || !reflect.DeepEqual(got, want) {
		t.Errorf("%s by hand:\n%+v\nby gorm:\n%+v", c.table, got, want)
	}
}

// A JSON value that does not fit its column is an error, not a zero;
// strings are unescaped, null goes into a pointer as nil.
func TestJSONValuesIntoColumns(t *testing.T) {
	var n int64
	var kind models.PackageKind
	var at time.Time
	var s string
	for _, c := range []struct {
		dest any
		text string
	}{{&n, `"1"`}, {&n, `1.5`}, {&n, `99999999999999999999`}, {&n, `-`}, {&n, `nul`}, {&kind, `1`},
		{&at, `"yesterday"`}, {&at, `null`}, {&s, `"open`}, {&s, `"\x"`}, {&s, `true`}, {&s, ``}} {
		if err := (&jsonReader{src: []byte(c.text)}).set(c.dest); err == nil {
			t.Errorf("%s into %T: no error", c.text, c.dest)
		}
	}
	seq := new(int64)
	r := &jsonReader{src: []byte(` [null, "SHIPMENT", "a\"\u4e2d\n", -12, 123456789012345678, "2026-11-25T15:50:00.5+08:00"] `)}
	var big int64
	noErr(t, r.values(&seq, &kind, &s, &n, &big, &at))
	noErr(t, r.end())
	want := time.Date(2026, 11, 25, 7, 50, 0, 5e8, time.UTC)
	if seq != nil || kind != models.PackageShipment || s != "a\"中\n" || n != -12 || big != 123456789012345678 || !at.Equal(want) || at.Location() != time.Local {
		t.Errorf("read %v %v %q %d %d %v", seq, kind, s, n, big, at)
	}
}

// Rows of the wrong length, and text that is not one JSON array, are
// errors.
func TestJSONRowsRefuseMalformedText(t *testing.T) {
	read := func(text string) ([]models.OrderLine, error) {
		r := &jsonReader{src: []byte(text)}
		rows, err := readRows(r, orderLineColumns, nil)
		if err == nil {
			err = r.end()
		}
		return rows, err
	}
	line := `[1, 2, 3, 1, 5, "S", "gift", 1, 100, 0, null]`
	if rows, err := read("[" + line + "," + line + "]"); err != nil || len(rows) != 2 || rows[1].Title != "gift" {
		t.Fatalf("two lines: %+v, %v", rows, err)
	}
	for _, text := range []string{`[` + line, `[` + line + `] x`, `[[1, 2]]`, `[` + line[:len(line)-1] + `, 7]]`, `{}`, `[` + line + ` ` + line + `]`, `[,` + line + `]`} {
		if rows, err := read(text); err == nil {
			t.Errorf("%s: read %+v", text, rows)
		}
	}
}
