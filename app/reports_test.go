package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

const createReport = `mutation($in: CreateDelayReportInput!) { createDelayReport(input: $in) {
	delayReport { id status type orderCount dueAt overdue evidence { filename contentType size } }
	orders { orderNumber covered userErrors { code } }
	userErrors { code field message } } }`

type reportPayload struct {
	DelayReport *struct {
		ID, Status, Type string
		OrderCount       int
		DueAt            time.Time
		Overdue          bool
		Evidence         []struct {
			Filename, ContentType string
			Size                  int
		}
	}
	Orders []struct {
		OrderNumber string
		Covered     bool
		UserErrors  []userError
	}
	UserErrors []userError
}

// pngBytes is a small real PNG (a red notice card), as a merchant's photo
// of a carrier's notice would be.
var pngBytes = func() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 120, 80))
	for y := 0; y < 80; y++ {
		for x := 0; x < 120; x++ {
			img.Set(x, y, color.RGBA{R: 254, G: uint8(44 + x), B: 85, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		panic(err)
	}
	return b.Bytes()
}()

// fileReport files a report with one evidence file through the multipart
// upload, and returns the answer.
func fileReport(t *testing.T, a *apptest.App, token string, in map[string]any, evidence []byte) reportPayload {
	t.Helper()
	in["evidence"] = []any{nil}
	res := a.Upload(t, token, createReport, map[string]any{"in": in}, "in.evidence.0", "证明.png", evidence)
	if len(res.Errors) > 0 {
		t.Fatalf("createDelayReport: %+v", res.Errors)
	}
	var m map[string]reportPayload
	if err := json.Unmarshal(res.Data, &m); err != nil {
		t.Fatal(err)
	}
	return m["createDelayReport"]
}

func orderCodes(p reportPayload) map[string]string {
	out := map[string]string{}
	for _, o := range p.Orders {
		out[o.OrderNumber] = codeOf(o.UserErrors)
	}
	return out
}

func TestDelayReportByOrderNumbers(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		pending := pendingOrders(t, a, db, 3)
		var shipped, partly, closed, shopB string
		db.Raw("SELECT number FROM orders WHERE status = 'SHIPPED' AND shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店') LIMIT 1").Scan(&shipped)
		db.Raw("SELECT number FROM orders WHERE status = 'PARTIALLY_SHIPPED' AND shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店') LIMIT 1").Scan(&partly)
		db.Raw("SELECT number FROM orders WHERE status = 'CLOSED' AND shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店') LIMIT 1").Scan(&closed)
		if partly == "" || closed == "" {
			t.Fatalf("the demo shop has no partly shipped (%q) or closed (%q) order", partly, closed)
		}
		db.Raw("SELECT number FROM orders WHERE shop_id = (SELECT id FROM shops WHERE name = '山野茶舍') LIMIT 1").Scan(&shopB)
		newShipBy := a.Clock.Now().Add(10 * 24 * time.Hour)
		in := func(numbers ...string) map[string]any {
			return map[string]any{"type": "MERCHANT_FACTOR", "reason": "价格设置错误，订单激增", "remark": "已联系买家",
				"newShipBy": newShipBy, "orderNumbers": numbers}
		}
		p := fileReport(t, a, owner, in(pending[0], pending[1], shipped, partly, closed, shopB), pngBytes)
		if p.DelayReport == nil || p.DelayReport.Status != "PENDING_REVIEW" || p.DelayReport.OrderCount != 2 ||
			len(p.DelayReport.Evidence) != 1 || p.DelayReport.Evidence[0].ContentType != "image/png" {
			t.Fatalf("report: %+v", p)
		}
		// D2: only orders with nothing shipped; a first shipment decides timeliness.
		want := map[string]string{pending[0]: "OK", pending[1]: "OK", shipped: "ORDER_NOT_REPORTABLE",
			partly: "ORDER_NOT_REPORTABLE", closed: "ORDER_NOT_REPORTABLE", shopB: "NOT_FOUND"}
		if got := orderCodes(p); !mapsEqual(got, want) {
			t.Errorf("orders %v, want %v", got, want)
		}
		if !p.DelayReport.DueAt.Equal(a.Clock.Now().Add(48 * time.Hour)) {
			t.Errorf("due %v", p.DelayReport.DueAt)
		}
		// D6: an order already in a pending report.
		p2 := fileReport(t, a, owner, in(pending[1], pending[2]), pngBytes)
		if got := orderCodes(p2); got[pending[1]] != "DUPLICATE_REPORT" || got[pending[2]] != "OK" {
			t.Errorf("second report: %v", got)
		}

		// Whole-report refusals change nothing.
		reports := countRows(t, db, "delay_reports")
		withRemark := func(remark any) map[string]any {
			m := in(pending[2])
			if remark == nil {
				delete(m, "remark")
			} else {
				m["remark"] = remark
			}
			return m
		}
		exe := append([]byte("MZ\x90\x00"), bytes.Repeat([]byte{0}, 200)...)
		big := append(append([]byte{}, pngBytes...), bytes.Repeat([]byte{0}, 6<<20)...)
		for _, c := range []struct {
			name     string
			in       map[string]any
			evidence []byte
			code     string
		}{
			{"a renamed executable", in(pending[2]), exe, "INVALID_ARGUMENT"},
			// D4: the remark is stated, 1 to 1000 characters.
			{"no remark", withRemark(nil), pngBytes, "INVALID_ARGUMENT remark"},
			{"a blank remark", withRemark("  \t "), pngBytes, "INVALID_ARGUMENT remark"},
			{"a remark of 1001 characters", withRemark(strings.Repeat("备", 1001)), pngBytes, "INVALID_ARGUMENT remark"},
			{"a 6 MB image", in(pending[2]), big, "INVALID_ARGUMENT"},
			{"a new ship time in the past", map[string]any{"type": "SPECIAL_ORDER", "reason": "x", "remark": "已与买家沟通", "newShipBy": a.Clock.Now().Add(-time.Hour), "orderNumbers": []string{pending[2]}}, pngBytes, "INVALID_ARGUMENT"},
			{"no orders", in(), pngBytes, "INVALID_ARGUMENT"},
			{"only unreportable orders", in(shipped), pngBytes, "INVALID_ARGUMENT"},
			{"regions on a by-number type", map[string]any{"type": "MERCHANT_FACTOR", "reason": "x", "remark": "已与买家沟通", "newShipBy": newShipBy, "regionCodes": []string{"440000"}, "orderNumbers": []string{pending[2]}}, pngBytes, "INVALID_ARGUMENT"},
		} {
			p := fileReport(t, a, owner, c.in, c.evidence)
			code, field, _ := strings.Cut(c.code, " ")
			if p.DelayReport != nil || codeOf(p.UserErrors) != code ||
				field != "" && !slices.Contains(p.UserErrors[0].Field, field) {
				t.Errorf("%s: %+v, want %s", c.name, p.UserErrors, c.code)
			}
		}
		res := a.Do(t, owner, createReport, map[string]any{"in": map[string]any{"type": "MERCHANT_FACTOR", "reason": "x", "remark": "已与买家沟通", "newShipBy": newShipBy,
			"orderNumbers": []string{pending[2]}, "evidence": []any{}}})
		var m map[string]reportPayload
		_ = json.Unmarshal(res.Data, &m)
		if codeOf(m["createDelayReport"].UserErrors) != "EVIDENCE_REQUIRED" {
			t.Errorf("no evidence: %+v %+v", res.Errors, m)
		}
		if countRows(t, db, "delay_reports") != reports {
			t.Error("refused reports were filed")
		}
		// D4: a remark of exactly 1000 characters passes.
		long := in(pendingOrders(t, a, db, 1)[0])
		long["remark"] = strings.Repeat("备", 1000)
		if p := fileReport(t, a, owner, long, pngBytes); p.DelayReport == nil {
			t.Errorf("a remark of 1000 characters: %+v", p.UserErrors)
		}
		// D4: evidence of exactly 5 MB passes, a byte more does not.
		fresh := pendingOrders(t, a, db, 2)
		atCap := append(append([]byte{}, pngBytes...), bytes.Repeat([]byte{0}, models.MaxEvidenceBytes-len(pngBytes))...)
		if p := fileReport(t, a, owner, in(fresh[0]), atCap); p.DelayReport == nil {
			t.Errorf("5 MB of evidence: %+v", p.UserErrors)
		}
		if p := fileReport(t, a, owner, in(fresh[1]), append(atCap, 0)); p.DelayReport != nil || codeOf(p.UserErrors) != "INVALID_ARGUMENT" {
			t.Errorf("5 MB and a byte of evidence: %+v", p)
		}
		// A viewer may not file one.
		if res := a.Do(t, a.Login(t, viewerA), createReport, map[string]any{"in": map[string]any{"type": "MERCHANT_FACTOR", "reason": "x", "remark": "已与买家沟通",
			"newShipBy": newShipBy, "orderNumbers": []string{pending[2]}, "evidence": []any{}}}); !slices.Equal(res.Codes(), []string{"FORBIDDEN"}) {
			t.Errorf("viewer: %+v", res.Errors)
		}
	})
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestEpidemicReportsAndAnnouncements(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		inShenzhen := pendingOrders(t, a, db, 2) // received in 440305
		var pendingOutside string
		db.Raw("SELECT number FROM orders WHERE region_code = '310104' AND status = 'PENDING_SHIPMENT' AND shop_id = (SELECT id FROM shops WHERE name = '鲜果时光旗舰店') LIMIT 1").Scan(&pendingOutside)
		newShipBy := a.Clock.Now().Add(10 * 24 * time.Hour)
		p := fileReport(t, a, owner, map[string]any{"type": "EPIDEMIC", "reason": "深圳疫情，快递停收", "remark": "已与买家沟通", "newShipBy": newShipBy,
			"regionCodes": []string{"440300"}, "orderNumbers": []string{pendingOutside}}, pngBytes)
		got := orderCodes(p)
		if p.DelayReport == nil || got[inShenzhen[0]] != "OK" || got[inShenzhen[1]] != "OK" || got[pendingOutside] != "ORDER_OUTSIDE_REPORT_REGIONS" {
			t.Fatalf("epidemic report: %v %+v", got, p.UserErrors)
		}

		// An announcement covering Shanghai: its orders need no report.
		platform := a.Login(t, platfm)
		var ann struct {
			PublishAnnouncement struct {
				Announcement *struct{ ID string }
				UserErrors   []userError
			}
		}
		a.MustDo(t, platform, `mutation($in: PublishAnnouncementInput!) { publishAnnouncement(input: $in) { announcement { id } userErrors { code } } }`,
			&ann, map[string]any{"in": map[string]any{"title": "上海地区考核调整", "regionCodes": []string{"310000"},
				"startsAt": a.Clock.Now().Add(-10 * 24 * time.Hour), "endsAt": a.Clock.Now().Add(10 * 24 * time.Hour)}})
		if ann.PublishAnnouncement.Announcement == nil {
			t.Fatalf("publish: %+v", ann.PublishAnnouncement.UserErrors)
		}
		p = fileReport(t, a, owner, map[string]any{"type": "SPECIAL_ORDER", "reason": "与买家约定延后", "remark": "已与买家沟通", "newShipBy": newShipBy,
			"orderNumbers": []string{pendingOutside}}, pngBytes)
		if got := orderCodes(p); got[pendingOutside] != "ORDER_COVERED_BY_ANNOUNCEMENT" {
			t.Errorf("covered by an announcement: %v", got)
		}
		if res := a.Do(t, owner, `mutation { publishAnnouncement(input: { title: "x", regionCodes: ["310000"], startsAt: "2026-01-01T00:00:00Z", endsAt: "2026-02-01T00:00:00Z" }) { userErrors { code } } }`, nil); !slices.Equal(res.Codes(), []string{"FORBIDDEN"}) {
			t.Errorf("a merchant publishing: %+v", res.Errors)
		}
	})
}

