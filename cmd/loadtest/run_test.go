package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/fahuo/fahuo/database/dbtest"
)

// TestRunEveryWorkload runs the whole command on a small data set, its
// own server in process, on each database: every workload's requests must
// succeed, the plain SQL too, and every write must check out in the
// database afterwards. On PostgreSQL the command makes and drops a database
// of its own on the server that TEST_DATABASE_URL names.
func TestRunEveryWorkload(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a data set and runs a server")
	}
	dbs := map[string]string{"sqlite": "sqlite:" + filepath.Join(t.TempDir(), "load.db")}
	if u := os.Getenv(dbtest.EnvURL); u != "" {
		dbs["postgres"] = u
	}
	for name, url := range dbs {
		t.Run(name, func(t *testing.T) {
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
			if m := regexp.MustCompile(`\d+ errors: .*`).FindString(text); m != "" {
				t.Errorf("requests failed: %s", m)
			}
			if strings.Contains(text, "MISMATCH") {
				t.Errorf("a database check failed:\n%s", text)
			}
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
}
