package database_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/database/dbtest"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// muxDB is a fresh PostgreSQL schema with a table of 1,000 numbered words,
// and a Multiplexer on it with opt; its URL names the test's own
// application, so that the test can find the multiplexer's backends.
func muxDB(t testing.TB, opt database.MultiplexOptions) (*gorm.DB, *database.Multiplexer, string) {
	t.Helper()
	if os.Getenv(dbtest.EnvURL) == "" {
		t.Skip("the multiplexer is PostgreSQL's; set " + dbtest.EnvURL)
	}
	db, u := dbtest.Postgres(t)
	app := fmt.Sprintf("muxtest%d", rand.Uint32())
	parsed, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	q := parsed.Query()
	q.Set("application_name", app)
	parsed.RawQuery = q.Encode()
	if err := db.Exec(`CREATE TABLE words AS SELECT n AS id, 'word ' || n AS word FROM generate_series(1, 1000) AS n;
		ALTER TABLE words ADD PRIMARY KEY (id)`).Error; err != nil {
		t.Fatal(err)
	}
	m, err := database.OpenMultiplexer(parsed.String(), opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return db, m, app
}

const wordByID = `SELECT word FROM words WHERE id = $1`

// word reads word id through m.
func word(ctx context.Context, m *database.Multiplexer, id int) (string, error) {
	var w string
	err := m.Query(ctx, wordByID, func(rows pgx.Rows) error {
		if !rows.Next() {
			return errors.New("no row")
		}
		return rows.Scan(&w)
	}, id)
	return w, err
}

// Concurrent reads share pipelines, and each gets its own answer.
func TestMultiplexerAnswersEachReadItsOwn(t *testing.T) {
	_, m, _ := muxDB(t, database.MultiplexOptions{})
	const clients, each = 64, 100
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for c := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), 1))
			for range each {
				id := 1 + rng.IntN(1000)
				w, err := word(t.Context(), m, id)
				if err == nil && w != fmt.Sprintf("word %d", id) {
					err = fmt.Errorf("read %d, got %q", id, w)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s := m.Stats()
	if s.Reads != clients*each {
		t.Errorf("%d reads sent, want %d", s.Reads, clients*each)
	}
	if s.Pipelines >= s.Reads {
		t.Errorf("%d reads in %d pipelines: none shared one", s.Reads, s.Pipelines)
	}
	t.Logf("%d reads in %d pipelines", s.Reads, s.Pipelines)
}

// A read that fails, in the middle of a pipeline, fails alone.
func TestMultiplexerIsolatesAFailingRead(t *testing.T) {
	_, m, _ := muxDB(t, database.MultiplexOptions{Conns: 1})
	// Hold the one connection, so that the next reads queue behind it and
	// go out together.
	slow := make(chan error, 1)
	go func() {
		slow <- m.Query(t.Context(), `SELECT pg_sleep(0.3)`, func(pgx.Rows) error { return nil })
	}()
	for m.Stats().Pipelines == 0 {
		time.Sleep(time.Millisecond)
	}
	before := m.Stats()
	type answer struct {
		id  int
		w   string
		err error
	}
	ids := []int{7, 0, 9} // 0 divides by zero
	answers := make(chan answer, len(ids))
	for _, id := range ids {
		go func() {
			var w string
			err := m.Query(t.Context(), `SELECT word FROM words WHERE id = 1000 / $1`, func(rows pgx.Rows) error {
				if rows.Next() {
					return rows.Scan(&w)
				}
				return rows.Err()
			}, id)
			answers <- answer{id, w, err}
		}()
	}
	for range ids {
		a := <-answers
		var pgErr *pgconn.PgError
		switch {
		case a.id == 0:
			if !errors.As(a.err, &pgErr) || pgErr.Code != "22012" {
				t.Errorf("read dividing by zero: %v, want division_by_zero", a.err)
			}
		case a.err != nil || a.w != fmt.Sprintf("word %d", 1000/a.id):
			t.Errorf("read of %d beside a failing read: %q, %v", a.id, a.w, a.err)
		}
	}
	if err := <-slow; err != nil {
		t.Fatal(err)
	}
	if got := m.Stats().Pipelines - before.Pipelines; got != 1 {
		t.Errorf("the three reads went out in %d pipelines, want 1", got)
	}
	// The connection is still good.
	if w, err := word(t.Context(), m, 5); err != nil || w != "word 5" {
		t.Errorf("after the failure: %q, %v", w, err)
	}
}

// A read whose connection was lost goes out again on a new one.
func TestMultiplexerReconnects(t *testing.T) {
	db, m, app := muxDB(t, database.MultiplexOptions{Conns: 1})
	if w, err := word(t.Context(), m, 1); err != nil || w != "word 1" {
		t.Fatalf("first read: %q, %v", w, err)
	}
	var ended []bool
	if err := db.Raw(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = ?`, app+" reads").
		Scan(&ended).Error; err != nil || len(ended) == 0 {
		t.Fatalf("ending the multiplexer's backends: %v, %d ended", err, len(ended))
	}
	for id := 1; id <= 5; id++ {
		if w, err := word(t.Context(), m, id); err != nil || w != fmt.Sprintf("word %d", id) {
			t.Fatalf("read %d after the backends ended: %q, %v", id, w, err)
		}
	}
}

// A read that runs past the statement timeout fails with it; the others go
// on.
func TestMultiplexerStatementTimeout(t *testing.T) {
	_, m, _ := muxDB(t, database.MultiplexOptions{StatementTimeout: 100 * time.Millisecond})
	err := m.Query(t.Context(), `SELECT pg_sleep(1)`, func(pgx.Rows) error { return nil })
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "57014" {
		t.Errorf("a read past the timeout: %v, want query_canceled", err)
	}
	if w, err := word(t.Context(), m, 3); err != nil || w != "word 3" {
		t.Errorf("the next read: %q, %v", w, err)
	}
}

// A canceled read is not sent; after Close nothing is.
func TestMultiplexerCancelAndClose(t *testing.T) {
	_, m, _ := muxDB(t, database.MultiplexOptions{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := word(ctx, m, 1); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled read: %v", err)
	}
	if s := m.Stats(); s.Reads != 0 {
		t.Errorf("%d reads sent, want none", s.Reads)
	}
	if _, err := word(t.Context(), m, 1); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if _, err := word(t.Context(), m, 1); !errors.Is(err, database.ErrMultiplexerClosed) {
		t.Errorf("read after Close: %v", err)
	}
	m.Close() // again: no panic
}

// Reads racing Close each get an answer: a word or ErrMultiplexerClosed,
// and none waits for ever.
func TestMultiplexerCloseUnderLoad(t *testing.T) {
	_, m, _ := muxDB(t, database.MultiplexOptions{})
	var wg sync.WaitGroup
	for c := range 32 {
		wg.Go(func() {
			for i := range 200 {
				id := 1 + (c*200+i)%1000
				w, err := word(t.Context(), m, id)
				if errors.Is(err, database.ErrMultiplexerClosed) {
					return
				}
				if err != nil || w != fmt.Sprintf("word %d", id) {
					t.Errorf("read %d: %q, %v", id, w, err)
					return
				}
			}
		})
	}
	time.Sleep(20 * time.Millisecond)
	m.Close()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("reads still waiting 10 s after Close")
	}
}

// One read of a row, from 16 goroutines at once, through the pool (a
// connection and a round trip each) and through the multiplexer (shared
// pipelines): compare with benchstat.
func BenchmarkConcurrentReads(b *testing.B) {
	b.Run("pool", func(b *testing.B) {
		db, _, _ := muxDB(b, database.MultiplexOptions{})
		sqlDB, err := db.DB()
		if err != nil {
			b.Fatal(err)
		}
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			var w string
			for id := 1; pb.Next(); id = id%1000 + 1 {
				if err := sqlDB.QueryRowContext(b.Context(), wordByID, id).Scan(&w); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
	b.Run("multiplexer", func(b *testing.B) {
		_, m, _ := muxDB(b, database.MultiplexOptions{})
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for id := 1; pb.Next(); id = id%1000 + 1 {
				if _, err := word(b.Context(), m, id); err != nil {
					b.Error(err)
					return
				}
			}
		})
	})
}

// A multiplexer is PostgreSQL's: a SQLite URL is refused with a clear
// error, not connected to as if it were a server.
func TestMultiplexerRefusesSQLite(t *testing.T) {
	for _, u := range []string{"sqlite:fahuo.db", "fahuo.db", "mysql://localhost/fahuo"} {
		if m, err := database.OpenMultiplexer(u, database.MultiplexOptions{}); err == nil {
			m.Close()
			t.Errorf("%s: opened", u)
		}
	}
}
