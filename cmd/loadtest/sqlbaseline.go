package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fahuo/fahuo/database"
)

// sqlBase does the workloads' reads and writes as plain SQL through
// database/sql with prepared statements: the physical limit the server's
// numbers are compared with. On PostgreSQL it uses pgx's database/sql
// driver directly (no gorm, no statement timeout or other settings) with a
// connection per client; on SQLite the project's driver with the
// connection settings and the pool database.Open gives (WAL, busy timeout,
// BEGIN IMMEDIATE, 4 connections).
type sqlBase struct {
	dialect database.Dialect
	db      *sql.DB
	closeFn func() error

	mu    sync.RWMutex
	stmts map[string]*sql.Stmt
}

func openSQLBase(ctx context.Context, dialect database.Dialect, url string, conns int, log *slog.Logger) (*sqlBase, error) {
	b := &sqlBase{dialect: dialect, stmts: map[string]*sql.Stmt{}}
	if dialect == database.Postgres {
		db, err := sql.Open("pgx", url)
		if err != nil {
			return nil, err
		}
		b.db, b.closeFn = db, db.Close
	} else {
		g, err := database.Open(ctx, url, database.Options{Logger: log})
		if err != nil {
			return nil, err
		}
		db, err := g.DB()
		if err != nil {
			return nil, err
		}
		b.db, b.closeFn = db, func() error { return database.Close(g) }
	}
	if dialect == database.Postgres {
		// One connection per client, as pgbench -c does.
		b.db.SetMaxOpenConns(conns)
		b.db.SetMaxIdleConns(conns)
	}
	// SQLite keeps database.Open's pool (4 connections, as the server): its
	// one writer lock makes more connections only wait in SQLite's busy
	// handler, which sleeps, instead of in the pool's queue.
	if err := b.db.PingContext(ctx); err != nil {
		_ = b.closeFn()
		return nil, err
	}
	return b, nil
}

func (b *sqlBase) close() {
	b.mu.Lock()
	for _, s := range b.stmts {
		_ = s.Close()
	}
	b.stmts = map[string]*sql.Stmt{}
	b.mu.Unlock()
	_ = b.closeFn()
}

var dollarParam = regexp.MustCompile(`\$(\d+)`)

// stmt prepares q once (PostgreSQL's $n become SQLite's ?n).
// Lookups share a read lock, so that the statements of concurrent clients
// never queue on each other and slow the baseline down.
func (b *sqlBase) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	b.mu.RLock()
	s, ok := b.stmts[q]
	b.mu.RUnlock()
	if ok {
		return s, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.stmts[q]; ok {
		return s, nil
	}
	text := q
	if b.dialect == database.SQLite {
		text = dollarParam.ReplaceAllString(q, "?$1")
	}
	s, err := b.db.PrepareContext(ctx, text)
	if err != nil {
		return nil, fmt.Errorf("prepare %q: %w", clip([]byte(text), 80), err)
	}
	b.stmts[q] = s
	return s, nil
}

// query runs a prepared statement.
func (b *sqlBase) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	s, err := b.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	return s.QueryContext(ctx, args...)
}

// in returns a condition "col is one of ids" starting at parameter $k:
// "col = ANY($k)" with one array parameter on PostgreSQL, "col IN ($k, …)"
// on SQLite.
func (b *sqlBase) in(col string, k int, ids []int64) (string, []any) {
	if b.dialect == database.Postgres {
		return fmt.Sprintf("%s = ANY($%d)", col, k), []any{ids}
	}
	ph := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		ph[i] = "$" + strconv.Itoa(k+i)
		args[i] = id
	}
	return col + " IN (" + strings.Join(ph, ", ") + ")", args
}

