package fulfillment

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/database/dbtest"
	"gorm.io/gorm"
)

// The queued writes of a change all land, each check sees the rows its own
// statement changed, a failed check fails the flush, and a queue too large
// for one statement goes in several.
func TestWritesFlushTogether(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, db *gorm.DB, _ string) {
		now := time.Now().UTC().Truncate(time.Second)
		entry := func(action string) []any {
			return []any{nil, now, "SYSTEM", nil, nil, "test", "", "", action, "[]", "OK", false}
		}
		cols := []string{"shop_id", "at", "actor_kind", "actor_user_id", "actor_token_id", "actor_name", "ip",
			"user_agent", "action", "object_ids", "outcome", "sensitive"}
		count := func(action string) int64 {
			var n int64
			db.Raw("SELECT count(*) FROM audit_log WHERE action = ?", action).Scan(&n)
			return n
		}

		var w writes
		w.insert("audit_log", cols, [][]any{entry("a"), entry("a"), entry("b")})
		var seen []int64
		w.add(func(n int64) error { seen = append(seen, n); return nil }, "UPDATE audit_log SET outcome = ? WHERE action = ?", "DONE", "nothing")
		w.insert("audit_log", cols, [][]any{entry("c")})
		if err := database.Transact(t.Context(), db, w.flush); err != nil {
			t.Fatal(err)
		}
		if count("a") != 2 || count("b") != 1 || count("c") != 1 || len(w.list) != 0 {
			t.Errorf("a %d, b %d, c %d, %d left queued", count("a"), count("b"), count("c"), len(w.list))
		}
		// The update matched no row, and its check was told so.
		if len(seen) != 1 || seen[0] != 0 {
			t.Errorf("the update's check saw %v", seen)
		}

		refused := errors.New("refused")
		w.insert("audit_log", cols, [][]any{entry("d")})
		w.add(func(n int64) error {
			if n != 2 {
				return fmt.Errorf("changed %d rows", n)
			}
			return refused
		}, "UPDATE audit_log SET outcome = ? WHERE action = ?", "DONE", "a")
		if err := database.Transact(t.Context(), db, w.flush); !errors.Is(err, refused) {
			t.Fatalf("flush with a failing check: %v", err)
		}
		if count("d") != 0 {
			t.Error("a failed flush left its insert behind")
		}

		// A statement's translation turns the flush's error into the rule
		// its constraint backs; nothing of the flush stays.
		rule := errors.New("rule")
		w.insert("audit_log", cols, [][]any{entry("f")})
		w.insertOr(func(err error) error {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return rule
			}
			return err
		}, "audit_log", append(cols, "id"), [][]any{append(entry("g"), 1_000_000), append(entry("g"), 1_000_000)})
		if err := database.Transact(t.Context(), db, w.flush); !errors.Is(err, rule) {
			t.Fatalf("flush breaking a unique key: %v", err)
		}
		if count("f") != 0 || count("g") != 0 {
			t.Errorf("a failed flush left f %d, g %d", count("f"), count("g"))
		}

		// 3,000 rows of 12 values: more than one statement may carry.
		var rows [][]any
		for range 3000 {
			rows = append(rows, entry("e"))
		}
		for i := 0; i < len(rows); i += 1000 {
			w.insert("audit_log", cols, rows[i:i+1000])
		}
		if err := database.Transact(t.Context(), db, w.flush); err != nil {
			t.Fatal(err)
		}
		if count("e") != 3000 {
			t.Errorf("%d of 3000 rows of a large flush", count("e"))
		}
	})
}
