package app_test

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

const (
	requestRefund  = `mutation($id: ID!, $r: String!) { requestRefund(orderId: $id, reason: $r) { order { status refundStatus refundRequestedAt } userErrors { code } } }`
	approveRefund  = `mutation($id: ID!) { approveRefund(orderId: $id) { order { status refundStatus closedAt } userErrors { code } } }`
	withdrawRefund = `mutation($id: ID!) { withdrawRefund(orderId: $id) { order { status refundStatus refundRequestedAt } userErrors { code } } }`
	intercept      = `mutation($id: ID!) { markPackageIntercepted(packageId: $id) { package { interceptStatus } userErrors { code } } }`
	orderPackages  = `query($id: ID) { order(id: $id) { status refundStatus packages { id kind status interceptStatus } history { action actorName } } }`
)

type refundResp struct {
	RequestRefund, ApproveRefund, WithdrawRefund struct {
		Order *struct {
			Status, RefundStatus string
			ClosedAt             *time.Time
			RefundRequestedAt    *time.Time
		}
		UserErrors []userError
	}
}

type orderView struct {
	Order struct {
		Status, RefundStatus string
		Packages             []struct{ ID, Kind, Status, InterceptStatus string }
		History              []struct{ Action, ActorName string }
	}
}

// onlyIntercepted checks that, once a refund request is gone, the package
// intercepted stays INTERCEPTED and every other needs no interception.
func onlyIntercepted(t *testing.T, v orderView, intercepted string) {
	t.Helper()
	for _, p := range v.Order.Packages {
		want := "NONE"
		if p.ID == intercepted {
			want = "INTERCEPTED"
		}
		if p.InterceptStatus != want {
			t.Errorf("package %s: %s, want %s", p.ID, p.InterceptStatus, want)
		}
	}
}

func codeOf(ue []userError) string {
	if len(ue) == 0 {
		return "OK"
	}
	return ue[0].Code
}

func TestRefundBeforeShippingClosesTheOrder(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		id, _ := newOrder(t, a, db, buyer)
		var r refundResp
		a.MustDo(t, a.Login(t, buyer), requestRefund, &r, map[string]any{"id": id, "r": "拍错了"})
		if codeOf(r.RequestRefund.UserErrors) != "OK" || r.RequestRefund.Order.RefundStatus != "REQUESTED" {
			t.Fatalf("request: %+v", r.RequestRefund)
		}
		if at := r.RequestRefund.Order.RefundRequestedAt; at == nil || !at.Equal(a.Clock.Now()) {
			t.Errorf("requested at %v, want %v", at, a.Clock.Now())
		}
		// S6: no shipping while the request is open, and nothing written.
		packages, claims := countRows(t, db, "packages"), countRows(t, db, "waybills")
		if s := ship(t, a, a.Login(t, shipA), map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(1))}}); s.code() != "AFTER_SALE_IN_PROGRESS" {
			t.Errorf("shipping during a refund: %+v", s.ShipOrder.UserErrors)
		}
		if countRows(t, db, "packages") != packages || countRows(t, db, "waybills") != claims {
			t.Error("a shipment refused during a refund wrote packages or claims")
		}
		// A second request, another buyer's request: refused.
		a.MustDo(t, a.Login(t, buyer), requestRefund, &r, map[string]any{"id": id, "r": "again"})
		if codeOf(r.RequestRefund.UserErrors) != "INVALID_STATE" {
			t.Errorf("second request: %+v", r.RequestRefund.UserErrors)
		}
		a.MustDo(t, a.Login(t, buyer2), requestRefund, &r, map[string]any{"id": id, "r": "not mine"})
		if codeOf(r.RequestRefund.UserErrors) != "NOT_FOUND" {
			t.Errorf("another buyer: %+v", r.RequestRefund.UserErrors)
		}
		// F4: approving closes the order.
		a.MustDo(t, a.Login(t, ownerA), approveRefund, &r, map[string]any{"id": id})
		if o := r.ApproveRefund.Order; o == nil || o.Status != "CLOSED" || o.RefundStatus != "REFUNDED" || o.ClosedAt == nil {
			t.Errorf("approve: %+v", r.ApproveRefund)
		}
		a.MustDo(t, a.Login(t, ownerA), approveRefund, &r, map[string]any{"id": id})
		if codeOf(r.ApproveRefund.UserErrors) != "INVALID_STATE" {
			t.Errorf("approve twice: %+v", r.ApproveRefund.UserErrors)
		}
	})
}

