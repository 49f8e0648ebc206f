package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"gorm.io/gorm"
)

const batchShip = `mutation($in: BatchInput!) { batchShipOrders(input: $in) {
	total succeeded failed rows { index line orderNumber ok package { trackingNumber } userErrors { code field } }
	userErrors { code field message } } }`

const batchAppend = `mutation($in: BatchInput!) { batchAppendPackages(input: $in) {
	total succeeded failed rows { index line orderNumber ok package { appendSequence } userErrors { code } }
	userErrors { code field message } } }`

type batchRow struct {
	Index       int
	Line        *int
	OrderNumber string
	OK          bool
	Package     *struct {
		TrackingNumber string
		AppendSequence *int
	}
	UserErrors []userError
}

type batchPayload struct {
	Total, Succeeded, Failed int
	Rows                     []batchRow
	UserErrors               []userError
}

func decodeBatch(t testing.TB, res apptest.Result, field string) batchPayload {
	t.Helper()
	if len(res.Errors) > 0 {
		t.Fatalf("batch: %+v", res.Errors)
	}
	var m map[string]batchPayload
	if err := json.Unmarshal(res.Data, &m); err != nil {
		t.Fatal(err)
	}
	return m[field]
}

func rowCodes(p batchPayload) []string {
	var out []string
	for _, r := range p.Rows {
		out = append(out, codeOf(r.UserErrors))
	}
	return out
}

// pendingOrders places n orders of shop A for the buyer and returns their numbers.
func pendingOrders(t testing.TB, a *apptest.App, db *gorm.DB, n int) []string {
	t.Helper()
	var numbers []string
	for i := 0; i < n; i++ {
		id, _ := newOrder(t, a, db, buyer)
		num := orderNumber(t, db, id)
		numbers = append(numbers, num)
	}
	return numbers
}

func row(order, carrier, number string) map[string]any {
	return map[string]any{"orderNumber": order, "carrier": carrier, "trackingNumber": number}
}

func TestBatchShipRowByRow(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		n := pendingOrders(t, a, db, 4)
		var shopB string
		db.Raw("SELECT number FROM orders WHERE shop_id = (SELECT id FROM shops WHERE name = '山野茶舍') LIMIT 1").Scan(&shopB)
		rows := []any{
			row(n[0], "SF", sfNumber(1)),
			row("000000", "SF", sfNumber(2)),
			row(n[1], "飞鸽", sfNumber(3)),
			row(n[1], "SF", "SF1"),
			row(n[1], "shunfeng", sfNumber(4)),
			row(n[1], "SF", sfNumber(5)),
			row(n[2], "SF", sfNumber(1)), // merged: same buyer and address as n[0]
			row(shopB, "SF", sfNumber(6)),
			row(n[0], "SF", sfNumber(1)), // a duplicate of row 0 in the same file: refused
		}
		p := decodeBatch(t, a.Do(t, shipper, batchShip, map[string]any{"in": map[string]any{"rows": rows}}), "batchShipOrders")
		want := []string{"OK", "NOT_FOUND", "UNKNOWN_CARRIER", "INVALID_TRACKING_NUMBER", "OK", "ORDER_ALREADY_SHIPPED", "OK", "NOT_FOUND", "TRACKING_NUMBER_IN_USE"}
		if got := rowCodes(p); !slices.Equal(got, want) {
			t.Errorf("rows %v, want %v", got, want)
		}
		if p.Total != 9 || p.Succeeded != 3 || p.Failed != 6 {
			t.Errorf("counts %d/%d/%d", p.Total, p.Succeeded, p.Failed)
		}
		var statuses []string
		db.Table("orders").Where("number IN ?", n).Order("number").Pluck("status", &statuses)
		shipped := 0
		for _, s := range statuses {
			if s == "SHIPPED" {
				shipped++
			}
		}
		if shipped != 3 {
			t.Errorf("%d orders shipped, want 3: %v", shipped, statuses)
		}
	})
}

func TestBatchAppendJudgesRowsInOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		id := shippedOrder(t, a, db, 1)
		number := orderNumber(t, db, id)
		var rows []any
		for i := 1; i <= 21; i++ {
			rows = append(rows, row(number, "YTO", ytoNumber(i)))
		}
		rows = append(rows[:3], append([]any{row(number, "YTO", ytoNumber(2))}, rows[3:]...)...) // a number twice
		p := decodeBatch(t, a.Do(t, a.Login(t, shipA), batchAppend, map[string]any{"in": map[string]any{"rows": rows}}), "batchAppendPackages")
		codes := rowCodes(p)
		if codes[3] != "TRACKING_NUMBER_IN_USE" || codes[len(codes)-1] != "APPEND_LIMIT_REACHED" || p.Succeeded != 20 {
			t.Errorf("rows %v (%d ok)", codes, p.Succeeded)
		}
		if seq := p.Rows[len(p.Rows)-2].Package; seq == nil || *seq.AppendSequence != 20 {
			t.Errorf("the 20th append: %+v", p.Rows[len(p.Rows)-2])
		}
		// A second run with the same numbers is refused row by row and changes nothing.
		packages := countRows(t, db, "packages")
		p = decodeBatch(t, a.Do(t, a.Login(t, shipA), batchAppend, map[string]any{"in": map[string]any{"rows": rows[:5]}}), "batchAppendPackages")
		if p.Succeeded != 0 || countRows(t, db, "packages") != packages {
			t.Errorf("a second run: %v", rowCodes(p))
		}
	})
}

