package database

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"
)

// Multiplexer sends the reads of many requests to PostgreSQL over a few
// connections of its own, in pipelines: each of its connections takes every
// read that is waiting when it is free, writes them all at once, and hands
// each its result as it arrives. This is what Npgsql calls multiplexing and
// tokio-postgres does with concurrent queries on one connection.
//
// A read through the pool costs a round trip of its own: the server wakes a
// database backend for it, and the backend wakes the server with the answer.
// On a small virtual machine those wakeups cost more than the statement:
// pgbench ran a buyer's two reads about three times as often sent four
// pairs a pipeline as sent one by one. Under load a pipeline carries as
// many reads as there are requests waiting; alone, a read goes out as soon
// as it comes, so nothing waits for a batch to fill.
//
// Each read is its own implicit transaction (a Sync after every statement),
// so one read's failure leaves the others alone. It is for single
// statements outside transactions that read committed data: the hot reads
// every request makes (authentication, a buyer's order), not writes. Each
// statement text is prepared once on each connection and kept, so the
// texts must be a fixed set, their values passed as arguments. Reads
// slower than slowStatement are logged, as gorm's logger logs the pool's.
type Multiplexer struct {
	config *pgconn.Config
	queue  chan *muxRead
	// mu orders Close after every read's entry to the queue: a read
	// enters under a read lock unless closed is set.
	mu     sync.RWMutex
	closed bool
	stop   chan struct{}
	wg     sync.WaitGroup
	log    *slog.Logger
	// observe, when set, is called once for each read: tests count
	// statements with it, as they count gorm's.
	observe atomic.Pointer[func(context.Context)]
	// names numbers the statements each connection prepares.
	names atomic.Int64
	// reads and pipelines count what was sent, for Stats.
	reads, pipelines atomic.Int64
}

// MultiplexStats are a Multiplexer's counts since it was opened.
type MultiplexStats struct {
	// Reads is how many reads were sent, Pipelines in how many pipelines:
	// their ratio is how many reads a pipeline carried on average.
	Reads, Pipelines int64
}

// Stats returns the counts so far.
func (m *Multiplexer) Stats() MultiplexStats {
	return MultiplexStats{Reads: m.reads.Load(), Pipelines: m.pipelines.Load()}
}

// MultiplexOptions tune a Multiplexer; the zero value is usable.
type MultiplexOptions struct {
	// Conns is how many connections it keeps (default 2: one per core of
	// the small machines it is measured on; a pipeline keeps its backend
	// busy).
	Conns int
	// MaxPipeline caps the reads in one pipeline (default 64).
	MaxPipeline int
	// Logger receives slow reads and lost connections; nil means slog's
	// default.
	Logger *slog.Logger
	// StatementTimeout is as in Options.
	StatementTimeout time.Duration
}

// muxRead is one read waiting for, or being carried by, a pipeline.
type muxRead struct {
	ctx  context.Context
	sql  string
	args []any
	scan func(pgx.Rows) error
	err  error
	done chan struct{}
}

var muxReads = sync.Pool{New: func() any { return &muxRead{done: make(chan struct{}, 1)} }}

// OpenMultiplexer starts a Multiplexer for the PostgreSQL database that
// rawURL names, with the same settings as Open's pool. It connects lazily,
// on the first read of each connection, and again after a connection is
// lost.
func OpenMultiplexer(rawURL string, opt MultiplexOptions) (*Multiplexer, error) {
	if opt.Conns <= 0 {
		opt.Conns = 2
	}
	if opt.MaxPipeline <= 0 {
		opt.MaxPipeline = 64
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.StatementTimeout == 0 {
		opt.StatementTimeout = 15 * time.Second
	}
	if !IsPostgresURL(rawURL) {
		return nil, errors.New("multiplexer: the database is not PostgreSQL (postgres://…)")
	}
	dsn, err := postgresDSN(rawURL, Options{StatementTimeout: opt.StatementTimeout})
	if err != nil {
		return nil, err
	}
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("multiplexer: %w", err)
	}
	cfg.RuntimeParams["application_name"] += " reads"
	m := &Multiplexer{config: cfg, queue: make(chan *muxRead, 4*opt.MaxPipeline), stop: make(chan struct{}), log: opt.Logger}
	for range opt.Conns {
		m.wg.Add(1)
		go m.run(opt.MaxPipeline, opt.StatementTimeout)
	}
	return m, nil
}

