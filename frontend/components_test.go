package frontend

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
	"github.com/fahuo/fahuo/models"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var b strings.Builder
	if err := c.Render(context.Background(), &b); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestLoginPageShowsTheErrorAndKeepsTheEmail(t *testing.T) {
	doc := render(t, loginPage(Page{Lang: ZH, Title: "登录"}, LoginForm{Email: "a@b.c", Error: "邮箱或密码错误"}))
	if got := doc.Find(`[data-testid="login-error"]`).Text(); got != "邮箱或密码错误" {
		t.Errorf("error = %q", got)
	}
	if v, _ := doc.Find(`input[name="email"]`).Attr("value"); v != "a@b.c" {
		t.Errorf("email kept as %q", v)
	}
	if doc.Find(`input[name="password"]`).AttrOr("value", "") != "" {
		t.Error("the password is echoed back")
	}
	if lang, _ := doc.Find("html").Attr("lang"); lang != "zh-CN" {
		t.Errorf("lang = %q", lang)
	}
	if doc.Find(`[data-testid="logout"]`).Length() != 0 {
		t.Error("a logout button on the login page")
	}
}

func TestPagesEscapeWhatUsersTyped(t *testing.T) {
	evil := `<script>alert(1)</script>`
	doc := render(t, ordersPage(Page{Lang: EN, Title: "x", Viewer: evil}, OrderList{Heading: evil, Orders: []OrderRow{{Number: evil, Region: evil}}}))
	if doc.Find("script:not([src])").Length() != 0 || doc.Find(`script[src]`).Length() != 1 {
		t.Error("a user's text became a script element")
	}
	if got := doc.Find(`[data-testid="viewer"]`).Text(); got != evil {
		t.Errorf("viewer = %q", got)
	}
}

func TestOrderListShowsTabsRowsAndPaging(t *testing.T) {
	l := OrderList{Heading: "Orders", Total: 2, NextHref: "/orders?after=abc",
		Tabs:   []StatusTab{{Label: "All", Href: "/orders", Active: true}, {Label: "Shipped", Href: "/orders?status=SHIPPED"}},
		Orders: []OrderRow{{Number: "1", Status: T(EN, "status.SHIPPED"), Report: "Epidemic · Approved"}, {Number: "2", Status: T(EN, "status.CLOSED")}}}
	doc := render(t, ordersPage(Page{Lang: EN, Title: "x", Viewer: "Lin", CSRF: "tok"}, l))
	if n := doc.Find(`[data-testid="order-row"]`).Length(); n != 2 {
		t.Errorf("%d rows", n)
	}
	if got := doc.Find(`.tab.active`).Text(); got != "All" {
		t.Errorf("active tab %q", got)
	}
	if got := doc.Find(`[data-testid="report-status"]`).First().Text(); got != "Epidemic · Approved" {
		t.Errorf("report status %q", got)
	}
	if href, _ := doc.Find(`[data-testid="next-page"]`).Attr("href"); href != "/orders?after=abc" {
		t.Errorf("next %q", href)
	}
	if v, _ := doc.Find(`form[action="/logout"] input[name="csrf"]`).Attr("value"); v != "tok" {
		t.Errorf("the logout form carries token %q", v)
	}
	if got := doc.Find(`[data-testid="lang-switch"]`).Text(); got != "中文" {
		t.Errorf("switch = %q", got)
	}
	empty := render(t, ordersPage(Page{Lang: ZH, Title: "x", Viewer: "Lin"}, OrderList{}))
	if !strings.Contains(empty.Text(), "暂无订单") {
		t.Error("no empty-list message")
	}
}

func TestOrderPageOffersOnlyTheAllowedForms(t *testing.T) {
	base := OrderView{Number: "1", Lines: []LineView{{ID: 7, Title: "橙子", Quantity: 2, Remaining: 2}}, ShipSlots: []int{0, 1}}
	doc := render(t, orderPage(Page{Lang: ZH, CSRF: "tok"}, base))
	for _, id := range []string{"ship-form", "append-form", "refund-form", "approve-refund", "reveal"} {
		if doc.Find(`[data-testid="`+id+`"]`).Length() != 0 {
			t.Errorf("%s shown without the right", id)
		}
	}
	can := base
	can.CanShip, can.CanAppend = true, true
	doc = render(t, orderPage(Page{Lang: ZH, CSRF: "tok"}, can))
	if v, _ := doc.Find(`[data-testid="ship-form"] input[name="qty0_7"]`).Attr("value"); v != "2" {
		t.Errorf("the first package takes all by default: %q", v)
	}
	if v, _ := doc.Find(`[data-testid="ship-form"] input[name="qty1_7"]`).Attr("value"); v != "0" {
		t.Errorf("the second package starts empty: %q", v)
	}
	if doc.Find(`form input[name="csrf"][value="tok"]`).Length() < 2 {
		t.Error("the forms carry no token")
	}
}