func TestBatchSizeBoundary(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		rows := make([]any, 5000)
		for i := range rows {
			rows[i] = row(fmt.Sprintf("X%05d", i), "SF", sfNumber(i))
		}
		p := decodeBatch(t, a.Do(t, shipper, batchShip, map[string]any{"in": map[string]any{"rows": rows}}), "batchShipOrders")
		if len(p.UserErrors) != 0 || p.Total != 5000 || p.Failed != 5000 {
			t.Errorf("5000 rows: %d rows, %+v", p.Total, p.UserErrors)
		}
		rows = append(rows, row("X", "SF", sfNumber(5001)))
		p = decodeBatch(t, a.Do(t, shipper, batchShip, map[string]any{"in": map[string]any{"rows": rows}}), "batchShipOrders")
		if codeOf(p.UserErrors) != "BATCH_TOO_LARGE" || len(p.Rows) != 0 {
			t.Errorf("5001 rows: %+v", p.UserErrors)
		}
		res := a.Do(t, shipper, batchShip, map[string]any{"in": map[string]any{}})
		if p := decodeBatch(t, res, "batchShipOrders"); codeOf(p.UserErrors) != "INVALID_ARGUMENT" {
			t.Errorf("no rows and no file: %+v", p.UserErrors)
		}
	})
}

// Batch append takes the same files as batch ship (CSV in UTF-8 or GB18030,
// XLSX) and the same bound: 5000 rows pass, 5001 are refused whole, as a
// list or as a file, and change nothing.
func TestBatchAppendFilesAndSize(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		var numbers []string
		for i := range 3 {
			id := shippedOrder(t, a, db, 200+i)
			n := orderNumber(t, db, id)
			numbers = append(numbers, n)
		}
		upload := func(name string, data []byte) batchPayload {
			res := a.Upload(t, shipper, batchAppend, map[string]any{"in": map[string]any{"file": nil}}, "in.file", name, data)
			return decodeBatch(t, res, "batchAppendPackages")
		}
		csv := "订单号,快递公司,快递单号\n" + numbers[0] + ",圆通," + ytoNumber(301) + "\n" + numbers[1] + ",YTO,bad\n"
		p := upload("追加.csv", []byte(csv))
		if got := rowCodes(p); !slices.Equal(got, []string{"OK", "INVALID_TRACKING_NUMBER"}) || *p.Rows[1].Line != 3 ||
			p.Rows[0].Package == nil || *p.Rows[0].Package.AppendSequence != 1 {
			t.Errorf("UTF-8 CSV: %v %+v", got, p.Rows)
		}
		gbk, _ := simplifiedchinese.GB18030.NewEncoder().String("订单号,快递公司,快递单号\n" + numbers[1] + ",圆通速递," + ytoNumber(302) + "\n")
		if got := rowCodes(upload("追加.csv", []byte(gbk))); !slices.Equal(got, []string{"OK"}) {
			t.Errorf("GB18030 CSV: %v", got)
		}
		f := excelize.NewFile()
		_ = f.SetSheetRow("Sheet1", "A1", &[]any{"订单号", "快递公司", "快递单号"})
		_ = f.SetSheetRow("Sheet1", "A2", &[]any{numbers[2], "YTO", ytoNumber(303)})
		_ = f.SetSheetRow("Sheet1", "A3", &[]any{numbers[2], "YTO", ytoNumber(304)})
		var buf bytes.Buffer
		_ = f.Write(&buf)
		p = upload("追加.xlsx", buf.Bytes())
		if got := rowCodes(p); !slices.Equal(got, []string{"OK", "OK"}) || *p.Rows[1].Package.AppendSequence != 2 {
			t.Errorf("XLSX: %v %+v", got, p.Rows)
		}

		// 5000 rows are judged row by row; 5001 are refused whole.
		packages := countRows(t, db, "packages")
		rows := make([]any, 5000)
		var big strings.Builder
		for i := range rows {
			rows[i] = row(fmt.Sprintf("X%05d", i), "YTO", ytoNumber(1000+i))
		}
		p = decodeBatch(t, a.Do(t, shipper, batchAppend, map[string]any{"in": map[string]any{"rows": rows}}), "batchAppendPackages")
		if len(p.UserErrors) != 0 || p.Total != 5000 || p.Failed != 5000 || rowCodes(p)[4999] != "NOT_FOUND" {
			t.Errorf("5000 rows: %d rows, %+v", p.Total, p.UserErrors)
		}
		p = decodeBatch(t, a.Do(t, shipper, batchAppend, map[string]any{"in": map[string]any{"rows": append(rows, row(numbers[0], "YTO", ytoNumber(999)))}}), "batchAppendPackages")
		if codeOf(p.UserErrors) != "BATCH_TOO_LARGE" || len(p.Rows) != 0 {
			t.Errorf("5001 rows: %+v", p.UserErrors)
		}
		for i := 0; i <= 5000; i++ {
			fmt.Fprintf(&big, "%s,YTO,%s\n", numbers[0], ytoNumber(20000+i))
		}
		if p := upload("5001.csv", []byte(big.String())); codeOf(p.UserErrors) != "BATCH_TOO_LARGE" || len(p.Rows) != 0 {
			t.Errorf("a file of 5001 rows: %+v", p.UserErrors)
		}
		if got := countRows(t, db, "packages"); got != packages {
			t.Errorf("refused batches added %d packages", got-packages)
		}
	})
}

