package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/database/dbtest"
)

// TestRunEveryWorkload runs the whole command on a small data set, its
// own server in process, on each database: every workload's requests must
// succeed, the plain SQL too, and every write must check out in the
// database afterwards. On PostgreSQL the command makes and drops a database
// of its own on the server that TEST_DATABASE_URL names.
func TestRunEveryWorkload(t *testing.T) {
	eachDatabase(t, func(t *testing.T, name, url string) {
		cfg, err := parseFlags([]string{"-db", url, "-orders", "60", "-conc", "3",
			"-duration", "400ms", "-warmup", "100ms", "-rounds", "2",
			"-w3-warmup", "3", "-w3-count", "12", "-w4-runs", "2", "-w4-with-w1"})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := run(context.Background(), cfg, &out); err != nil {
			t.Fatalf("run: %v\n%s", err, out.String())
		}
		text := out.String()
		checkClean(t, text)
		for _, want := range []string{
			"== W1 buyer order read", "== W1 through the tracking link", "== W2", "== W3",
			"W3 server DB check: ok", "W3 SQL DB check: ok",
			"W4 run 1: 30 rows", "W4 run 2: 30 rows", "DB check ok",
			"repeat of run 1 with the same numbers: ok",
		} {
			if !strings.Contains(text, want) {
				t.Errorf("no %q in the output:\n%s", want, text)
			}
		}
	})
}

// eachDatabase runs fn as a subtest on a SQLite file, and on the
// PostgreSQL server TEST_DATABASE_URL names when it is set: url is what
// -db takes.
func eachDatabase(t *testing.T, fn func(t *testing.T, name, url string)) {
	dbs := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "load.db")}
	if u := os.Getenv(dbtest.EnvURL); u != "" {
		dbs["postgres"] = u
	}
	for name, url := range dbs {
		t.Run(name, func(t *testing.T) { fn(t, name, url) })
	}
}

// checkClean fails the test when the command's output reports a failed
// request or a failed database check.
func checkClean(t *testing.T, text string) {
	t.Helper()
	if m := regexp.MustCompile(`\d+ errors: .*`).FindString(text); m != "" {
		t.Errorf("requests failed: %s", m)
	}
	if strings.Contains(text, "MISMATCH") {
		t.Errorf("a database check failed:\n%s", text)
	}
}

// TestTargetRunsAgain measures a running server twice with the writing
// workloads: its database is not restored in between, so the second
// invocation must number its tracking numbers past the first one's.
func TestTargetRunsAgain(t *testing.T) {
	eachDatabase(t, func(t *testing.T, name, url string) {
		ctx := context.Background()
		cfg, err := parseFlags([]string{"-db", url, "-orders", "60", "-load-only"})
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := run(ctx, cfg, &out); err != nil {
			t.Fatalf("load: %v\n%s", err, out.String())
		}
		m := regexp.MustCompile(`-db '([^']+)' -seed=false`).FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no database in the output:\n%s", out.String())
		}
		served := m[1]
		if name == "postgres" {
			kept := regexp.MustCompile(`kept databases (\S+) and (\S+)`).FindStringSubmatch(out.String())
			if kept == nil {
				t.Fatalf("no kept databases in the output:\n%s", out.String())
			}
			t.Cleanup(func() {
				admin, err := database.Open(ctx, url, database.Options{MaxOpenConns: 1})
				if err != nil {
					t.Errorf("drop the kept databases: %v", err)
					return
				}
				defer database.Close(admin)
				for _, db := range kept[1:] {
					if err := admin.Exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)").Error; err != nil {
						t.Errorf("drop %s: %v", db, err)
					}
				}
			})
		}
		srv, err := startServer(ctx, served, false, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.stop() })
		for i := range 2 {
			cfg, err := parseFlags([]string{"-target", srv.base, "-db", served, "-workloads", "W3,W4",
				"-conc", "2", "-w3-warmup", "2", "-w3-count", "8", "-w4-runs", "1"})
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			if err := run(ctx, cfg, &out); err != nil {
				t.Fatalf("invocation %d: %v\n%s", i+1, err, out.String())
			}
			text := out.String()
			checkClean(t, text)
			// 30 orders shipped by the loader, and 10 more by each W3.
			shipped := 40 + 10*i
			for _, want := range []string{"W3 server DB check: ok",
				fmt.Sprintf("W4 run 1: %d rows in", shipped), fmt.Sprintf("%d ok, 0 failed", shipped)} {
				if !strings.Contains(text, want) {
					t.Errorf("invocation %d: no %q in the output:\n%s", i+1, want, text)
				}
			}
		}
	})
}