// fetch runs a prepared query and reads every row and every column, as an
// ORM materialises them. It returns the row count and the values of the
// wanted integer columns.
func (b *sqlBase) fetch(ctx context.Context, q string, want []string, args ...any) (int, [][]int64, error) {
	rows, err := b.query(ctx, q, args...)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	names, err := rows.Columns()
	if err != nil {
		return 0, nil, err
	}
	idx := make([]int, len(want))
	for j, w := range want {
		idx[j] = -1
		for i, n := range names {
			if n == w {
				idx[j] = i
			}
		}
		if idx[j] < 0 {
			return 0, nil, fmt.Errorf("no column %s", w)
		}
	}
	vals := make([]sql.RawBytes, len(names))
	ptrs := make([]any, len(names))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	out := make([][]int64, len(want))
	n := 0
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, nil, err
		}
		n++
		for j, i := range idx {
			v, err := strconv.ParseInt(string(vals[i]), 10, 64)
			if err != nil {
				return n, nil, fmt.Errorf("column %s: %w", want[j], err)
			}
			out[j] = append(out[j], v)
		}
	}
	return n, out, rows.Err()
}

func sqlFail(err error) error {
	if err == nil {
		return nil
	}
	var f *failure
	if errors.As(err, &f) {
		return err
	}
	return fail("SQL", "%v", err)
}

// W1 as one statement that builds the whole answer as JSON.
var w1OneSQL = map[database.Dialect]string{
	database.Postgres: `SELECT json_build_object('number', o.number, 'status', o.status, 'placedAt', o.created_at,
  'lines', (SELECT COALESCE(json_agg(json_build_object('id', l.id, 'quantity', l.quantity, 'sku', l.sku, 'title', l.title) ORDER BY l.line_no), '[]')
            FROM order_lines l WHERE l.shop_id = o.shop_id AND l.order_id = o.id),
  'packages', (SELECT COALESCE(json_agg(json_build_object('id', p.id, 'carrier', p.carrier_code, 'trackingNumber', p.tracking_number,
                 'status', p.status, 'shippedAt', p.shipped_at,
                 'lines', (SELECT COALESCE(json_agg(json_build_object('quantity', pl.quantity, 'orderLineId', pl.order_line_id) ORDER BY pl.id), '[]')
                           FROM package_lines pl WHERE pl.shop_id = p.shop_id AND pl.package_id = p.id)) ORDER BY p.id), '[]')
               FROM packages p WHERE p.shop_id = o.shop_id AND p.order_id = o.id))
FROM orders o WHERE o.buyer_id = $1 AND o.number = $2`,
	database.SQLite: `SELECT json_object('number', o.number, 'status', o.status, 'placedAt', o.created_at,
  'lines', json((SELECT json_group_array(json_object('id', l.id, 'quantity', l.quantity, 'sku', l.sku, 'title', l.title))
                 FROM order_lines l WHERE l.shop_id = o.shop_id AND l.order_id = o.id)),
  'packages', json((SELECT json_group_array(json_object('id', p.id, 'carrier', p.carrier_code, 'trackingNumber', p.tracking_number,
                      'status', p.status, 'shippedAt', p.shipped_at,
                      'lines', json((SELECT json_group_array(json_object('quantity', pl.quantity, 'orderLineId', pl.order_line_id))
                                     FROM package_lines pl WHERE pl.shop_id = p.shop_id AND pl.package_id = p.id))))
                    FROM packages p WHERE p.shop_id = o.shop_id AND p.order_id = o.id)))
FROM orders o WHERE o.buyer_id = $1 AND o.number = $2`,
}

func (b *sqlBase) w1One(d *dataset) func(context.Context, *worker) error {
	q := w1OneSQL[b.dialect]
	return func(ctx context.Context, w *worker) error {
		o := d.orders[d.shipped[w.rng.IntN(len(d.shipped))]]
		s, err := b.stmt(ctx, q)
		if err != nil {
			return sqlFail(err)
		}
		var js []byte
		if err := s.QueryRowContext(ctx, o.buyerID, o.number).Scan(&js); err != nil {
			return sqlFail(err)
		}
		if !strings.Contains(string(js), o.number) || strings.Count(string(js), `"trackingNumber"`) < 2 {
			return fail("wrong answer", "%s", clip(js, 200))
		}
		return nil
	}
}