func TestBatchFiles(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		n := pendingOrders(t, a, db, 6)
		upload := func(name string, data []byte) batchPayload {
			res := a.Upload(t, shipper, batchShip, map[string]any{"in": map[string]any{"file": nil}}, "in.file", name, data)
			return decodeBatch(t, res, "batchShipOrders")
		}
		// UTF-8 CSV with a header.
		csv := "订单号,快递公司,快递单号\n" + n[0] + ",顺丰," + sfNumber(1) + "\n" + n[1] + ",SF,bad\n"
		p := upload("发货.csv", []byte(csv))
		if got := rowCodes(p); !slices.Equal(got, []string{"OK", "INVALID_TRACKING_NUMBER"}) || *p.Rows[1].Line != 3 {
			t.Errorf("UTF-8 CSV: %v %+v", got, p)
		}
		// GB18030 CSV, as Chinese Excel saves it.
		gbk, _ := simplifiedchinese.GB18030.NewEncoder().String("订单号,快递公司,快递单号\n" + n[2] + ",中通," + ztoNumber(1) + "\n")
		if got := rowCodes(upload("发货.csv", []byte(gbk))); !slices.Equal(got, []string{"OK"}) {
			t.Errorf("GB18030 CSV: %v", got)
		}
		// XLSX: a 14-digit number typed as a number is fine; an 18-digit
		// order number typed as a number is refused with its row.
		f := excelize.NewFile()
		_ = f.SetSheetRow("Sheet1", "A1", &[]any{"订单号", "快递公司", "快递单号"})
		_ = f.SetSheetRow("Sheet1", "A2", &[]any{n[3], "ZTO", 78451236985299})
		var num float64
		fmt.Sscan(n[4], &num)
		_ = f.SetSheetRow("Sheet1", "A3", &[]any{num, "SF", sfNumber(2)})
		var buf bytes.Buffer
		_ = f.Write(&buf)
		p = upload("发货.xlsx", buf.Bytes())
		if got := rowCodes(p); !slices.Equal(got, []string{"OK", "INVALID_FILE"}) {
			t.Errorf("XLSX: %v %+v", got, p.Rows)
		}
		// Files that are not spreadsheets, or too large: refused whole, nothing changed.
		packages := countRows(t, db, "packages")
		png := append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 64)...)
		var big strings.Builder
		for i := 0; i <= 5000; i++ {
			fmt.Fprintf(&big, "%s,SF,%s\n", n[5], sfNumber(10000+i))
		}
		for _, c := range []struct {
			name string
			data []byte
			code string
		}{
			{"image.csv", png, "INVALID_FILE"},
			{"empty.csv", nil, "INVALID_FILE"},
			{"only-header.csv", []byte("订单号,快递公司,快递单号\n"), "INVALID_FILE"},
			{"5001.csv", []byte(big.String()), "BATCH_TOO_LARGE"},
			{"fake.xlsx", []byte("PK\x03\x04 not really a zip"), "INVALID_FILE"},
		} {
			p := upload(c.name, c.data)
			if codeOf(p.UserErrors) != c.code || len(p.Rows) != 0 || !slices.Equal(p.UserErrors[0].Field, []string{"input", "file"}) {
				t.Errorf("%s: %+v", c.name, p.UserErrors)
			}
		}
		if countRows(t, db, "packages") != packages {
			t.Error("a refused file changed packages")
		}
	})
}

