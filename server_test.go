package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is written by the server's goroutine and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// The first of the README's commands: start on an embedded SQLite file with
// demo data, print the URL and the logins, serve, and stop cleanly.
func TestRunPrintsTheURLAndStopsCleanly(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs lockedBuffer
	db := "sqlite:" + filepath.Join(t.TempDir(), "fahuo.db")
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-db", db, "-log-level", "warn", "-pprof", "127.0.0.1:0"}, &out, &logs)
	}()

	urlRE := regexp.MustCompile(`running at (http://\S+)`)
	deadline := time.Now().Add(30 * time.Second)
	var url string
	for url == "" {
		if m := urlRE.FindStringSubmatch(out.String()); m != nil {
			url = m[1]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("run ended early: %v\n%s\n%s", err, out.String(), logs.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no URL printed:\n%s\n%s", out.String(), logs.String())
		}
	}
	for _, login := range []string{"merchant-a@demo.fahuo", "merchant-b@demo.fahuo", "buyer@demo.fahuo", "platform@demo.fahuo", "fahuo-demo"} {
		if !strings.Contains(out.String(), login) {
			t.Errorf("the start-up message lacks %s:\n%s", login, out.String())
		}
	}
	resp, err := http.Get(url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("readyz: %d %s", resp.StatusCode, body)
	}
	// Profiles are served on their own port, never on the app's.
	profiles := regexp.MustCompile(`Profiles: (http://\S+)`).FindStringSubmatch(out.String())
	if profiles == nil {
		t.Fatalf("no profile address printed:\n%s", out.String())
	}
	if resp, err := http.Get(profiles[1] + "goroutine?debug=1"); err != nil || resp.StatusCode != 200 {
		t.Errorf("profiles: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	if resp, err := http.Get(url + "/debug/pprof/"); err != nil || resp.StatusCode == 200 {
		t.Errorf("the app's port serves profiles: %v %v", err, resp)
	} else {
		resp.Body.Close()
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(35 * time.Second):
		t.Fatal("the server did not stop")
	}
}

func TestRunRefusesBadSettings(t *testing.T) {
	for _, args := range [][]string{
		{"-seed", "maybe"},
		{"-log-level", "loud"},
		{"-db-max-conns", "-1"},
		{"-db", "postgres://nobody@127.0.0.1:1/none?connect_timeout=1"},
	} {
		var out, logs lockedBuffer
		if err := run(context.Background(), append(args, "-addr", "127.0.0.1:0"), &out, &logs); err == nil {
			t.Errorf("run(%v) started", args)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := redact("postgres://fahuo:s3cret@db:5432/fahuo"); got != "postgres://fahuo:***@db:5432/fahuo" {
		t.Errorf("redact = %q", got)
	}
	if got := redact("sqlite:fahuo.db"); got != "sqlite:fahuo.db" {
		t.Errorf("redact = %q", got)
	}
}