// w1ORM reads W1 as an ORM's eager loading does: the order, its lines, its
// packages, their lines.
func (b *sqlBase) w1ORM(d *dataset) func(context.Context, *worker) error {
	return func(ctx context.Context, w *worker) error {
		o := d.orders[d.shipped[w.rng.IntN(len(d.shipped))]]
		n, cols, err := b.fetch(ctx, `SELECT * FROM orders WHERE orders.buyer_id = $1 AND orders.number = $2 LIMIT 1`, []string{"id", "shop_id"}, o.buyerID, o.number)
		if err != nil {
			return sqlFail(err)
		}
		if n != 1 {
			return fail("wrong answer", "order %s: %d rows", o.number, n)
		}
		id, shop := cols[0][0], cols[1][0]
		if n, _, err = b.fetch(ctx, `SELECT * FROM order_lines WHERE shop_id = $1 AND order_id = $2 ORDER BY order_id, line_no`, nil, shop, id); err != nil || n != 2 {
			return sqlFail(errors.Join(err, fmt.Errorf("%d lines", n)))
		}
		n, pk, err := b.fetch(ctx, `SELECT * FROM packages WHERE shop_id = $1 AND order_id = $2 ORDER BY order_id, id`, []string{"id"}, shop, id)
		if err != nil || n < 2 {
			return sqlFail(errors.Join(err, fmt.Errorf("%d packages", n)))
		}
		cond, args := b.in("package_id", 2, pk[0])
		if _, _, err := b.fetch(ctx, `SELECT * FROM package_lines WHERE shop_id = $1 AND `+cond+` ORDER BY package_id, id`, nil, append([]any{shop}, args...)...); err != nil {
			return sqlFail(err)
		}
		return nil
	}
}

// W2 as one statement: the count and the page with everything in it.
var w2OneSQL = map[database.Dialect]string{
	database.Postgres: `SELECT json_build_object(
  'totalCount', (SELECT count(*) FROM orders WHERE shop_id = $1),
  'nodes', COALESCE((SELECT json_agg(json_build_object(
      'id', o.id, 'number', o.number, 'status', o.status, 'placedAt', o.created_at,
      'total', json_build_object('cents', o.total_cents, 'currency', o.currency),
      'buyer', json_build_object('id', u.id, 'name', u.name),
      'recipient', json_build_object('name', o.recipient_name, 'regionName', o.region_name),
      'lines', (SELECT COALESCE(json_agg(json_build_object('id', l.id, 'quantity', l.quantity, 'lineTotal', l.quantity * l.unit_price_cents,
                  'productId', l.product_id, 'sku', l.sku, 'title', l.title) ORDER BY l.line_no), '[]')
                FROM order_lines l WHERE l.shop_id = o.shop_id AND l.order_id = o.id),
      'packages', (SELECT COALESCE(json_agg(json_build_object('id', p.id, 'status', p.status, 'carrier', p.carrier_code, 'trackingNumber', p.tracking_number,
                     'lines', (SELECT COALESCE(json_agg(json_build_object('quantity', pl.quantity, 'orderLineId', pl.order_line_id) ORDER BY pl.id), '[]')
                               FROM package_lines pl WHERE pl.shop_id = p.shop_id AND pl.package_id = p.id)) ORDER BY p.id), '[]')
                   FROM packages p WHERE p.shop_id = o.shop_id AND p.order_id = o.id)
    ) ORDER BY o.created_at DESC, o.id DESC)
    FROM (SELECT * FROM orders WHERE shop_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50) o JOIN users u ON u.id = o.buyer_id), '[]'))`,
	database.SQLite: `SELECT json_object(
  'totalCount', (SELECT count(*) FROM orders WHERE shop_id = $1),
  'nodes', json((SELECT json_group_array(json(x.j)) FROM (SELECT json_object(
      'id', o.id, 'number', o.number, 'status', o.status, 'placedAt', o.created_at,
      'total', json_object('cents', o.total_cents, 'currency', o.currency),
      'buyer', json_object('id', u.id, 'name', u.name),
      'recipient', json_object('name', o.recipient_name, 'regionName', o.region_name),
      'lines', json((SELECT json_group_array(json_object('id', l.id, 'quantity', l.quantity, 'lineTotal', l.quantity * l.unit_price_cents,
                  'productId', l.product_id, 'sku', l.sku, 'title', l.title))
                FROM order_lines l WHERE l.shop_id = o.shop_id AND l.order_id = o.id)),
      'packages', json((SELECT json_group_array(json_object('id', p.id, 'status', p.status, 'carrier', p.carrier_code, 'trackingNumber', p.tracking_number,
                     'lines', json((SELECT json_group_array(json_object('quantity', pl.quantity, 'orderLineId', pl.order_line_id))
                               FROM package_lines pl WHERE pl.shop_id = p.shop_id AND pl.package_id = p.id))))
                   FROM packages p WHERE p.shop_id = o.shop_id AND p.order_id = o.id))
    ) AS j
    FROM (SELECT * FROM orders WHERE shop_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50) o JOIN users u ON u.id = o.buyer_id
    ORDER BY o.created_at DESC, o.id DESC) x)))`,
}