func TestDelayReportFromFile(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		pending := pendingOrders(t, a, db, 2)
		upload := func(csv string) reportPayload {
			in := map[string]any{"type": "MERCHANT_FACTOR", "reason": "爆单", "remark": "已与买家沟通", "newShipBy": a.Clock.Now().Add(5 * 24 * time.Hour),
				"orderFile": nil, "evidence": []any{nil}}
			res := a.UploadFiles(t, owner, createReport, map[string]any{"in": in},
				apptest.File{Path: "in.orderFile", Name: "订单.csv", Data: []byte(csv)},
				apptest.File{Path: "in.evidence.0", Name: "证明.png", Data: pngBytes})
			if len(res.Errors) > 0 {
				t.Fatalf("%+v", res.Errors)
			}
			var m map[string]reportPayload
			_ = json.Unmarshal(res.Data, &m)
			return m["createDelayReport"]
		}
		p := upload("订单号\n" + pending[0] + "\n" + pending[1] + "\n")
		if p.DelayReport == nil || p.DelayReport.OrderCount != 2 {
			t.Errorf("file of order numbers: %+v", p)
		}
		p = upload("订单号,备注\n" + pending[0] + ",急\n")
		if p.DelayReport != nil || codeOf(p.UserErrors) != "INVALID_FILE" {
			t.Errorf("a second column: %+v", p)
		}
		// A row that cannot be used refuses the report (D1), row by row in
		// the answer, and the refusal is in the audit log like any other.
		reports := countRows(t, db, "delay_reports")
		refusals := countRows(t, db, "audit_log WHERE action = 'createDelayReport' AND outcome = 'INVALID_FILE'")
		p = upload("订单号\n" + pending[0] + "\n" + pending[1] + ",多余\n")
		if p.DelayReport != nil || codeOf(p.UserErrors) != "INVALID_FILE" || countRows(t, db, "delay_reports") != reports {
			t.Errorf("a bad row: %+v", p)
		}
		if n := countRows(t, db, "audit_log WHERE action = 'createDelayReport' AND outcome = 'INVALID_FILE'"); n != refusals+1 {
			t.Errorf("%d audit entries of refused files, want %d", n, refusals+1)
		}
	})
}