// Close stops the connections once the reads in flight are answered;
// reads still queued and reads after Close fail with
// ErrMultiplexerClosed. It is safe to call more than once.
func (m *Multiplexer) Close() {
	m.mu.Lock()
	if !m.closed {
		m.closed = true
		close(m.stop)
	}
	m.mu.Unlock()
	m.wg.Wait()
}

// Observe has fn called for every read from now on; nil stops it.
func (m *Multiplexer) Observe(fn func(context.Context)) {
	if fn == nil {
		m.observe.Store(nil)
		return
	}
	m.observe.Store(&fn)
}

// ErrMultiplexerClosed is a read's error after Close.
var ErrMultiplexerClosed = errors.New("database: multiplexer closed")

// Query runs one statement with args and has scan read its rows. scan runs
// on the connection's goroutine while other reads wait behind it, so it
// should only copy out what it needs (rows.Scan, or rows.RawValues copied:
// they are reused once scan returns). A context canceled before the read
// is sent fails it; once sent, the read runs to its end, bounded by the
// statement timeout.
func (m *Multiplexer) Query(ctx context.Context, sql string, scan func(pgx.Rows) error, args ...any) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := muxReads.Get().(*muxRead)
	r.ctx, r.sql, r.args, r.scan, r.err = ctx, sql, args, scan, nil
	m.mu.RLock()
	if m.closed {
		m.mu.RUnlock()
		return ErrMultiplexerClosed
	}
	select {
	case m.queue <- r:
		m.mu.RUnlock()
	case <-ctx.Done():
		m.mu.RUnlock()
		r.ctx, r.args, r.scan = nil, nil, nil
		muxReads.Put(r)
		return ctx.Err()
	}
	<-r.done
	err := r.err
	r.ctx, r.args, r.scan, r.err = nil, nil, nil, nil
	muxReads.Put(r)
	if fn := m.observe.Load(); fn != nil {
		(*fn)(ctx)
	}
	return err
}

// Ping reports whether a read goes through, for the readiness probe.
func (m *Multiplexer) Ping(ctx context.Context) error {
	return m.Query(ctx, "SELECT 1", func(pgx.Rows) error { return nil })
}

// muxConn is one of the Multiplexer's connections with what it has
// prepared on it.
type muxConn struct {
	m       *Multiplexer
	conn    *pgconn.PgConn
	stmts   map[string]*pgconn.StatementDescription
	types   *pgtype.Map
	builder pgx.ExtendedQueryBuilder
	timeout time.Duration
}

