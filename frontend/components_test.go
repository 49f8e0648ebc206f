package frontend

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
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
	doc := render(t, homePage(Page{Lang: EN, Title: "x", Viewer: evil}, Home{Name: evil, Orders: []OrderRow{{Number: evil}}}))
	if doc.Find("script").Length() != 0 {
		t.Error("a user's text became a script element")
	}
	if got := doc.Find(`[data-testid="viewer"]`).Text(); got != evil {
		t.Errorf("viewer = %q", got)
	}
}

func TestHomeListsOrdersInTheChosenLanguage(t *testing.T) {
	rows := []OrderRow{{Number: "1", Status: T(EN, "status.SHIPPED")}, {Number: "2", Status: T(EN, "status.CLOSED")}}
	doc := render(t, homePage(Page{Lang: EN, Title: "x", Viewer: "Lin"}, Home{Name: "Lin", Role: T(EN, "role.OWNER"), Shop: "S", Orders: rows}))
	if n := doc.Find(`[data-testid="order-row"]`).Length(); n != 2 {
		t.Errorf("%d rows", n)
	}
	if got := doc.Find(`[data-testid="role"]`).Text(); got != "Owner" {
		t.Errorf("role = %q", got)
	}
	if got := doc.Find(`[data-testid="lang-switch"]`).Text(); got != "中文" {
		t.Errorf("switch = %q", got)
	}
	empty := render(t, homePage(Page{Lang: ZH, Title: "x", Viewer: "Lin"}, Home{Name: "Lin"}))
	if !strings.Contains(empty.Text(), "暂无订单") {
		t.Error("no empty-list message")
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
			if m[1] == "status." || m[1] == "role." || m[1] == "pkg." || m[1] == "error." {
				continue
			}
			t.Errorf("%s looks up %q+… which this test does not know how to check", f, m[1])
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
