package app_test

import (
	"context"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/fahuo/fahuo/app/apptest"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// screenshotDir keeps the screenshots the browser tests take, to look at;
// it is not committed.
const screenshotDir = "../frontend/testdata/screenshots"

// browser starts headless Chromium for a test. Without Chromium the test is
// skipped on a developer's machine, so that `go test ./...` needs only Go,
// and fails in CI, where .ci/run installs it.
// browserApp starts a browser and a server on a fresh SQLite database with
// the demo data.
func browserApp(t *testing.T) (context.Context, *gorm.DB, *apptest.App, *httptest.Server) {
	ctx := browser(t)
	db, dbURL := dbtest.SQLite(t)
	a := apptest.New(t, dbURL)
	srv := httptest.NewServer(a.Handler)
	t.Cleanup(srv.Close)
	return ctx, db, a, srv
}

func browser(t *testing.T) context.Context {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; CI must run the browser tests")
		}
		t.Skip("chromium is not installed (apt-get install chromium); CI runs this test")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancelCtx := chromedp.NewContext(actx)
	t.Cleanup(cancelCtx)
	// The first run starts the browser, with no deadline of its own (a
	// deadline on it would end the browser); the steps then get one.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	return ctx
}

// store runs an action that returns a value and keeps the value in *dst,
// so that it can stand among the steps of chromedp.Do.
func store[T any](dst *T, a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tgt *chromedp.Target) (chromedp.Void, error) {
		v, err := a(ctx, tgt)
		*dst = v
		return chromedp.Void{}, err
	}
}

// login logs in on the login page with the demo password and waits for the
// page it lands on.
func login(srv *httptest.Server, email string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(`[data-testid="login-form"]`),
		chromedp.SendKeys(`input[name="email"]`, email),
		chromedp.SendKeys(`input[name="password"]`, fulfillment.DemoPassword),
		chromedp.Submit(`[data-testid="login-form"]`),
		chromedp.WaitVisible(`[data-testid="logout"]`),
	)
}

func screenshot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
		if os.Getenv("FAHUO_TEST_LOG") != "" {
			println(time.Now().Format("15:04:05.000"), "screenshot", name)
		}
		png, err := chromedp.FullScreenshot(100)(ctx, tgt)
		if err != nil {
			return err
		}
		if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644)
	})
}

func TestBrowserLoginOrderAndReveal(t *testing.T) {
	ctx, db, _, srv := browserApp(t)
	var o models.Order
	if err := db.Where("status = ?", models.OrderShipped).Order("id").Take(&o).Error; err != nil {
		t.Fatal(err)
	}

	var phoneBefore, phoneAfter, rows string
	err := chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+"/"),
		chromedp.WaitVisible(`[data-testid="login-form"]`),
		screenshot("login"),
		chromedp.SendKeys(`input[name="email"]`, ownerA),
		chromedp.SendKeys(`input[name="password"]`, "wrong"),
		chromedp.Submit(`[data-testid="login-form"]`),
		chromedp.WaitVisible(`[data-testid="login-error"]`),
		chromedp.SendKeys(`input[name="password"]`, "fahuo-demo"),
		chromedp.Submit(`[data-testid="login-form"]`),
		chromedp.WaitVisible(`[data-testid="orders"]`),
		store(&rows, chromedp.Text(`[data-testid="orders"]`)),
		screenshot("home"),
		chromedp.Click(`a[href="/orders/`+o.Number+`"]`),
		chromedp.WaitVisible(`[data-testid="recipient"]`),
		store(&phoneBefore, chromedp.Text(`[data-testid="recipient-phone"]`)),
		screenshot("order-masked"),
		chromedp.Click(`[data-testid="reveal"]`),
		chromedp.WaitVisible(`[data-testid="reveal-note"]`),
		store(&phoneAfter, chromedp.Text(`[data-testid="recipient-phone"]`)),
		screenshot("order-revealed"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rows, o.Number) {
		t.Errorf("the home page does not list %s", o.Number)
	}
	if phoneBefore == o.RecipientPhone || !strings.Contains(phoneBefore, "****") {
		t.Errorf("phone before reveal: %q", phoneBefore)
	}
	if phoneAfter != o.RecipientPhone {
		t.Errorf("phone after reveal: %q, want %q", phoneAfter, o.RecipientPhone)
	}
}

