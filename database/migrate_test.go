package database_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

func TestMigrateTwiceKeepsSchema(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, _ string) {
		ctx := context.Background()
		steps, err := database.Migrations()
		if err != nil {
			t.Fatal(err)
		}
		// dbtest already migrated once; a second and third run must be no-ops.
		for i := 0; i < 2; i++ {
			if err := database.Migrate(ctx, db); err != nil {
				t.Fatalf("run %d: %v", i+2, err)
			}
		}
		v, err := database.SchemaVersion(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		if v != len(steps) {
			t.Fatalf("schema version %d, want %d", v, len(steps))
		}
		var rows int64
		if err := db.Table("schema_migrations").Count(&rows).Error; err != nil {
			t.Fatal(err)
		}
		if rows != int64(len(steps)) {
			t.Fatalf("%d rows in schema_migrations, want %d", rows, len(steps))
		}
	})
}

func TestConstraintsLiveInTheDatabase(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, _ string) {
		now := db.NowFunc()
		if err := db.Exec("INSERT INTO shops (name, created_at) VALUES ('s', ?)", now).Error; err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			sql  string
			args []any
			want error
		}{
			{"buyer with a shop", "INSERT INTO users (email, name, password_hash, role, shop_id, created_at) VALUES ('b@x', 'b', 'h', 'BUYER', 1, ?)", []any{now}, gorm.ErrCheckConstraintViolated},
			{"staff without a shop", "INSERT INTO users (email, name, password_hash, role, created_at) VALUES ('s@x', 's', 'h', 'SHIPPER', ?)", []any{now}, gorm.ErrCheckConstraintViolated},
			{"unknown role", "INSERT INTO users (email, name, password_hash, role, created_at) VALUES ('r@x', 'r', 'h', 'ADMIN', ?)", []any{now}, gorm.ErrCheckConstraintViolated},
			{"upper-case email", "INSERT INTO users (email, name, password_hash, role, created_at) VALUES ('A@x', 'a', 'h', 'BUYER', ?)", []any{now}, gorm.ErrCheckConstraintViolated},
			{"negative stock", "INSERT INTO products (shop_id, title, sku, price_cents, weight_grams, stock, created_at) VALUES (1, 't', 's', 1, 1, -1, ?)", []any{now}, gorm.ErrCheckConstraintViolated},
			{"product of no shop", "INSERT INTO products (shop_id, title, sku, price_cents, weight_grams, stock, created_at) VALUES (99, 't', 's', 1, 1, 1, ?)", []any{now}, gorm.ErrForeignKeyViolated},
		}
		for _, c := range cases {
			err := db.Exec(c.sql, c.args...).Error
			if !errors.Is(err, c.want) {
				t.Errorf("%s: got %v, want %v", c.name, err, c.want)
			}
		}
		if err := db.Exec("INSERT INTO users (email, name, password_hash, role, created_at) VALUES ('d@x', 'd', 'h', 'BUYER', ?)", now).Error; err != nil {
			t.Fatal(err)
		}
		if err := db.Exec("INSERT INTO users (email, name, password_hash, role, created_at) VALUES ('d@x', 'd', 'h', 'BUYER', ?)", now).Error; !errors.Is(err, gorm.ErrDuplicatedKey) {
			t.Errorf("duplicate email: got %v", err)
		}
	})
}