func TestABuyerCanWithdrawARefundRequest(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		id, lines := newOrder(t, a, db, buyer)
		shipper := a.Login(t, shipA)
		ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{
			pkg("SF", sfNumber(1), line(lines[0], 2)), pkg("ZTO", ztoNumber(1), line(lines[1], 1))}})
		var r refundResp
		buyerTok := a.Login(t, buyer)
		// Nothing to withdraw yet.
		a.MustDo(t, buyerTok, withdrawRefund, &r, map[string]any{"id": id})
		if codeOf(r.WithdrawRefund.UserErrors) != "INVALID_STATE" {
			t.Errorf("withdraw without a request: %+v", r.WithdrawRefund.UserErrors)
		}
		a.MustDo(t, buyerTok, requestRefund, &r, map[string]any{"id": id, "r": "不想要了"})
		var v orderView
		owner := a.Login(t, ownerA)
		a.MustDo(t, owner, orderPackages, &v, map[string]any{"id": id})
		intercepted := v.Order.Packages[0].ID
		var m struct {
			MarkPackageIntercepted struct{ UserErrors []userError }
		}
		a.MustDo(t, owner, intercept, &m, map[string]any{"id": intercepted})
		// Only the buyer who asked may withdraw: the shop and another buyer cannot.
		a.MustDo(t, a.Login(t, buyer2), withdrawRefund, &r, map[string]any{"id": id})
		if codeOf(r.WithdrawRefund.UserErrors) != "NOT_FOUND" {
			t.Errorf("another buyer withdraws: %+v", r.WithdrawRefund.UserErrors)
		}
		if res := a.Do(t, owner, withdrawRefund, map[string]any{"id": id}); !slices.Equal(res.Codes(), []string{"FORBIDDEN"}) {
			t.Errorf("the shop withdraws: %+v", res.Errors)
		}
		a.MustDo(t, owner, orderPackages, &v, map[string]any{"id": id})
		if v.Order.RefundStatus != "REQUESTED" {
			t.Fatalf("a refused withdrawal changed the order: %+v", v.Order)
		}
		a.MustDo(t, buyerTok, withdrawRefund, &r, map[string]any{"id": id})
		if o := r.WithdrawRefund.Order; o == nil || o.RefundStatus != "NONE" || o.Status != "SHIPPED" || o.RefundRequestedAt != nil {
			t.Fatalf("withdraw: %+v", r.WithdrawRefund)
		}
		// The intercepted package stays intercepted; the other needs no interception any more.
		a.MustDo(t, owner, orderPackages, &v, map[string]any{"id": id})
		onlyIntercepted(t, v, intercepted)
		if h := v.Order.History; h[len(h)-1].Action != "withdrawRefund" || h[len(h)-1].ActorName == "" {
			t.Errorf("history: %+v", h)
		}
		// The buyer may ask again, and approval then still waits for nothing already done.
		a.MustDo(t, buyerTok, requestRefund, &r, map[string]any{"id": id, "r": "还是退了吧"})
		if codeOf(r.RequestRefund.UserErrors) != "OK" {
			t.Errorf("request again: %+v", r.RequestRefund.UserErrors)
		}
	})
}