func (b *sqlBase) w2One(d *dataset) func(context.Context, *worker) error {
	q := w2OneSQL[b.dialect]
	return func(ctx context.Context, w *worker) error {
		s, err := b.stmt(ctx, q)
		if err != nil {
			return sqlFail(err)
		}
		var js []byte
		if err := s.QueryRowContext(ctx, d.shopID).Scan(&js); err != nil {
			return sqlFail(err)
		}
		if n := strings.Count(string(js), `"number"`); n != w2PageSize {
			return fail("wrong answer", "%d orders in the page", n)
		}
		return nil
	}
}

// w2ORM reads W2 as the server's data loaders do, one statement per level:
// the page, the count, the lines, the packages, the package lines and the
// buyers.
func (b *sqlBase) w2ORM(d *dataset) func(context.Context, *worker) error {
	return func(ctx context.Context, w *worker) error {
		shop := d.shopID
		n, cols, err := b.fetch(ctx, `SELECT * FROM orders WHERE orders.shop_id = $1 ORDER BY orders.created_at DESC, orders.id DESC LIMIT 51`, []string{"id", "buyer_id"}, shop)
		if err != nil {
			return sqlFail(err)
		}
		if n < w2PageSize {
			return fail("wrong answer", "%d orders in the page", n)
		}
		ids, buyerIDs := cols[0][:w2PageSize], cols[1][:w2PageSize]
		var total int64
		s, err := b.stmt(ctx, `SELECT count(*) FROM orders WHERE orders.shop_id = $1`)
		if err != nil {
			return sqlFail(err)
		}
		if err := s.QueryRowContext(ctx, shop).Scan(&total); err != nil {
			return sqlFail(err)
		}
		cond, args := b.in("order_id", 2, ids)
		if _, _, err := b.fetch(ctx, `SELECT * FROM order_lines WHERE shop_id = $1 AND `+cond+` ORDER BY order_id, line_no`, nil, append([]any{shop}, args...)...); err != nil {
			return sqlFail(err)
		}
		_, pk, err := b.fetch(ctx, `SELECT * FROM packages WHERE shop_id = $1 AND `+cond+` ORDER BY order_id, id`, []string{"id"}, append([]any{shop}, args...)...)
		if err != nil {
			return sqlFail(err)
		}
		if len(pk[0]) > 0 {
			pcond, pargs := b.in("package_id", 2, pk[0])
			if _, _, err := b.fetch(ctx, `SELECT * FROM package_lines WHERE shop_id = $1 AND `+pcond+` ORDER BY package_id, id`, nil, append([]any{shop}, pargs...)...); err != nil {
				return sqlFail(err)
			}
		}
		seen := map[int64]bool{}
		var distinct []int64
		for _, id := range buyerIDs {
			if !seen[id] {
				seen[id] = true
				distinct = append(distinct, id)
			}
		}
		bcond, bargs := b.in("id", 1, distinct)
		if _, _, err := b.fetch(ctx, `SELECT id, name, role FROM users WHERE `+bcond+` AND role = 'BUYER'`, nil, bargs...); err != nil {
			return sqlFail(err)
		}
		return nil
	}
}

