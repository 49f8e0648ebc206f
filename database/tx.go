package database

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"
)

// maxAttempts bounds how often a transaction that lost a serialization race
// or a deadlock is tried again.
const maxAttempts = 4

// Transact runs fn in one transaction and commits it when fn returns nil. A
// transaction that PostgreSQL aborted for a serialization failure (40001) or a
// deadlock (40P01) is run again from the start, a few times, after a short
// pause: such aborts are normal under load and say nothing about the request.
// fn must therefore have no effects outside the transaction.
func Transact(ctx context.Context, db *gorm.DB, fn func(tx *gorm.DB) error) error {
	var err error
	for attempt := 1; attempt <= maxAttempts; attempt++ {
		err = db.WithContext(ctx).Transaction(fn)
		if err == nil || !retryable(err) || attempt == maxAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt*attempt) * 5 * time.Millisecond):
		}
	}
	return err
}

func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "40001" || pgErr.Code == "40P01"
	}
	return false
}