func TestRefundAfterShippingNeedsInterception(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		id, lines := newOrder(t, a, db, buyer)
		shipper := a.Login(t, shipA)
		ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{
			pkg("SF", sfNumber(1), line(lines[0], 2)), pkg("ZTO", ztoNumber(1), line(lines[1], 1))}})
		appendOne(t, a, shipper, id, ytoNumber(1))
		// One shipment package is delivered before the refund.
		a.MustDo(t, a.Login(t, platfm), recordScans, nil, map[string]any{"ev": []any{
			scan("SF", sfNumber(1), "DELIVERED", a.Clock.Now().Add(-time.Minute))}})
		var r refundResp
		a.MustDo(t, a.Login(t, buyer), requestRefund, &r, map[string]any{"id": id, "r": "不想要了"})
		if codeOf(r.RequestRefund.UserErrors) != "OK" {
			t.Fatalf("request: %+v", r.RequestRefund.UserErrors)
		}
		var v orderView
		owner := a.Login(t, ownerA)
		a.MustDo(t, owner, orderPackages, &v, map[string]any{"id": id})
		want := map[string]string{"SHIPMENT/DELIVERED": "NONE", "SHIPMENT/AWAITING_PICKUP": "INTERCEPT_REQUIRED", "APPENDED/AWAITING_PICKUP": "NONE"}
		var waiting string
		for _, p := range v.Order.Packages {
			if got := want[p.Kind+"/"+p.Status]; got != p.InterceptStatus {
				t.Errorf("%s %s package: %s, want %s", p.Kind, p.Status, p.InterceptStatus, got)
			}
			if p.InterceptStatus == "INTERCEPT_REQUIRED" {
				waiting = p.ID
			}
		}
		// Not before the package is intercepted.
		a.MustDo(t, owner, approveRefund, &r, map[string]any{"id": id})
		if codeOf(r.ApproveRefund.UserErrors) != "INVALID_STATE" {
			t.Errorf("approve before interception: %+v", r.ApproveRefund.UserErrors)
		}
		var m struct {
			MarkPackageIntercepted struct {
				Package    *struct{ InterceptStatus string }
				UserErrors []userError
			}
		}
		a.MustDo(t, a.Login(t, ownerB), intercept, &m, map[string]any{"id": waiting})
		if codeOf(m.MarkPackageIntercepted.UserErrors) != "NOT_FOUND" {
			t.Errorf("shop B intercepting: %+v", m.MarkPackageIntercepted.UserErrors)
		}
		a.MustDo(t, shipper, intercept, &m, map[string]any{"id": waiting})
		if m.MarkPackageIntercepted.Package == nil || m.MarkPackageIntercepted.Package.InterceptStatus != "INTERCEPTED" {
			t.Fatalf("intercept: %+v", m.MarkPackageIntercepted)
		}
		a.MustDo(t, shipper, intercept, &m, map[string]any{"id": waiting})
		if codeOf(m.MarkPackageIntercepted.UserErrors) != "INVALID_STATE" {
			t.Errorf("intercept twice: %+v", m.MarkPackageIntercepted.UserErrors)
		}
		a.MustDo(t, owner, approveRefund, &r, map[string]any{"id": id})
		if o := r.ApproveRefund.Order; o == nil || o.Status != "CLOSED" {
			t.Errorf("approve after interception: %+v", r.ApproveRefund)
		}
		a.MustDo(t, owner, orderPackages, &v, map[string]any{"id": id})
		var actions []string
		for _, h := range v.Order.History {
			actions = append(actions, h.Action)
		}
		for _, w := range []string{"ship", "appendPackage", "requestRefund", "markPackageIntercepted", "approveRefund"} {
			if !slices.Contains(actions, w) {
				t.Errorf("history lacks %s: %v", w, actions)
			}
		}
	})
}

const recordScans = `mutation($ev: [TrackingEventInput!]!) { recordTrackingEvents(events: $ev) { results { index recorded userErrors { code } } userErrors { code } } }`