const review = `mutation($id: ID!, $d: ReviewDecision!, $r: String) { reviewDelayReport(id: $id, decision: $d, rejectReason: $r) {
	delayReport { status effectiveAt effectiveConfirmed rejectReason } userErrors { code } } }`

type reviewResp struct {
	ReviewDelayReport struct {
		DelayReport *struct {
			Status             string
			EffectiveAt        *time.Time
			EffectiveConfirmed *bool
			RejectReason       *string
		}
		UserErrors []userError
	}
}

func TestReviewAndOverdue(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner, platform := a.Login(t, ownerA), a.Login(t, platfm)
		pending := pendingOrders(t, a, db, 2)
		file := func(n string) string {
			p := fileReport(t, a, owner, map[string]any{"type": "MERCHANT_FACTOR", "reason": "爆单", "remark": "已与买家沟通", "newShipBy": a.Clock.Now().Add(20 * 24 * time.Hour),
				"orderNumbers": []string{n}}, pngBytes)
			if p.DelayReport == nil {
				t.Fatalf("file: %+v %+v", p.UserErrors, p.Orders)
			}
			return p.DelayReport.ID
		}
		id := file(pending[0])
		overdue := func() bool {
			var r struct{ DelayReport struct{ Overdue bool } }
			a.MustDo(t, platform, `query($id: ID!) { delayReport(id: $id) { overdue } }`, &r, map[string]any{"id": id})
			return r.DelayReport.Overdue
		}
		start := a.Clock.Now()
		a.Clock.Set(start.Add(47*time.Hour + 59*time.Minute))
		if overdue() {
			t.Error("overdue at 47 h 59 m")
		}
		a.Clock.Set(start.Add(48*time.Hour + time.Minute))
		if !overdue() {
			t.Error("not overdue at 48 h 1 m")
		}
		// The queue: pending reports, oldest first, for the platform.
		var q struct {
			DelayReports struct{ Nodes []struct{ ID string } }
		}
		a.MustDo(t, platform, `{ delayReports(filter: { statuses: [PENDING_REVIEW] }) { nodes { id } } }`, &q, nil)
		if len(q.DelayReports.Nodes) != 1 || q.DelayReports.Nodes[0].ID != id {
			t.Errorf("queue: %+v", q)
		}
		var r reviewResp
		if res := a.Do(t, owner, review, map[string]any{"id": id, "d": "APPROVE"}); !slices.Equal(res.Codes(), []string{"FORBIDDEN"}) {
			t.Errorf("a merchant reviewing: %+v", res.Errors)
		}
		a.MustDo(t, platform, review, &r, map[string]any{"id": id, "d": "REJECT"})
		if codeOf(r.ReviewDelayReport.UserErrors) != "INVALID_ARGUMENT" {
			t.Errorf("reject without reason: %+v", r.ReviewDelayReport)
		}
		a.MustDo(t, platform, review, &r, map[string]any{"id": id, "d": "REJECT", "r": "凭证不清晰"})
		if d := r.ReviewDelayReport.DelayReport; d == nil || d.Status != "REJECTED" || *d.RejectReason != "凭证不清晰" {
			t.Fatalf("reject: %+v", r.ReviewDelayReport)
		}
		a.MustDo(t, platform, review, &r, map[string]any{"id": id, "d": "APPROVE"})
		if codeOf(r.ReviewDelayReport.UserErrors) != "INVALID_STATE" {
			t.Errorf("review twice: %+v", r.ReviewDelayReport)
		}
		// A rejected report frees its order for another.
		id2 := file(pending[0])
		// Approved on Wednesday 2026-11-25 10:00 China time: effective on the
		// third working day after, Monday 2026-11-30 10:00.
		a.Clock.Set(time.Date(2026, 11, 25, 10, 0, 0, 0, models.ChinaTime))
		a.MustDo(t, platform, review, &r, map[string]any{"id": id2, "d": "APPROVE"})
		d := r.ReviewDelayReport.DelayReport
		want := time.Date(2026, 11, 30, 10, 0, 0, 0, models.ChinaTime)
		if d == nil || d.Status != "APPROVED" || !d.EffectiveAt.Equal(want) || !*d.EffectiveConfirmed {
			t.Errorf("approve: %+v, want effective %v", d, want)
		}
		// The order list shows the report's status (D9).
		var o struct {
			Order struct{ DelayReport *struct{ Status string } }
		}
		a.MustDo(t, owner, `query($n: String) { order(number: $n) { delayReport { status } } }`, &o, map[string]any{"n": pending[0]})
		if o.Order.DelayReport == nil || o.Order.DelayReport.Status != "APPROVED" {
			t.Errorf("order's report: %+v", o.Order.DelayReport)
		}
		// D6: an approved report holds its order as a pending one does.
		again := fileReport(t, a, owner, map[string]any{"type": "MERCHANT_FACTOR", "reason": "再次报备", "remark": "已与买家沟通", "newShipBy": a.Clock.Now().Add(10 * 24 * time.Hour),
			"orderNumbers": []string{pending[0]}}, pngBytes)
		if got := orderCodes(again); got[pending[0]] != "DUPLICATE_REPORT" {
			t.Errorf("an order of an approved report, reported again: %v", got)
		}
	})
}