// ship does W3 for one order in one transaction: lock the order, check it
// is pending, read its lines, insert the package and its lines, mark the
// order shipped.
func (b *sqlBase) ship(ctx context.Context, o order, tracking string) (err error) {
	lock := `SELECT id, status FROM orders WHERE shop_id = $1 AND number = $2`
	if b.dialect == database.Postgres {
		lock += ` FOR UPDATE`
	}
	stmts := make([]*sql.Stmt, 5)
	for i, q := range []string{lock,
		`SELECT id, quantity FROM order_lines WHERE shop_id = $1 AND order_id = $2 ORDER BY line_no`,
		`INSERT INTO packages (shop_id, order_id, kind, append_seq, carrier_code, tracking_number, status, shipped_at, intercept_status, created_at)
		 VALUES ($1, $2, 'SHIPMENT', NULL, 'SF', $3, 'AWAITING_PICKUP', $4, 'NONE', $4) RETURNING id`,
		`INSERT INTO package_lines (shop_id, package_id, order_line_id, quantity) VALUES ($1, $2, $3, $4), ($1, $2, $5, $6)`,
		`UPDATE orders SET status = 'SHIPPED', shipped_at = $3, first_shipped_at = COALESCE(first_shipped_at, $3), updated_at = $3
		 WHERE shop_id = $1 AND id = $2 AND status = 'PENDING_SHIPMENT'`,
	} {
		if stmts[i], err = b.stmt(ctx, q); err != nil {
			return sqlFail(err)
		}
	}
	tx, err := b.db.BeginTx(ctx, nil)
	if err != nil {
		return sqlFail(err)
	}
	defer func() {
		if err != nil {
			_ = tx.Rollback()
		}
	}()
	var (
		id     int64
		status string
	)
	if err := tx.StmtContext(ctx, stmts[0]).QueryRowContext(ctx, o.shopID, o.number).Scan(&id, &status); err != nil {
		return sqlFail(err)
	}
	if status != "PENDING_SHIPMENT" {
		return fail("not pending", "order %s is %s", o.number, status)
	}
	rows, err := tx.StmtContext(ctx, stmts[1]).QueryContext(ctx, o.shopID, id)
	if err != nil {
		return sqlFail(err)
	}
	var lines [][2]int64
	for rows.Next() {
		var l [2]int64
		if err := rows.Scan(&l[0], &l[1]); err != nil {
			rows.Close()
			return sqlFail(err)
		}
		lines = append(lines, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return sqlFail(err)
	}
	if len(lines) != 2 {
		return fail("wrong answer", "order %s has %d lines", o.number, len(lines))
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	var pkg int64
	if err := tx.StmtContext(ctx, stmts[2]).QueryRowContext(ctx, o.shopID, id, tracking, now).Scan(&pkg); err != nil {
		return sqlFail(err)
	}
	if _, err := tx.StmtContext(ctx, stmts[3]).ExecContext(ctx, o.shopID, pkg, lines[0][0], lines[0][1], lines[1][0], lines[1][1]); err != nil {
		return sqlFail(err)
	}
	res, err := tx.StmtContext(ctx, stmts[4]).ExecContext(ctx, o.shopID, id, now)
	if err != nil {
		return sqlFail(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fail("wrong answer", "order %s: %d rows updated", o.number, n)
	}
	return sqlFail(tx.Commit())
}
