// Package dbtest gives each test a fresh, migrated database: a new SQLite
// file always, and a new PostgreSQL schema too when TEST_DATABASE_URL is set,
// so that one suite proves the behaviour on both databases Fahuo ships.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/fahuo/fahuo/database"
	"gorm.io/gorm"
)

// EnvURL names the variable that points the tests at a PostgreSQL server.
const EnvURL = "TEST_DATABASE_URL"

// Each runs fn as a subtest once per database: "sqlite" always, "postgres"
// when TEST_DATABASE_URL is set. Each run gets its own empty, migrated
// database, dropped when the subtest ends.
func Each(t *testing.T, fn func(t *testing.T, db *gorm.DB, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		db, u := SQLite(t)
		fn(t, db, u)
	})
	if os.Getenv(EnvURL) != "" {
		t.Run("postgres", func(t *testing.T) {
			db, u := Postgres(t)
			fn(t, db, u)
		})
	}
}

// SQLite opens a migrated SQLite database in a new file under the test's
// temporary directory and returns it with its URL.
func SQLite(t testing.TB) (*gorm.DB, string) {
	t.Helper()
	u := "sqlite:" + filepath.Join(t.TempDir(), "fahuo.db")
	return open(t, u), u
}

// Postgres creates a schema of its own on the server TEST_DATABASE_URL names,
// opens a migrated database whose search_path is that schema, and drops the
// schema when the test ends. It skips nothing: without the variable it fails.
func Postgres(t testing.TB) (*gorm.DB, string) {
	t.Helper()
	u := emptyPostgres(t)
	return open(t, u), u
}

// emptyPostgres creates an empty schema, dropped when the test ends, and
// returns a URL whose search_path is that schema.
func emptyPostgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		t.Fatalf("%s is not set", EnvURL)
	}
	ctx := context.Background()
	admin, err := database.Open(ctx, base, database.Options{MaxOpenConns: 2})
	if err != nil {
		t.Fatalf("reach PostgreSQL at %s: %v", EnvURL, err)
	}
	schema := "test_" + randomHex(8)
	if err := admin.Exec("CREATE SCHEMA " + schema).Error; err != nil {
		t.Fatalf("create schema: %v", err)
	}
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	// Registered before the test opens its pool, so it runs after that
	// pool is closed.
	t.Cleanup(func() {
		if err := admin.Exec("DROP SCHEMA " + schema + " CASCADE").Error; err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		_ = database.Close(admin)
	})
	return u.String()
}

func open(t testing.TB, u string) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	db, err := database.Open(ctx, u, database.Options{})
	if err != nil {
		t.Fatalf("open %s: %v", u, err)
	}
	t.Cleanup(func() { _ = database.Close(db) })
	if err := database.Migrate(ctx, db); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return hex.EncodeToString(b)
}

// EachEmpty is Each with empty, unmigrated databases, for tests of the
// migrations themselves.
func EachEmpty(t *testing.T, fn func(t *testing.T, url string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, "sqlite:"+filepath.Join(t.TempDir(), "fahuo.db"))
	})
	if os.Getenv(EnvURL) != "" {
		t.Run("postgres", func(t *testing.T) {
			fn(t, emptyPostgres(t))
		})
	}
}
