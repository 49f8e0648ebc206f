package frontend

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
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