func scan(carrier, number, status string, at time.Time) map[string]any {
	return map[string]any{"carrier": carrier, "trackingNumber": number, "status": status, "at": at, "place": "深圳", "description": status}
}

func TestTrackingScansAndDelivery(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		id, lines := newOrder(t, a, db, buyer)
		shipper := a.Login(t, shipA)
		ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{
			pkg("SF", sfNumber(1), line(lines[0], 2)), pkg("ZTO", ztoNumber(1), line(lines[1], 1))}})
		appendOne(t, a, shipper, id, ytoNumber(1))
		now := a.Clock.Now()
		platform := a.Login(t, platfm)
		var res struct {
			RecordTrackingEvents struct {
				Results []struct {
					Index      int
					Recorded   bool
					UserErrors []userError
				}
			}
		}
		events := []any{
			scan("SF", sfNumber(1), "PICKED_UP", now.Add(time.Hour)),
			scan("SF", sfNumber(1), "IN_TRANSIT", now.Add(5*time.Hour)),
			scan("顺丰", sfNumber(1), "IN_TRANSIT", now.Add(5*time.Hour)), // the same scan again
			scan("SF", sfNumber(999), "IN_TRANSIT", now.Add(5*time.Hour)),
			scan("SF", sfNumber(1), "IN_TRANSIT", now.Add(48*time.Hour)),
		}
		a.Clock.Advance(6 * time.Hour)
		a.MustDo(t, platform, recordScans, &res, map[string]any{"ev": events})
		got := []string{}
		for _, r := range res.RecordTrackingEvents.Results {
			c := codeOf(r.UserErrors)
			if c == "OK" && !r.Recorded {
				c = "DUPLICATE"
			}
			got = append(got, c)
		}
		if !slices.Equal(got, []string{"OK", "OK", "DUPLICATE", "NOT_FOUND", "INVALID_ARGUMENT"}) {
			t.Errorf("scan results %v", got)
		}
		codes := func(events []any) []string {
			t.Helper()
			a.MustDo(t, platform, recordScans, &res, map[string]any{"ev": events})
			var got []string
			for _, r := range res.RecordTrackingEvents.Results {
				c := codeOf(r.UserErrors)
				if c == "OK" && !r.Recorded {
					c = "DUPLICATE"
				}
				got = append(got, c)
			}
			return got
		}
		// Sent again, every scan is known already; a refused row before a
		// new scan does not shift the answers.
		if got := codes(events); !slices.Equal(got, []string{"DUPLICATE", "DUPLICATE", "DUPLICATE", "NOT_FOUND", "INVALID_ARGUMENT"}) {
			t.Errorf("the same scans again: %v", got)
		}
		if got := codes([]any{scan("SF", sfNumber(999), "IN_TRANSIT", now.Add(time.Hour)), scan("ZTO", ztoNumber(1), "PICKED_UP", now.Add(2*time.Hour))}); !slices.Equal(got, []string{"NOT_FOUND", "OK"}) {
			t.Errorf("a refused scan, then a new one: %v", got)
		}
		// Merchants cannot report scans.
		if r := a.Do(t, shipper, recordScans, map[string]any{"ev": events[:1]}); !slices.Equal(r.Codes(), []string{"FORBIDDEN"}) {
			t.Errorf("a merchant reporting scans: %+v", r.Errors)
		}
		// The buyer sees every package, appended too, with the scans newest first.
		var v struct {
			Order struct {
				Status   string
				Packages []struct {
					Kind, TrackingNumber, TrackingURL, Status string
					StatusAt                                  *time.Time
					Carrier                                   struct{ NameZh string }
					Events                                    []struct{ Status string }
				}
			}
		}
		q := `query($id: ID) { order(id: $id) { status packages { kind trackingNumber trackingUrl status statusAt carrier { nameZh } events { status } } } }`
		a.MustDo(t, a.Login(t, buyer), q, &v, map[string]any{"id": id})
		if len(v.Order.Packages) != 3 {
			t.Fatalf("the buyer sees %d packages, want 3 (one appended)", len(v.Order.Packages))
		}
		for _, p := range v.Order.Packages {
			if p.TrackingNumber == sfNumber(1) {
				if p.Status != "IN_TRANSIT" || len(p.Events) != 2 || p.Events[0].Status != "IN_TRANSIT" ||
					p.StatusAt == nil || !p.StatusAt.Equal(now.Add(5*time.Hour)) {
					t.Errorf("SF package: %+v", p)
				}
			} else if p.Kind == "APPENDED" && p.StatusAt != nil {
				t.Errorf("a package without scans has a status time: %+v", p)
			}
		}
		// Another buyer and another shop see nothing.
		var none struct{ Order *struct{ Status string } }
		a.MustDo(t, a.Login(t, buyer2), q, &none, map[string]any{"id": id})
		if none.Order != nil {
			t.Error("another buyer sees the order")
		}
		a.MustDo(t, a.Login(t, ownerB), q, &none, map[string]any{"id": id})
		if none.Order != nil {
			t.Error("another shop sees the order")
		}
		// Delivered when every shipment package is; the appended one does not count.
		a.MustDo(t, platform, recordScans, nil, map[string]any{"ev": []any{scan("SF", sfNumber(1), "DELIVERED", now.Add(6*time.Hour))}})
		a.MustDo(t, a.Login(t, buyer), q, &v, map[string]any{"id": id})
		if v.Order.Status != "SHIPPED" {
			t.Errorf("one of two delivered: %s", v.Order.Status)
		}
		a.MustDo(t, platform, recordScans, nil, map[string]any{"ev": []any{scan("ZTO", ztoNumber(1), "DELIVERED", now.Add(6*time.Hour))}})
		a.MustDo(t, a.Login(t, buyer), q, &v, map[string]any{"id": id})
		if v.Order.Status != "DELIVERED" {
			t.Errorf("both delivered: %s", v.Order.Status)
		}
	})
}

