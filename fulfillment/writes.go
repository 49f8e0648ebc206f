package fulfillment

import (
	"fmt"
	"strings"

	"github.com/fahuo/fahuo/database"
	"gorm.io/gorm"
)

// writes are the last statements of a change: inserts and updates that
// nothing in the transaction reads back, such as a shipment's package
// lines, its history line, the order's new state and the audit entry. They
// are sent together when the change ends. On PostgreSQL that is one
// statement of data-modifying WITH clauses, so a shipment costs one round
// trip for all four instead of four; on SQLite, whose statements cost no
// round trip, they run one after another.
//
// The statements of one flush see the database as it was before the flush
// (PostgreSQL runs the WITH clauses on one snapshot), so a statement must
// not depend on the rows another of them writes. Foreign keys are checked
// at the end of the statement and may name rows written earlier in the
// transaction.
type writes struct {
	list []write
}

type write struct {
	sql  string
	args []any
	// insert, when set, is a multi-row INSERT whose statement is made at
	// the flush, for the database it goes to (insertSQL).
	insert *insertRows
	// check, when set, judges how many rows the statement changed.
	check func(affected int64) error
	// translate, when set, turns the error of a flush that holds this
	// statement into the rule it stands for (a constraint that backs a
	// rule checked before).
	translate func(error) error
}

type insertRows struct {
	table string
	cols  []string
	rows  [][]any
}

// maxFlushArgs keeps one flush statement far below PostgreSQL's limit of
// 65,535 parameters; a batch of 5,000 rows is sent in a few statements.
const maxFlushArgs = 30_000

// add queues a statement written with ? placeholders.
func (w *writes) add(check func(affected int64) error, sql string, args ...any) {
	w.list = append(w.list, write{sql: sql, args: args, check: check})
}

// insert queues a multi-row INSERT of rows into cols of table.
func (w *writes) insert(table string, cols []string, rows [][]any) {
	w.insertOr(nil, table, cols, rows)
}

// insertOr is insert with a translation of the errors of its flush.
func (w *writes) insertOr(translate func(error) error, table string, cols []string, rows [][]any) {
	if len(rows) == 0 {
		return
	}
	w.list = append(w.list, write{insert: &insertRows{table, cols, rows}, translate: translate})
}

// translated turns a driver's error into gorm's (gorm.ErrDuplicatedKey and
// the like), as gorm does for its own statements but not for the rows of
// Raw(…).Rows().
func translated(tx *gorm.DB, err error) error {
	if t, ok := tx.Dialector.(gorm.ErrorTranslator); ok && tx.Config.TranslateError {
		return t.Translate(err)
	}
	return err
}

// scanAll is gorm's Scan without the statement recorder that gorm's Scan
// runs whatever the log level: the recorder writes out the statement's
// text with every value in it, megabytes of text for a statement of a
// thousand rows. Errors are translated as gorm's own are.
func scanAll(q *gorm.DB, dest any) error {
	rows, err := q.Rows()
	if err != nil {
		return err
	}
	if rows.Next() {
		if err := q.ScanRows(rows, dest); err != nil {
			rows.Close()
			return err
		}
	}
	err = rows.Err()
	if cerr := rows.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return translated(q, err)
	}
	return nil
}

// failed is the error of a flush of list, translated by its statements.
func failed(list []write, err error) error {
	for _, s := range list {
		if s.translate != nil {
			err = s.translate(err)
		}
	}
	return err
}

// flush sends the queued statements and empties the queue.
func (w *writes) flush(tx *gorm.DB) error {
	list := w.list
	w.list = nil
	d := database.DialectOf(tx)
	for i, s := range list {
		if s.insert != nil {
			list[i].sql, list[i].args = insertSQL(d, s.insert.table, s.insert.cols, s.insert.rows)
			list[i].insert = nil
		}
	}
	if d != database.Postgres {
		for _, s := range list {
			res := tx.Exec(s.sql, s.args...)
			if res.Error != nil {
				return failed([]write{s}, res.Error)
			}
			if s.check != nil {
				if err := s.check(res.RowsAffected); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for len(list) > 0 {
		n, args := 0, 0
		for n < len(list) && (n == 0 || args+len(list[n].args) <= maxFlushArgs) {
			args += len(list[n].args)
			n++
		}
		if err := flushTogether(tx, list[:n]); err != nil {
			return failed(list[:n], translated(tx, err))
		}
		list = list[n:]
	}
	return nil
}

// flushTogether sends statements as one: each in a WITH clause that
// returns a row per changed row, and a final SELECT that counts them.
func flushTogether(tx *gorm.DB, list []write) error {
	if len(list) == 1 {
		s := list[0]
		res := tx.Exec(s.sql, s.args...)
		if res.Error != nil {
			return res.Error
		}
		if s.check != nil {
			return s.check(res.RowsAffected)
		}
		return nil
	}
	var sql strings.Builder
	var args []any
	sql.WriteString("WITH ")
	for i, s := range list {
		if i > 0 {
			sql.WriteString(", ")
		}
		fmt.Fprintf(&sql, "w%d AS (%s RETURNING 1)", i, s.sql)
		args = append(args, s.args...)
	}
	sql.WriteString(" SELECT ")
	for i := range list {
		if i > 0 {
			sql.WriteString(", ")
		}
		fmt.Fprintf(&sql, "(SELECT count(*) FROM w%d)", i)
	}
	rows, err := tx.Raw(sql.String(), args...).Rows()
	if err != nil {
		return err
	}
	defer rows.Close()
	counts := make([]int64, len(list))
	dest := make([]any, len(list))
	for i := range counts {
		dest[i] = &counts[i]
	}
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return fmt.Errorf("flush of %d statements returned no counts", len(list))
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	if err := rows.Close(); err != nil {
		return err
	}
	for i, s := range list {
		if s.check != nil {
			if err := s.check(counts[i]); err != nil {
				return err
			}
		}
	}
	return nil
}
