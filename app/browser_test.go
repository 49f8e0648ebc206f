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
	"github.com/fahuo/fahuo/models"
)

// screenshotDir keeps the screenshots the browser tests take, to look at;
// it is not committed.
const screenshotDir = "../frontend/testdata/screenshots"

// browser starts headless Chromium for a test. Without Chromium the test is
// skipped on a developer's machine, so that `go test ./...` needs only Go,
// and fails in CI, where .ci/run installs it.
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

func screenshot(name string) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tgt *chromedp.Target) error {
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
	ctx := browser(t)
	db, dbURL := dbtest.SQLite(t)
	a := apptest.New(t, dbURL)
	srv := httptest.NewServer(a.Handler)
	defer srv.Close()
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