func TestEveryCatalogueEntryHasBothLanguages(t *testing.T) {
	for key, m := range messages {
		if m[ZH] == "" || m[EN] == "" {
			t.Errorf("%s: %v", key, m)
		}
	}
}

func TestYuan(t *testing.T) {
	for cents, want := range map[int64]string{0: "¥0.00", 5: "¥0.05", 3990: "¥39.90", -120: "-¥1.20", 123456789: "¥1234567.89"} {
		if got := yuan(cents); got != want {
			t.Errorf("yuan(%d) = %q, want %q", cents, got, want)
		}
	}
}

// Every key the pages look up must be in the catalogue: a missing one would
// show the key itself to merchants.
func TestEveryKeyUsedIsInTheCatalogue(t *testing.T) {
	files, err := filepath.Glob("*.templ")
	if err != nil {
		t.Fatal(err)
	}
	goFiles, _ := filepath.Glob("*.go")
	files = append(files, goFiles...)
	literal := regexp.MustCompile(`T\((?:p\.)?[Ll]ang, "([^"]+)"\)`)
	prefixed := regexp.MustCompile(`T\((?:p\.)?[Ll]ang, "([a-z]+\.)"\+string\(`)
	for _, f := range files {
		if strings.HasSuffix(f, "_templ.go") || strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range literal.FindAllStringSubmatch(string(src), -1) {
			if _, ok := messages[m[1]]; !ok {
				t.Errorf("%s uses %q, which the catalogue lacks", f, m[1])
			}
		}
		for _, m := range prefixed.FindAllStringSubmatch(string(src), -1) {
			if slices.Contains([]string{"status.", "role.", "pkg.", "error.", "reportType.", "reportStatus.", "refundStatus.", "history.", "unit.", "pricing.", "promise."}, m[1]) {
				continue
			}
			t.Errorf("%s looks up %q+… which this test does not know how to check", f, m[1])
		}
	}
	for _, rt := range models.DelayReportTypes {
		if _, ok := messages["reportType."+string(rt)]; !ok {
			t.Errorf("no message for report type %s", rt)
		}
	}
	for _, st := range []models.ReportStatus{models.ReportPending, models.ReportApproved, models.ReportRejected} {
		if _, ok := messages["reportStatus."+string(st)]; !ok {
			t.Errorf("no message for report status %s", st)
		}
	}
	for _, st := range []models.RefundStatus{models.RefundNone, models.RefundRequested, models.Refunded} {
		if _, ok := messages["refundStatus."+string(st)]; !ok {
			t.Errorf("no message for refund status %s", st)
		}
	}
	for _, h := range []string{"ship", "appendPackage", "requestRefund", "withdrawRefund", "approveRefund", "markPackageIntercepted", "delivered"} {
		if _, ok := messages["history."+h]; !ok {
			t.Errorf("no message for history action %s", h)
		}
	}
	for _, c := range models.ErrorCodes {
		if _, ok := messages["error."+string(c)]; !ok {
			t.Errorf("no message for error code %s", c)
		}
	}
	for _, s := range models.OrderStatuses {
		if _, ok := messages["status."+string(s)]; !ok {
			t.Errorf("no message for status %s", s)
		}
	}
	for _, r := range append(models.ShopRoles, models.RoleBuyer, models.RolePlatform) {
		if _, ok := messages["role."+string(r)]; !ok {
			t.Errorf("no message for role %s", r)
		}
	}
	for _, s := range []models.PackageStatus{models.PackageAwaitingPickup, models.PackageAccepted, models.PackagePickedUp,
		models.PackageInTransit, models.PackageOutForDelivery, models.PackageDelivered, models.PackageException, models.PackageReturned} {
		if _, ok := messages["pkg."+string(s)]; !ok {
			t.Errorf("no message for package status %s", s)
		}
	}
}