// Two batches of scans for the same orders, sent at once in opposite
// orders, deliver each order exactly once: both lock the orders first, in
// id order, so neither deadlocks nor misses the other's delivery.
func TestParallelScanBatchesDeliverOnce(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper, platform := a.Login(t, shipA), a.Login(t, platfm)
		const n = 15
		numbers := pendingOrders(t, a, db, n)
		for i, num := range numbers {
			var ids []string
			db.Raw("SELECT 'gid://fahuo/OrderLine/' || id FROM order_lines WHERE order_id = (SELECT id FROM orders WHERE number = ?) ORDER BY line_no", num).Scan(&ids)
			if r := ship(t, a, shipper, map[string]any{"orderNumber": num, "packages": []any{
				pkg("SF", sfNumber(700+i), line(ids[0], 2)), pkg("ZTO", ztoNumber(700+i), line(ids[1], 1))}}); r.code() != "OK" {
				t.Fatalf("ship: %+v", r.ShipOrder.UserErrors)
			}
		}
		at := a.Clock.Now()
		a.Clock.Advance(48 * time.Hour)
		var sf, zto []any
		for i := range n {
			sf = append(sf, scan("SF", sfNumber(700+i), "DELIVERED", at.Add(20*time.Hour)))
			zto = append([]any{scan("ZTO", ztoNumber(700+i), "DELIVERED", at.Add(30*time.Hour))}, zto...)
		}
		var wg sync.WaitGroup
		errs := make([][]string, 2)
		for b, batch := range [][]any{sf, zto} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[b] = a.Do(t, platform, recordScans, map[string]any{"ev": batch}).Codes()
			}()
		}
		wg.Wait()
		if len(errs[0]) > 0 || len(errs[1]) > 0 {
			t.Fatalf("batches failed: %v %v", errs[0], errs[1])
		}
		var delivered, lines int64
		db.Raw("SELECT count(*) FROM orders WHERE status = 'DELIVERED' AND number IN ?", numbers).Scan(&delivered)
		db.Raw("SELECT count(*) FROM order_events WHERE action = 'delivered' AND order_id IN (SELECT id FROM orders WHERE number IN ?)", numbers).Scan(&lines)
		if delivered != n || lines != n {
			t.Errorf("%d of %d orders delivered, %d delivery lines in their history", delivered, n, lines)
		}
	})
}