// The report list filters by status, type and submission day, on the
// merchant's page and in the API, and counts every report's orders in one
// statement for the whole page.
func TestReportListFiltersAndCounts(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		pending := pendingOrders(t, a, db, 4)
		day1 := time.Date(2026, 11, 23, 10, 0, 0, 0, models.ChinaTime)
		file := func(at time.Time, typ string, numbers ...string) {
			a.Clock.Set(at)
			p := fileReport(t, a, owner, map[string]any{"type": typ, "reason": "爆单", "remark": "已与买家沟通", "newShipBy": at.Add(10 * 24 * time.Hour),
				"orderNumbers": numbers}, pngBytes)
			if p.DelayReport == nil {
				t.Fatalf("file: %+v %+v", p.UserErrors, p.Orders)
			}
		}
		file(day1, "MERCHANT_FACTOR", pending[0])
		file(day1.Add(24*time.Hour), "MERCHANT_FACTOR", pending[1], pending[2])
		file(day1.Add(48*time.Hour), "SPECIAL_ORDER", pending[3])

		var r struct {
			DelayReports struct {
				Nodes []struct {
					Type       string
					OrderCount int
				}
			}
		}
		list := `query($f: DelayReportFilter, $n: Int) { delayReports(filter: $f, first: $n) { nodes { type orderCount } } }`
		a.MustDo(t, owner, list, &r, map[string]any{"f": map[string]any{"types": []string{"MERCHANT_FACTOR"}}, "n": 10})
		if n := r.DelayReports.Nodes; len(n) != 2 || n[0].OrderCount != 2 || n[1].OrderCount != 1 {
			t.Errorf("merchant-factor reports: %+v", n)
		}
		one := a.CountStatements(t, func() { a.MustDo(t, owner, list, nil, map[string]any{"n": 1}) })
		three := a.CountStatements(t, func() { a.MustDo(t, owner, list, nil, map[string]any{"n": 3}) })
		if one != three {
			t.Errorf("orderCount costs a statement per report: %d for one, %d for three", one, three)
		}
		// The reports' orders and evidence come in a statement each for the
		// whole list, not one per report.
		var fr struct {
			DelayReports struct {
				Nodes []struct {
					OrderCount int
					Orders     []struct{ Number string }
					Evidence   []struct{ Filename string }
				}
			}
		}
		full := `query($n: Int) { delayReports(first: $n) { nodes { orderCount orders { number } evidence { filename } } } }`
		a.MustDo(t, owner, full, &fr, map[string]any{"n": 3})
		var listed []string
		for _, n := range fr.DelayReports.Nodes {
			if len(n.Orders) != n.OrderCount || len(n.Evidence) != 1 || n.Evidence[0].Filename != "证明.png" {
				t.Errorf("a report of %d orders lists %+v and evidence %+v", n.OrderCount, n.Orders, n.Evidence)
			}
			for _, o := range n.Orders {
				listed = append(listed, o.Number)
			}
		}
		slices.Sort(listed)
		if want := slices.Sorted(slices.Values(pending)); !slices.Equal(listed, want) {
			t.Errorf("the reports list orders %v, want %v", listed, want)
		}
		one = a.CountStatements(t, func() { a.MustDo(t, owner, full, nil, map[string]any{"n": 1}) })
		three = a.CountStatements(t, func() { a.MustDo(t, owner, full, nil, map[string]any{"n": 3}) })
		if one != three {
			t.Errorf("orders and evidence cost statements per report: %d for one, %d for three", one, three)
		}

		me := loginCookie(t, a, ownerA)
		rows := func(query string) (int, []string) {
			t.Helper()
			w := get(a, "/reports?"+query, me)
			if w.Code != http.StatusOK {
				t.Fatalf("/reports?%s: %d", query, w.Code)
			}
			doc, _ := goquery.NewDocumentFromReader(w.Body)
			var counts []string
			doc.Find(`[data-testid="report-row"] td.num`).Each(func(_ int, s *goquery.Selection) { counts = append(counts, s.Text()) })
			return len(counts), counts
		}
		if n, counts := rows(""); n != 3 || !slices.Equal(counts, []string{"1", "2", "1"}) {
			t.Errorf("all reports: %d %v", n, counts)
		}
		if n, _ := rows("type=SPECIAL_ORDER"); n != 1 {
			t.Errorf("special orders: %d rows", n)
		}
		if n, counts := rows("from=2026-11-24&to=2026-11-24"); n != 1 || counts[0] != "2" {
			t.Errorf("submitted on 24 November: %d %v", n, counts)
		}
		if n, _ := rows("from=2026-11-24&type=MERCHANT_FACTOR&status=PENDING_REVIEW"); n != 1 {
			t.Errorf("merchant factor from 24 November, pending: %d rows", n)
		}
		// The status tabs keep the other filters.
		w := get(a, "/reports?type=SPECIAL_ORDER", me)
		doc, _ := goquery.NewDocumentFromReader(w.Body)
		doc.Find(`.tabs a`).Each(func(_ int, s *goquery.Selection) {
			if href, _ := s.Attr("href"); !strings.Contains(href, "type=SPECIAL_ORDER") {
				t.Errorf("tab %q drops the type filter", href)
			}
		})
		// A malformed filter is named, not ignored.
		w = get(a, "/reports?from=yesterday&type=NOPE", me)
		if body := w.Body.String(); w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, "report-list-error") {
			t.Errorf("bad filter: %d", w.Code)
		}
	})
}