// run is one connection's loop: wait for a read, take the others that are
// waiting, send them as one pipeline, answer them.
func (m *Multiplexer) run(max int, timeout time.Duration) {
	defer m.wg.Done()
	c := &muxConn{m: m, types: pgtype.NewMap(), timeout: timeout}
	defer c.close()
	batch := make([]*muxRead, 0, max)
	for {
		var first *muxRead
		select {
		case first = <-m.queue:
		case <-m.stop:
			// Answer what is still queued rather than leave it waiting.
			for {
				select {
				case r := <-m.queue:
					r.err = ErrMultiplexerClosed
					r.done <- struct{}{}
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < max {
			select {
			case r := <-m.queue:
				batch = append(batch, r)
			default:
				break fill
			}
		}
		c.send(batch)
		for i, r := range batch {
			r.done <- struct{}{}
			batch[i] = nil
		}
	}
}

// send runs batch's reads as one pipeline and sets each one's error. When
// the connection is lost on the way, the reads it left unanswered are sent
// once more on a new one: they only read, so a second try is safe, and a
// database restart or a backend ended by an operator costs no request.
func (c *muxConn) send(batch []*muxRead) {
	if lost := c.pipeline(batch); len(lost) > 0 {
		for _, r := range lost {
			r.err = nil
		}
		c.pipeline(lost)
	}
}

// pipeline runs reads as one pipeline, sets each one's error, and returns
// the reads left unanswered because the connection was lost, with that
// error set.
func (c *muxConn) pipeline(reads []*muxRead) (lost []*muxRead) {
	// Bounded by the statement timeout on the server; this bounds a
	// connection that stops answering.
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout+5*time.Second)
	defer cancel()
	if c.conn == nil {
		conn, err := pgconn.ConnectConfig(ctx, c.m.config)
		if err != nil {
			for _, r := range reads {
				r.err = fmt.Errorf("multiplexer: connect: %w", err)
			}
			return nil
		}
		c.conn, c.stmts = conn, map[string]*pgconn.StatementDescription{}
	}
	sent := make([]*muxRead, 0, len(reads))
	sds := make([]*pgconn.StatementDescription, 0, len(reads))
	for i, r := range reads {
		if err := r.ctx.Err(); err != nil {
			r.err = err
			continue
		}
		sd, err := c.prepare(ctx, r.sql)
		if c.conn == nil {
			return c.lose(append(sent, reads[i:]...), err)
		}
		if err != nil {
			r.err = err
			continue
		}
		sent = append(sent, r)
		sds = append(sds, sd)
	}
	if len(sent) == 0 {
		return nil
	}
	p := c.conn.StartPipeline(ctx)
	queued := sent[:0]
	for i, r := range sent {
		if err := c.builder.Build(c.types, sds[i], r.args); err != nil {
			r.err = fmt.Errorf("multiplexer: %w", err)
			continue
		}
		// The pipeline keeps the result formats until it reads the
		// result; the builder reuses its slice for the next read.
		formats := append([]int16(nil), c.builder.ResultFormats...)
		p.SendQueryStatement(sds[i], c.builder.ParamValues, c.builder.ParamFormats, formats)
		p.SendPipelineSync()
		queued = append(queued, r)
	}
	if err := p.Flush(); err != nil {
		_ = p.Close()
		return c.lose(queued, err)
	}
	c.m.pipelines.Add(1)
	c.m.reads.Add(int64(len(queued)))
	start := time.Now()
	for i, r := range queued {
		res, err := p.GetResults()
		var pgErr *pgconn.PgError
		switch {
		case errors.As(err, &pgErr) && !c.conn.IsClosed() && pgErr.Severity != "FATAL":
			r.err = err
		case err != nil:
			_ = p.Close()
			return c.lose(queued[i:], err)
		default:
			rr, ok := res.(*pgconn.ResultReader)
			if !ok {
				_ = p.Close()
				return c.lose(queued[i:], fmt.Errorf("unexpected %T in pipeline", res))
			}
			rows := pgx.RowsFromResultReader(c.types, rr)
			r.err = r.scan(rows)
			rows.Close()
			if r.err == nil {
				r.err = rows.Err()
			}
		}
		if d := time.Since(start); d >= slowStatement {
			// As gorm's logger does for the pool's statements.
			c.m.log.WarnContext(r.ctx, "slow read", "elapsed", d, "sql", r.sql, "pipeline", len(queued), "err", r.err)
		}
		// The read's Sync.
		if res, err := p.GetResults(); err != nil || !isSync(res) {
			if err == nil {
				err = fmt.Errorf("unexpected %T in pipeline", res)
			}
			_ = p.Close()
			return c.lose(queued[i+1:], err)
		}
	}
	if err := p.Close(); err != nil {
		c.drop(err)
	}
	return nil
}

func isSync(res any) bool {
	_, ok := res.(*pgconn.PipelineSync)
	return ok
}

// prepare returns sql's description on this connection, preparing it the
// first time.
func (c *muxConn) prepare(ctx context.Context, sql string) (*pgconn.StatementDescription, error) {
	if sd, ok := c.stmts[sql]; ok {
		return sd, nil
	}
	sd, err := c.conn.Prepare(ctx, "fahuo_read_"+strconv.FormatInt(c.m.names.Add(1), 10), sql, nil)
	if err != nil {
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) {
			c.drop(err)
		}
		return nil, err
	}
	c.stmts[sql] = sd
	return sd, nil
}

// lose drops the connection, which is in an unknown state, and returns
// reads with err set: the reads it did not answer.
func (c *muxConn) lose(reads []*muxRead, err error) []*muxRead {
	for _, r := range reads {
		r.err = fmt.Errorf("multiplexer: %w", err)
	}
	c.drop(err)
	return reads
}

// drop closes a connection that failed; the next read reconnects.
func (c *muxConn) drop(err error) {
	if c.conn == nil {
		return
	}
	c.m.log.Warn("read connection lost; its unanswered reads go out again on a new one", "err", err)
	c.close()
}

func (c *muxConn) close() {
	if c.conn == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = c.conn.Close(ctx)
	c.conn, c.stmts = nil, nil
}