// A call takes up to 1000 scans, recorded whole; 1001 are refused whole and
// record nothing.
func TestScanBatchBoundary(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper, platform := a.Login(t, shipA), a.Login(t, platfm)
		var numbers []string
		for i := range 4 {
			id, _ := newOrder(t, a, db, buyer)
			if r := ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{pkg("SF", sfNumber(900+i))}}); r.code() != "OK" {
				t.Fatalf("ship: %+v", r.ShipOrder.UserErrors)
			}
			numbers = append(numbers, sfNumber(900+i))
		}
		start := a.Clock.Now()
		a.Clock.Advance(48 * time.Hour)
		events := make([]any, 1001)
		for i := range events {
			events[i] = scan("SF", numbers[i%4], "IN_TRANSIT", start.Add(time.Duration(i)*time.Minute))
		}
		before := countRows(t, db, "tracking_events")
		var res struct {
			RecordTrackingEvents struct {
				Results    []struct{ Recorded bool }
				UserErrors []userError
			}
		}
		a.MustDo(t, platform, recordScans, &res, map[string]any{"ev": events})
		if codeOf(res.RecordTrackingEvents.UserErrors) != "BATCH_TOO_LARGE" || countRows(t, db, "tracking_events") != before {
			t.Errorf("1001 scans: %+v", res.RecordTrackingEvents.UserErrors)
		}
		a.MustDo(t, platform, recordScans, &res, map[string]any{"ev": events[:1000]})
		recorded := 0
		for _, r := range res.RecordTrackingEvents.Results {
			if r.Recorded {
				recorded++
			}
		}
		if len(res.RecordTrackingEvents.UserErrors) != 0 || recorded != 1000 || countRows(t, db, "tracking_events")-before != 1000 {
			t.Errorf("1000 scans: %d recorded, %+v", recorded, res.RecordTrackingEvents.UserErrors)
		}
		var latest string
		db.Raw("SELECT status FROM packages WHERE tracking_number = ?", numbers[3]).Scan(&latest)
		if latest != "IN_TRANSIT" {
			t.Errorf("package status after the batch: %q", latest)
		}
	})
}

const rejectRefund = `mutation($id: ID!, $r: String!) { rejectRefund(orderId: $id, reason: $r) {
	order { status refundStatus refundRequestedAt } userErrors { code field } } }`