// Two instances starting at once on an empty database both come up, and
// every step is applied once.
func TestConcurrentMigrations(t *testing.T) {
	dbtest.EachEmpty(t, func(t *testing.T, url string) {
		ctx := context.Background()
		const instances = 4
		errs := make(chan error, instances)
		for i := 0; i < instances; i++ {
			go func() {
				db, err := database.Open(ctx, url, database.Options{MaxOpenConns: 2})
				if err != nil {
					errs <- err
					return
				}
				defer database.Close(db)
				errs <- database.Migrate(ctx, db)
			}()
		}
		for i := 0; i < instances; i++ {
			if err := <-errs; err != nil {
				t.Errorf("instance: %v", err)
			}
		}
		db, err := database.Open(ctx, url, database.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer database.Close(db)
		steps, _ := database.Migrations()
		var rows int64
		db.Table("schema_migrations").Count(&rows)
		if rows != int64(len(steps)) {
			t.Errorf("%d rows in schema_migrations, want %d", rows, len(steps))
		}
	})
}

func TestTransactRetriesSerializationFailures(t *testing.T) {
	db, _ := dbtest.SQLite(t)
	for _, c := range []struct {
		code     string
		failures int
		calls    int
		wantErr  bool
	}{
		{"40001", 2, 3, false},
		{"40P01", 1, 2, false},
		{"40001", 10, 4, true},
		{"23505", 1, 1, true},
	} {
		calls := 0
		err := database.Transact(context.Background(), db, func(tx *gorm.DB) error {
			calls++
			if calls <= c.failures {
				return &pgconn.PgError{Code: c.code}
			}
			return nil
		})
		if calls != c.calls || (err != nil) != c.wantErr {
			t.Errorf("SQLSTATE %s failing %d times: %d calls, err %v", c.code, c.failures, calls, err)
		}
	}
}

// Transactions that read, then write, must queue rather than fail when many
// run at once: on SQLite that needs BEGIN IMMEDIATE (a deferred transaction
// that read a snapshot cannot later write over a newer one), on PostgreSQL
// the row lock of the upsert.
func TestParallelReadThenWriteTransactions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, _ string) {
		ctx := context.Background()
		db.Exec("INSERT INTO shops (name, created_at) VALUES ('s', ?)", db.NowFunc())
		const writers = 30
		errs := make(chan error, writers)
		for i := 0; i < writers; i++ {
			go func() {
				errs <- database.Transact(ctx, db, func(tx *gorm.DB) error {
					var n int64
					if err := tx.Table("reveal_usage").Count(&n).Error; err != nil {
						return err
					}
					return tx.Exec(`INSERT INTO reveal_usage (shop_id, day, used) VALUES (1, 'd', 1)
						ON CONFLICT (shop_id, day) DO UPDATE SET used = reveal_usage.used + 1`).Error
				})
			}()
		}
		for i := 0; i < writers; i++ {
			if err := <-errs; err != nil {
				t.Error(err)
			}
		}
		var used int64
		db.Raw("SELECT used FROM reveal_usage").Scan(&used)
		if used != writers {
			t.Errorf("used = %d, want %d", used, writers)
		}
	})
}

// SQLite keeps planner statistics only when asked; Analyze asks, and is a
// no-op on PostgreSQL, whose autovacuum keeps them.
func TestAnalyzeGivesSQLiteStatistics(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, _ string) {
		if err := database.Analyze(context.Background(), db); err != nil {
			t.Fatal(err)
		}
		if database.DialectOf(db) != database.SQLite {
			return
		}
		var n int64
		db.Raw("SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'").Scan(&n)
		if n != 1 {
			t.Error("no sqlite_stat1 after Analyze")
		}
	})
}

// Connections carry the settings Fahuo relies on. PostgreSQL, unless the
// URL names its own: a statement timeout, UTC, and a planner that prices
// index lookups for data in memory or on SSD; the pool is as large as asked.
// SQLite: foreign keys enforced, WAL, and a busy timeout.
func TestConnectionSettings(t *testing.T) {
	dbtest.EachEmpty(t, func(t *testing.T, url string) {
		db, err := database.Open(context.Background(), url, database.Options{StatementTimeout: 7 * time.Second, MaxOpenConns: 3})
		if err != nil {
			t.Fatal(err)
		}
		sqlDB, err := db.DB()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { sqlDB.Close() })
		if database.DialectOf(db) != database.Postgres {
			for pragma, want := range map[string]string{"foreign_keys": "1", "journal_mode": "wal", "busy_timeout": "10000"} {
				var got string
				db.Raw("PRAGMA " + pragma).Scan(&got)
				if got != want {
					t.Errorf("PRAGMA %s = %q, want %q", pragma, got, want)
				}
			}
			return
		}
		if n := sqlDB.Stats().MaxOpenConnections; n != 3 {
			t.Errorf("pool of %d connections, want 3", n)
		}
		for name, want := range map[string]string{"statement_timeout": "7s", "TimeZone": "UTC", "random_page_cost": "1.1"} {
			var got string
			db.Raw("SELECT current_setting(?)", name).Scan(&got)
			if got != want {
				t.Errorf("%s = %q, want %q", name, got, want)
			}
		}
	})
}

// A statement whose context was canceled (the client went away) is not
// logged as a database failure; a failing statement still is.
func TestCanceledStatementsAreNotLoggedAsFailures(t *testing.T) {
	dbtest.EachEmpty(t, func(t *testing.T, url string) {
		var buf bytes.Buffer
		db, err := database.Open(context.Background(), url, database.Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			if sqlDB, err := db.DB(); err == nil {
				sqlDB.Close()
			}
		})
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		var n int
		if err := db.WithContext(ctx).Raw("SELECT 1").Scan(&n).Error; !errors.Is(err, context.Canceled) {
			t.Fatalf("a canceled statement: %v", err)
		}
		if buf.Len() != 0 {
			t.Errorf("a canceled statement was logged: %s", buf.String())
		}
		if err := db.Exec("SELECT * FROM no_such_table").Error; err == nil {
			t.Fatal("a statement on a missing table succeeded")
		}
		if !strings.Contains(buf.String(), "no_such_table") {
			t.Errorf("a failing statement was not logged: %q", buf.String())
		}
	})
}