func TestBatchIdempotency(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		n := pendingOrders(t, a, db, 2)
		in := map[string]any{"rows": []any{row(n[0], "SF", sfNumber(1)), row(n[1], "SF", "bad")}, "idempotencyKey": "run-7"}
		first := decodeBatch(t, a.Do(t, shipper, batchShip, map[string]any{"in": in}), "batchShipOrders")
		packages := countRows(t, db, "packages")
		again := decodeBatch(t, a.Do(t, shipper, batchShip, map[string]any{"in": in}), "batchShipOrders")
		if !slices.Equal(rowCodes(first), rowCodes(again)) || again.Succeeded != 1 || again.Rows[0].Package == nil ||
			again.Rows[0].Package.TrackingNumber != sfNumber(1) || countRows(t, db, "packages") != packages {
			t.Errorf("replay: %+v vs %+v", first, again)
		}
		// shipOrder and appendPackages replay too.
		id, _ := newOrder(t, a, db, buyer)
		sin := map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(2))}, "idempotencyKey": "ship-1"}
		if r := ship(t, a, shipper, sin); r.code() != "OK" {
			t.Fatal(r.ShipOrder.UserErrors)
		}
		if r := ship(t, a, shipper, sin); r.code() != "OK" || r.ShipOrder.Order.Status != "SHIPPED" {
			t.Errorf("ship replay: %+v", r.ShipOrder)
		}
		ain := map[string]any{"orderId": id, "packages": []any{pkg("YTO", ytoNumber(1))}, "idempotencyKey": "append-1"}
		var r1, r2 appendResp
		a.MustDo(t, shipper, appendPackages, &r1, map[string]any{"in": ain})
		a.MustDo(t, shipper, appendPackages, &r2, map[string]any{"in": ain})
		if r1.code() != "OK" || r2.code() != "OK" || len(r2.AppendPackages.Order.Packages) != 2 {
			t.Errorf("append replay: %+v / %+v", r1.AppendPackages, r2.AppendPackages)
		}
	})
}

// Rows refused for the append limit give their numbers back, all in a few
// statements however many there are: a number no other row of the batch
// shares is free again, and one that a good row of another order shares
// (merged shipping) passes to that order.
func TestRefusedRowsReleaseTheirNumbers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper := a.Login(t, shipA)
		full, other := shippedOrder(t, a, db, 1), shippedOrder(t, a, db, 2)
		number := func(id string) string {
			n := orderNumber(t, db, id)
			return n
		}
		fullN, otherN := number(full), number(other)
		var rows []any
		for i := 1; i <= 20; i++ {
			rows = append(rows, row(fullN, "YTO", ytoNumber(i)))
		}
		if p := decodeBatch(t, a.Do(t, shipper, batchAppend, map[string]any{"in": map[string]any{"rows": rows}}), "batchAppendPackages"); p.Succeeded != 20 {
			t.Fatalf("filling to 20: %v", rowCodes(p))
		}
		refused := func(from, n int) int64 {
			var rows []any
			for i := from; i < from+n; i++ {
				rows = append(rows, row(fullN, "YTO", ytoNumber(i)))
			}
			return a.CountStatements(t, func() {
				p := decodeBatch(t, a.Do(t, shipper, batchAppend, map[string]any{"in": map[string]any{"rows": rows}}), "batchAppendPackages")
				if p.Failed != n || rowCodes(p)[0] != "APPEND_LIMIT_REACHED" {
					t.Errorf("past the limit: %v", rowCodes(p))
				}
			})
		}
		if three, twelve := refused(100, 3), refused(200, 12); three != twelve {
			t.Errorf("releasing 3 numbers costs %d statements, 12 cost %d", three, twelve)
		}
		var held int64
		db.Raw("SELECT count(*) FROM waybills WHERE tracking_number IN ?", []string{ytoNumber(100), ytoNumber(205)}).Scan(&held)
		if held != 0 {
			t.Errorf("%d released numbers still held", held)
		}
		// A number shared in the batch with another order of the same buyer
		// and address passes to that order.
		p := decodeBatch(t, a.Do(t, shipper, batchAppend, map[string]any{"in": map[string]any{"rows": []any{
			row(fullN, "YTO", ytoNumber(300)), row(otherN, "YTO", ytoNumber(300))}}}), "batchAppendPackages")
		if got := rowCodes(p); !slices.Equal(got, []string{"APPEND_LIMIT_REACHED", "OK"}) {
			t.Fatalf("shared number: %v", got)
		}
		var owner string
		db.Raw("SELECT 'gid://fahuo/Order/' || order_id FROM waybills WHERE tracking_number = ?", ytoNumber(300)).Scan(&owner)
		if owner != other {
			t.Errorf("the shared number belongs to %s, want %s", owner, other)
		}
	})
}