// The shop turns down a refund request with a reason: the order is as it
// was before the request (it can ship again, packages still to intercept
// need not be, one intercepted stays so), the reason is in the history the
// buyer reads, and the buyer may ask again. Other roles, other shops, a
// blank reason and a request no longer open are refused and change
// nothing.
func TestRefundRejection(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		shipper, owner, buyerTok := a.Login(t, shipA), a.Login(t, ownerA), a.Login(t, buyer)
		id, lines := newOrder(t, a, db, buyer)
		ship(t, a, shipper, map[string]any{"orderId": id, "packages": []any{
			pkg("SF", sfNumber(61), line(lines[0], 2)), pkg("ZTO", ztoNumber(61), line(lines[1], 1))}})
		var r refundResp
		a.MustDo(t, buyerTok, requestRefund, &r, map[string]any{"id": id, "r": "不想要了"})
		var v orderView
		a.MustDo(t, owner, orderPackages, &v, map[string]any{"id": id})
		intercepted := v.Order.Packages[0].ID
		a.MustDo(t, owner, intercept, nil, map[string]any{"id": intercepted})

		var rej struct {
			RejectRefund struct {
				Order *struct {
					Status, RefundStatus string
					RefundRequestedAt    *time.Time
				}
				UserErrors []userError
			}
		}
		for _, c := range []struct{ name, token, reason, code string }{
			{"the shipper", shipper, "不退", "FORBIDDEN"},
			{"a viewer", a.Login(t, viewerA), "不退", "FORBIDDEN"},
			{"the buyer", buyerTok, "不退", "FORBIDDEN"},
			{"another shop", a.Login(t, ownerB), "不退", "NOT_FOUND"},
			{"a blank reason", owner, "  ", "INVALID_ARGUMENT"},
		} {
			res := a.Do(t, c.token, rejectRefund, map[string]any{"id": id, "r": c.reason})
			got := ""
			if codes := res.Codes(); len(codes) > 0 {
				got = codes[0]
			} else {
				_ = json.Unmarshal(res.Data, &rej)
				got = codeOf(rej.RejectRefund.UserErrors)
			}
			if got != c.code {
				t.Errorf("%s: %s, want %s", c.name, got, c.code)
			}
		}
		a.MustDo(t, owner, orderPackages, &v, map[string]any{"id": id})
		if v.Order.RefundStatus != "REQUESTED" {
			t.Fatalf("a refused rejection changed the order: %+v", v.Order)
		}

		a.MustDo(t, owner, rejectRefund, &rej, map[string]any{"id": id, "r": "商品已签收前无法退款，请联系客服"})
		if o := rej.RejectRefund.Order; o == nil || o.RefundStatus != "NONE" || o.Status != "SHIPPED" || o.RefundRequestedAt != nil {
			t.Fatalf("reject: %+v", rej.RejectRefund)
		}
		a.MustDo(t, buyerTok, orderPackages, &v, map[string]any{"id": id})
		onlyIntercepted(t, v, intercepted)
		var detail string
		db.Raw("SELECT detail FROM order_events WHERE action = 'rejectRefund' AND order_id = ?", id[len("gid://fahuo/Order/"):]).Scan(&detail)
		if h := v.Order.History; h[len(h)-1].Action != "rejectRefund" || !strings.Contains(detail, "请联系客服") {
			t.Errorf("history: %+v, detail %q", h, detail)
		}
		a.MustDo(t, owner, rejectRefund, &rej, map[string]any{"id": id, "r": "again"})
		if codeOf(rej.RejectRefund.UserErrors) != "INVALID_STATE" {
			t.Errorf("rejecting twice: %+v", rej.RejectRefund.UserErrors)
		}
		a.MustDo(t, buyerTok, requestRefund, &r, map[string]any{"id": id, "r": "再申请一次"})
		if codeOf(r.RequestRefund.UserErrors) != "OK" {
			t.Errorf("asking again: %+v", r.RequestRefund.UserErrors)
		}

		// A pending order can ship again once its request is turned down.
		pending, _ := newOrder(t, a, db, buyer)
		a.MustDo(t, buyerTok, requestRefund, &r, map[string]any{"id": pending, "r": "拍错了"})
		if s := ship(t, a, shipper, map[string]any{"orderId": pending, "packages": []any{pkg("SF", sfNumber(62))}}); s.code() != "AFTER_SALE_IN_PROGRESS" {
			t.Fatalf("shipping during the request: %+v", s.ShipOrder.UserErrors)
		}
		a.MustDo(t, owner, rejectRefund, &rej, map[string]any{"id": pending, "r": "已发货在途"})
		if o := rej.RejectRefund.Order; o == nil || o.RefundStatus != "NONE" {
			t.Fatalf("reject the pending order's request: %+v", rej.RejectRefund)
		}
		if s := ship(t, a, shipper, map[string]any{"orderId": pending, "packages": []any{pkg("SF", sfNumber(62))}}); s.code() != "OK" {
			t.Errorf("shipping after a rejection: %+v", s.ShipOrder.UserErrors)
		}
	})
}