// D1: a report lists at most 5000 orders; 5001 are refused whole and file
// nothing. D4: the new ship time must be later than each order's current
// promise: at the promise the order is refused, a second later it is
// covered.
func TestDelayReportBoundsAndThePromise(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, url string) {
		a := apptest.New(t, url)
		owner := a.Login(t, ownerA)
		numbers := pendingOrders(t, a, db, 2)
		in := func(shipBy time.Time, orders ...string) map[string]any {
			return map[string]any{"type": "MERCHANT_FACTOR", "reason": "爆单", "remark": "已与买家沟通",
				"newShipBy": shipBy, "orderNumbers": orders}
		}
		later := a.Clock.Now().Add(10 * 24 * time.Hour)
		many := make([]string, 5001)
		for i := range many {
			many[i] = fmt.Sprintf("X%06d", i)
		}
		reports := countRows(t, db, "delay_reports")
		if p := fileReport(t, a, owner, in(later, many...), pngBytes); codeOf(p.UserErrors) != "BATCH_TOO_LARGE" || p.DelayReport != nil {
			t.Errorf("5001 orders: %+v", p.UserErrors)
		}
		if p := fileReport(t, a, owner, in(later, many[:5000]...), pngBytes); codeOf(p.UserErrors) == "BATCH_TOO_LARGE" || len(p.Orders) != 5000 {
			t.Errorf("5000 orders: %+v, %d judged", p.UserErrors, len(p.Orders))
		}
		if countRows(t, db, "delay_reports") != reports {
			t.Error("a refused report was filed")
		}

		var promise time.Time
		db.Raw("SELECT promised_ship_by FROM orders WHERE number = ?", numbers[0]).Scan(&promise)
		p := fileReport(t, a, owner, in(promise, numbers[0]), pngBytes)
		if got := orderCodes(p); got[numbers[0]] != "INVALID_ARGUMENT" || p.DelayReport != nil {
			t.Errorf("a new ship time equal to the promise: %v %+v", got, p.UserErrors)
		}
		p = fileReport(t, a, owner, in(promise.Add(time.Second), numbers[0]), pngBytes)
		if got := orderCodes(p); got[numbers[0]] != "OK" || p.DelayReport == nil {
			t.Errorf("a second after the promise: %v %+v", got, p.UserErrors)
		}
	})
}