// The whole round in a real browser: a merchant ships an order in two
// packages, appends a package, uploads a batch file and reads the rows, and
// files a delay report with evidence; the platform approves it; the buyer
// sees every tracking number.
func TestBrowserMerchantPlatformBuyer(t *testing.T) {
	ctx, db, a, srv := browserApp(t)
	orders := pendingOrders(t, a, db, 3)
	dir := t.TempDir()
	batchCSV := filepath.Join(dir, "批量发货.csv")
	csv := "订单号,快递公司,快递单号\n" + orders[1] + ",顺丰," + sfNumber(777) + "\nNO-SUCH-ORDER,SF," + sfNumber(778) + "\n"
	if err := os.WriteFile(batchCSV, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	evidence := filepath.Join(dir, "停运通知.png")
	if err := os.WriteFile(evidence, pngBytes, 0o644); err != nil {
		t.Fatal(err)
	}
	var line2 string
	db.Raw("SELECT id FROM order_lines WHERE order_id = (SELECT id FROM orders WHERE number = ?) AND line_no = 2", orders[0]).Scan(&line2)
	logout := chromedp.Steps(chromedp.Click(`[data-testid="logout"]`), chromedp.WaitVisible(`[data-testid="login-form"]`))
	var shipped, appended, batchCounts, reportStatus, approved, buyerNumbers string
	err := chromedp.Do(ctx,
		login(srv, ownerA),
		// Ship the first order in two packages: line 1 in one, line 2 in the other.
		chromedp.Navigate(srv.URL+"/orders/"+orders[0]),
		chromedp.WaitVisible(`[data-testid="ship-form"]`),
		screenshot("order-ship-form"),
		chromedp.SendKeys(`input[name="number0"]`, sfNumber(701)),
		chromedp.SetValue(`input[name="qty0_`+line2+`"]`, "0"),
		chromedp.SetValue(`input[name="qty1_`+line2+`"]`, "1"),
		chromedp.SetValue(`select[name="carrier1"]`, "ZTO"),
		chromedp.SendKeys(`input[name="number1"]`, ztoNumber(701)),
		chromedp.Submit(`[data-testid="ship"]`),
		chromedp.WaitVisible(`//a[@data-testid="tracking-number" and text()="`+ztoNumber(701)+`"]`),
		store(&shipped, chromedp.Text(`[data-testid="packages"]`)),
		// Append a package.
		chromedp.SetValue(`[data-testid="append-form"] select`, "YTO"),
		chromedp.SendKeys(`[data-testid="append-form"] input[name="number"]`, ytoNumber(701)),
		chromedp.Submit(`[data-testid="append"]`),
		chromedp.WaitVisible(`//a[@data-testid="tracking-number" and text()="`+ytoNumber(701)+`"]`),
		store(&appended, chromedp.Text(`[data-testid="packages"]`)),
		screenshot("order-shipped"),
		// A batch file, read row by row.
		chromedp.Navigate(srv.URL+"/batch"),
		chromedp.WaitVisible(`[data-testid="batch-form"]`),
		chromedp.SetUploadFiles(`input[name="file"]`, []string{batchCSV}),
		chromedp.Submit(`[data-testid="batch-submit"]`),
		chromedp.WaitVisible(`[data-testid="batch-rows"]`),
		store(&batchCounts, chromedp.Text(`[data-testid="batch-counts"]`)),
		screenshot("batch-result"),
		// A delay report with evidence.
		chromedp.Navigate(srv.URL+"/reports/new"),
		chromedp.WaitVisible(`[data-testid="report-form"]`),
		chromedp.SetValue(`select[name="type"]`, "MERCHANT_FACTOR"),
		chromedp.SendKeys(`input[name="reason"]`, "价格设置错误导致订单激增"),
		chromedp.SendKeys(`input[name="remark"]`, "已逐一联系买家"),
		chromedp.SendKeys(`textarea[name="orderNumbers"]`, orders[2]),
		chromedp.SetUploadFiles(`input[name="evidence"]`, []string{evidence}),
		screenshot("report-form"),
		chromedp.Submit(`[data-testid="report-submit"]`),
		chromedp.WaitVisible(`[data-testid="report-status"]`),
		store(&reportStatus, chromedp.Text(`[data-testid="report-status"]`)),
		chromedp.Navigate(srv.URL+"/templates/new"),
		chromedp.WaitVisible(`[data-testid="region-picker"]`),
		screenshot("template-editor"),
		chromedp.Navigate(srv.URL+"/figures"),
		chromedp.WaitVisible(`[data-testid="capacity-chart"]`),
		screenshot("figures"),
		logout,
		// The platform approves it from the review desk.
		login(srv, platfm),
		chromedp.Navigate(srv.URL+"/review"),
		chromedp.WaitVisible(`[data-testid="reports"]`),
		screenshot("review-desk"),
		chromedp.Click(`[data-testid="open-report"]`),
		chromedp.WaitVisible(`[data-testid="approve"]`),
		screenshot("review-report"),
		chromedp.Submit(`[data-testid="approve"]`),
		chromedp.WaitVisible(`[data-testid="effective-at"]`),
		store(&approved, chromedp.Text(`[data-testid="report-status"]`)),
		logout,
		// The buyer sees every tracking number.
		login(srv, buyer),
		chromedp.Navigate(srv.URL+"/orders/"+orders[0]),
		chromedp.WaitVisible(`[data-testid="packages"]`),
		store(&buyerNumbers, chromedp.Text(`[data-testid="packages"]`)),
		screenshot("buyer-tracking"),
		chromedp.EmulateViewport(390, 844),
		screenshot("buyer-tracking-phone"),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{sfNumber(701), ztoNumber(701)} {
		if !strings.Contains(shipped, n) {
			t.Errorf("the shipped order does not show %s: %s", n, shipped)
		}
	}
	if !strings.Contains(appended, ytoNumber(701)) {
		t.Errorf("the appended package is missing: %s", appended)
	}
	if !strings.Contains(batchCounts, "成功 1") || !strings.Contains(batchCounts, "失败 1") {
		t.Errorf("batch counts: %q", batchCounts)
	}
	if reportStatus != "待审核" || approved != "已通过" {
		t.Errorf("report %q, after review %q", reportStatus, approved)
	}
	for _, n := range []string{sfNumber(701), ztoNumber(701), ytoNumber(701)} {
		if !strings.Contains(buyerNumbers, n) {
			t.Errorf("the buyer does not see %s: %s", n, buyerNumbers)
		}
	}
	var units int64
	db.Raw(`SELECT COUNT(*) FROM packages WHERE order_id = (SELECT id FROM orders WHERE number = ?) AND kind = 'SHIPMENT'`, orders[0]).Scan(&units)
	if units != 2 {
		t.Errorf("%d shipment packages, want 2", units)
	}
}

// The merchant turns down a buyer's refund request on the order page: the
// reject form asks for the reason, and after it the page says so and no
// longer offers the refund buttons.
func TestBrowserRefundRejected(t *testing.T) {
	ctx, db, a, srv := browserApp(t)
	id, _ := newOrder(t, a, db, buyer)
	number := orderNumber(t, db, id)
	a.MustDo(t, a.Login(t, buyer), requestRefund, nil, map[string]any{"id": id, "r": "拍错了尺码"})

	var status string
	var forms int
	err := chromedp.Do(ctx,
		login(srv, ownerA),
		chromedp.Navigate(srv.URL+"/orders/"+number),
		chromedp.WaitVisible(`[data-testid="reject-refund-form"]`),
		chromedp.SendKeys(`[data-testid="reject-refund-form"] input[name="reason"]`, "已与买家沟通，改发正确尺码"),
		screenshot("order-refund-reject"),
		chromedp.Click(`[data-testid="reject-refund"]`),
		chromedp.WaitNotPresent(`[data-testid="reject-refund-form"]`),
		store(&status, chromedp.Text(`main`)),
		store(&forms, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="approve-refund"], [data-testid="reject-refund-form"]').length`)),
		screenshot("order-refund-rejected"),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status, "已拒绝退款申请") || !strings.Contains(status, "已与买家沟通，改发正确尺码") || forms != 0 {
		t.Errorf("after the rejection (%d refund forms left): %s", forms, status)
	}
}

// The buyer's order page links the signed tracking page; opened without a
// login (after logging out), it shows the order's packages and scans, the
// recipient masked, and offers nothing to do.
func TestBrowserTrackingLink(t *testing.T) {
	ctx, db, _, srv := browserApp(t)
	var number string
	db.Raw(`SELECT orders.number FROM orders JOIN users ON users.id = orders.buyer_id
		WHERE users.email = ? AND orders.status = 'SHIPPED' AND (SELECT COUNT(*) FROM packages WHERE packages.order_id = orders.id) > 1
		ORDER BY orders.id LIMIT 1`, buyer).Scan(&number)
	if number == "" {
		t.Fatal("the demo buyer has no order shipped in several packages")
	}
	var want []string
	db.Raw("SELECT tracking_number FROM packages WHERE order_id = (SELECT id FROM orders WHERE number = ?) ORDER BY id", number).Scan(&want)

	var packages, phone string
	var href chromedp.AttributeResult
	var forms, logouts int
	err := chromedp.Do(ctx,
		login(srv, buyer),
		chromedp.Navigate(srv.URL+"/orders/"+number),
		chromedp.WaitVisible(`[data-testid="tracking-link"]`),
		store(&href, chromedp.AttributeValue(`[data-testid="tracking-link"]`, "href")),
		screenshot("buyer-order-with-link"),
		chromedp.Click(`[data-testid="logout"]`),
		chromedp.WaitVisible(`[data-testid="login-form"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(href.Value, "/track/fhl_") {
		t.Fatalf("the tracking link is %q", href.Value)
	}
	err = chromedp.Do(ctx,
		chromedp.Navigate(srv.URL+href.Value),
		chromedp.WaitVisible(`[data-testid="packages"]`),
		store(&packages, chromedp.Text(`[data-testid="packages"]`)),
		store(&phone, chromedp.Text(`[data-testid="recipient-phone"]`)),
		store(&forms, chromedp.Evaluate[int](`document.querySelectorAll('form').length`)),
		store(&logouts, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="logout"]').length`)),
		screenshot("tracking-link"),
		chromedp.EmulateViewport(390, 844),
		screenshot("tracking-link-phone"),
	)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range want {
		if !strings.Contains(packages, n) {
			t.Errorf("the tracking page does not show %s: %s", n, packages)
		}
	}
	if !strings.Contains(phone, "****") || forms != 0 || logouts != 0 {
		t.Errorf("the tracking page shows the phone %q, %d forms, %d logout buttons", phone, forms, logouts)
	}
}
