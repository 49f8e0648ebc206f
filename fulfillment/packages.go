package fulfillment

import (
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fahuo/fahuo/carriers"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/models"
	"gorm.io/gorm"
)

// This file holds what shipping and appending share: naming a carrier and a
// number (S2), claiming the number (S4), and writing packages and history in
// bulk, so that a batch of 5,000 rows costs a few statements per chunk, not
// a few per row.

// packageRow is one package a request asks for: a shipment or an appended
// package, alone or as a row of a batch.
type packageRow struct {
	index   int
	order   *models.Order
	carrier carriers.Carrier
	number  string
	kind    models.PackageKind
	lines   []models.PackageLine
	seq     int64
	// id is the package's id when it was drawn ahead of the insert (see
	// claimWaybills); 0 when the insert is to number it.
	id  int64
	pkg models.Package
	err *models.Error
}

// waybillKey is a carrier + tracking number.
type waybillKey struct{ carrier, number string }

func (r *packageRow) key() waybillKey { return waybillKey{r.carrier.Code, r.number} }

func (r *packageRow) fail(err *models.Error) {
	if r.err == nil {
		r.err = err
	}
}

// resolveCarrier checks S2: the carrier is known (by our code or any alias
// other systems use) and the number, normalised, fits its formats. The
// carrier is never guessed from the number.
func resolveCarrier(name, number string) (carriers.Carrier, string, *models.Error) {
	c, ok := carriers.Lookup(name)
	if !ok {
		return c, "", models.FieldError(models.CodeUnknownCarrier, []string{"carrier"}, "%q is not a carrier we know", name)
	}
	n := carriers.Normalize(number)
	if !c.Valid(n) {
		return c, n, models.FieldError(models.CodeInvalidTrackingNumber, []string{"trackingNumber"}, "%q is not a %s tracking number", number, c.NameZh)
	}
	return c, n, nil
}

// orderPairs finds which of the pairs the given orders already carry, so
// that a number is never used twice in one order (S4). It looks the pairs
// up, not the orders' packages, which may be many.
func orderPairs(tx *gorm.DB, shopID int64, pairs [][]any) (map[int64]map[waybillKey]bool, error) {
	out := map[int64]map[waybillKey]bool{}
	err := byCarrier(pairs, func(carrier string, numbers []string) error {
		var rows []struct {
			OrderID        int64
			CarrierCode    string
			TrackingNumber string
		}
		if err := scanAll(tx.Model(&models.Package{}).Select("order_id, carrier_code, tracking_number").
			Where("carrier_code = ? AND tracking_number IN ? AND shop_id = ?", carrier, numbers, shopID), &rows); err != nil {
			return err
		}
		for _, r := range rows {
			if out[r.OrderID] == nil {
				out[r.OrderID] = map[waybillKey]bool{}
			}
			out[r.OrderID][waybillKey{r.CarrierCode, r.TrackingNumber}] = true
		}
		return nil
	})
	return out, err
}

// byCarrier calls fn with the numbers of each carrier, a thousand at a time:
// "carrier = ? AND number IN (…)" uses the (carrier, number) index on both
// databases, where a list of (carrier, number) pairs makes PostgreSQL scan.
func byCarrier(pairs [][]any, fn func(carrier string, numbers []string) error) error {
	var carriersInOrder []string
	numbers := map[string][]string{}
	for _, p := range pairs {
		c, n := p[0].(string), p[1].(string)
		if _, ok := numbers[c]; !ok {
			carriersInOrder = append(carriersInOrder, c)
		}
		numbers[c] = append(numbers[c], n)
	}
	for _, c := range carriersInOrder {
		for _, chunk := range chunks(numbers[c], 1000) {
			if err := fn(c, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}

// claimWaybills decides S4 for the rows that are still good, in row order.
// A number already claimed may be shared only by orders of the same shop,
// buyer and address (merged shipping), and never twice by one order.
//
// It claims first and reads only what it could not claim: the first row to
// name a number claims it for its order (one insert per thousand numbers,
// ON CONFLICT DO NOTHING), and only the numbers someone else held already —
// before this request, or in a concurrent transaction that committed first —
// are read back with the orders of the shop that carry them. Shipping with a
// fresh number, the common case, reads nothing.
//
// On PostgreSQL the first claim statement also draws an id for each row's
// package from the packages' sequence, so that insertPackages can queue the
// packages with the writes that end the change instead of inserting them in
// a round trip of their own. Ids of rows refused later are left unused, as
// a rolled-back insert would leave them.
func (s *Service) claimWaybills(tx *gorm.DB, rows []*packageRow, now time.Time) error {
	var good []*packageRow
	for _, r := range rows {
		if r.err == nil {
			good = append(good, r)
		}
	}
	if len(good) == 0 {
		return nil
	}
	claims := make([]models.Waybill, 0, len(good))
	claimed := make(map[waybillKey]models.Waybill, len(good))
	for _, r := range good {
		k := r.key()
		if _, ok := claimed[k]; !ok {
			w := models.Waybill{CarrierCode: k.carrier, TrackingNumber: k.number, ShopID: r.order.ShopID,
				OrderID: r.order.ID, BuyerID: r.order.BuyerID, AddressKey: s.addressKey(*r.order), CreatedAt: now}
			claimed[k] = w
			claims = append(claims, w)
		}
	}
	mine := map[waybillKey]bool{}
	draw := 0
	if database.DialectOf(tx) == database.Postgres {
		draw = len(good)
	}
	for _, chunk := range chunks(claims, 1000) {
		inserted, ids, err := insertWaybills(tx, chunk, draw)
		if err != nil {
			return err
		}
		if len(ids) != draw {
			return fmt.Errorf("drew %d package ids for %d rows", len(ids), draw)
		}
		for i, id := range ids {
			good[i].id = id
		}
		draw = 0
		for _, w := range inserted {
			mine[waybillKey{w.CarrierCode, w.TrackingNumber}] = true
		}
	}
	// The numbers held already: by whom, and on which of the shop's orders.
	var held [][]any
	for _, w := range claims {
		if k := (waybillKey{w.CarrierCode, w.TrackingNumber}); !mine[k] {
			held = append(held, []any{k.carrier, k.number})
		}
	}
	owners := map[waybillKey]models.Waybill{}
	onOrder := map[int64]map[waybillKey]bool{}
	if len(held) > 0 {
		err := byCarrier(held, func(carrier string, numbers []string) error {
			var found []models.Waybill
			if err := tx.Where("carrier_code = ? AND tracking_number IN ?", carrier, numbers).Find(&found).Error; err != nil {
				return err
			}
			for _, w := range found {
				owners[waybillKey{w.CarrierCode, w.TrackingNumber}] = w
			}
			return nil
		})
		if err != nil {
			return err
		}
		if onOrder, err = orderPairs(tx, good[0].order.ShopID, held); err != nil {
			return err
		}
	}
	for _, r := range good {
		k := r.key()
		if onOrder[r.order.ID][k] {
			r.fail(models.FieldError(models.CodeTrackingNumberInUse, []string{"trackingNumber"}, "%s %s is already on this order", r.carrier.NameZh, r.number))
			continue
		}
		owner, held := owners[k], !mine[k]
		if !held {
			owner = claimed[k]
		}
		// The row that claimed the number uses it; any other row shares it.
		if (held || owner.OrderID != r.order.ID) && !s.mayShare(owner, r.order) {
			r.fail(inUse(r))
			continue
		}
		if onOrder[r.order.ID] == nil {
			onOrder[r.order.ID] = map[waybillKey]bool{}
		}
		onOrder[r.order.ID][k] = true
	}
	return nil
}

// insertWaybills inserts the claims that no one holds yet, in one
// statement, and returns the ones it inserted; with draw > 0 (PostgreSQL
// only) the same statement draws that many package ids.
func insertWaybills(tx *gorm.DB, ws []models.Waybill, draw int) ([]models.Waybill, []int64, error) {
	rows := make([][]any, len(ws))
	for i, w := range ws {
		rows[i] = []any{w.CarrierCode, w.TrackingNumber, w.ShopID, w.OrderID, w.BuyerID, w.AddressKey, w.CreatedAt}
	}
	insert, args := insertSQL(database.DialectOf(tx), "waybills", []string{"carrier_code", "tracking_number", "shop_id", "order_id", "buyer_id", "address_key", "created_at"}, rows)
	var text strings.Builder
	if draw > 0 {
		text.WriteString("WITH claimed AS (")
	}
	text.WriteString(insert)
	text.WriteString(" ON CONFLICT (carrier_code, tracking_number) DO NOTHING RETURNING carrier_code, tracking_number")
	if draw == 0 {
		var inserted []models.Waybill
		err := scanAll(tx.Raw(text.String(), args...), &inserted)
		return inserted, nil, err
	}
	text.WriteString(") SELECT carrier_code, tracking_number, NULL::bigint AS package_id FROM claimed" +
		" UNION ALL SELECT NULL, NULL, nextval(pg_get_serial_sequence('packages', 'id')) FROM generate_series(1, ?)")
	args = append(args, draw)
	// Scanned by hand: a thousand rows through gorm's reflection cost a
	// pointer a column and a copy of the slice each time it grew.
	q := tx.Raw(text.String(), args...)
	rs, err := q.Rows()
	if err != nil {
		return nil, nil, err
	}
	defer rs.Close()
	inserted := make([]models.Waybill, 0, len(ws))
	ids := make([]int64, 0, draw)
	for rs.Next() {
		var carrier, number sql.NullString
		var id sql.NullInt64
		if err := rs.Scan(&carrier, &number, &id); err != nil {
			return nil, nil, err
		}
		if id.Valid {
			ids = append(ids, id.Int64)
		} else if carrier.Valid && number.Valid {
			inserted = append(inserted, models.Waybill{CarrierCode: carrier.String, TrackingNumber: number.String})
		}
	}
	if err := rs.Err(); err != nil {
		return nil, nil, translated(q, err)
	}
	return inserted, ids, rs.Close()
}

func inUse(r *packageRow) *models.Error {
	return models.FieldError(models.CodeTrackingNumberInUse, []string{"trackingNumber"},
		"%s %s belongs to another order", r.carrier.NameZh, r.number)
}

// mayShare tells whether an order may use a number already claimed: merged
// shipping (合并发货) of one shop's orders to one buyer at one address.
func (s *Service) mayShare(w models.Waybill, o *models.Order) bool {
	return w.ShopID == o.ShopID && w.BuyerID == o.BuyerID && w.AddressKey == s.addressKey(*o) && w.OrderID != o.ID
}

// insertPackages writes the good rows' packages and queues their lines and a
// history line per package on w. Packages whose ids were drawn already
// (claimWaybills on PostgreSQL) are queued on w too, a statement per
// thousand, so that they reach the database with their lines; otherwise
// they are inserted here, one statement per thousand, to learn their ids.
func insertPackages(tx *gorm.DB, rows []*packageRow, actor Actor, now time.Time, w *writes) error {
	type key struct {
		order int64
		wb    waybillKey
	}
	byKey := map[key]*packageRow{}
	var values [][]any
	drawn := true
	for _, r := range rows {
		if r.err != nil {
			continue
		}
		r.pkg = models.Package{ID: r.id, ShopID: r.order.ShopID, OrderID: r.order.ID, Kind: r.kind, CarrierCode: r.carrier.Code,
			TrackingNumber: r.number, Status: models.PackageAwaitingPickup, ShippedAt: now,
			InterceptStatus: models.InterceptNone, CreatedAt: now}
		// A typed nil, so that a column of nothing but NULLs still has
		// its type (columnArrays).
		var seq *int64
		if r.kind == models.PackageAppended {
			s := r.seq
			r.pkg.AppendSeq, seq = &s, &s
		}
		byKey[key{r.order.ID, r.key()}] = r
		drawn = drawn && r.id != 0
		values = append(values, []any{r.pkg.ShopID, r.pkg.OrderID, string(r.pkg.Kind), seq, r.pkg.CarrierCode, r.pkg.TrackingNumber,
			string(r.pkg.Status), now, string(r.pkg.InterceptStatus), now})
	}
	if len(values) == 0 {
		return nil
	}
	cols := []string{"shop_id", "order_id", "kind", "append_seq", "carrier_code", "tracking_number",
		"status", "shipped_at", "intercept_status", "created_at"}
	if drawn {
		i := 0
		for _, r := range rows {
			if r.err == nil {
				values[i] = append(values[i], r.id)
				i++
			}
		}
		for _, chunk := range chunks(values, 1000) {
			w.insertOr(translatePackageError, "packages", append(cols, "id"), chunk)
		}
	} else {
		for _, chunk := range chunks(values, 1000) {
			var ids []struct {
				ID             int64
				OrderID        int64
				CarrierCode    string
				TrackingNumber string
			}
			err := insertValues(tx, "packages", cols, chunk, "RETURNING id, order_id, carrier_code, tracking_number", &ids)
			if err != nil {
				return translatePackageError(err)
			}
			// Matched by key, never by position.
			for _, id := range ids {
				if r := byKey[key{id.OrderID, waybillKey{id.CarrierCode, id.TrackingNumber}}]; r != nil {
					r.pkg.ID = id.ID
				}
			}
		}
	}
	var lines, events [][]any
	for _, r := range rows {
		if r.err != nil {
			continue
		}
		if r.pkg.ID == 0 {
			return fmt.Errorf("package %s %s of order %d got no id", r.carrier.Code, r.number, r.order.ID)
		}
		for _, l := range r.lines {
			lines = append(lines, []any{r.pkg.ShopID, r.pkg.ID, l.OrderLineID, l.Quantity})
		}
		action, detail := "ship", fmt.Sprintf("%s %s", r.carrier.NameZh, r.number)
		if r.kind == models.PackageAppended {
			action, detail = "appendPackage", fmt.Sprintf("%s %s（第 %d 个追加包裹）", r.carrier.NameZh, r.number, r.seq)
		}
		events = append(events, []any{r.order.ShopID, r.order.ID, now, actor.Name, action, detail})
	}
	for _, chunk := range chunks(lines, 1000) {
		w.insert("package_lines", []string{"shop_id", "package_id", "order_line_id", "quantity"}, chunk)
	}
	for _, chunk := range chunks(events, 1000) {
		w.insert("order_events", []string{"shop_id", "order_id", "at", "actor_name", "action", "detail"}, chunk)
	}
	return nil
}

// insertValues inserts many rows in one statement; with returning, it
// scans what the statement returns into dest.
func insertValues(tx *gorm.DB, table string, cols []string, rows [][]any, returning string, dest any) error {
	sql, args := insertSQL(database.DialectOf(tx), table, cols, rows)
	if returning == "" {
		return tx.Exec(sql, args...).Error
	}
	return tx.Raw(sql+" "+returning, args...).Scan(dest).Error
}

// insertSQL is a multi-row INSERT of rows into cols of table, with ?
// placeholders, and its arguments: on PostgreSQL a SELECT from one array
// per column (columnArrays), elsewhere, or when a column's type cannot be
// told from its values, a VALUES list.
func insertSQL(d database.Dialect, table string, cols []string, rows [][]any) (string, []any) {
	head := "INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") "
	if d == database.Postgres {
		if arrays, types, ok := columnArrays(rows, len(cols)); ok {
			return head + "SELECT * FROM " + unnestSQL(types), arrays
		}
	}
	values, args := rowsSQL("("+strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ")+")", rows)
	return head + "VALUES " + values, args
}

// valuesTable is a table v of rows, for joining many rows' values into one
// UPDATE; its columns are v.column1, v.column2, … on both databases. On
// PostgreSQL it is unnest over one array per column of the given types
// (see columnArrays), or, should a column's values not be of its type, a
// VALUES list with each value cast to its column's type (VALUES would type
// parameters as text); SQLite takes a VALUES list as it comes.
func valuesTable(d database.Dialect, types []string, rows [][]any) (string, []any) {
	one := make([]string, len(types))
	names := make([]string, len(types))
	for i, t := range types {
		one[i] = "?"
		if d == database.Postgres {
			one[i] = "CAST(? AS " + t + ")"
		}
		names[i] = "column" + strconv.Itoa(i+1)
	}
	if d == database.Postgres {
		if arrays, got, ok := columnArrays(rows, len(types)); ok && slices.Equal(got, types) {
			return unnestSQL(types) + " AS v(" + strings.Join(names, ", ") + ")", arrays
		}
	}
	values, args := rowsSQL("("+strings.Join(one, ", ")+")", rows)
	return "(VALUES " + values + ") AS v", args
}

// rowsSQL repeats one row of placeholders for each of rows, comma
// separated, and returns the rows' values as its arguments.
func rowsSQL(one string, rows [][]any) (string, []any) {
	var sql strings.Builder
	var args []any
	if len(rows) > 0 {
		args = make([]any, 0, len(rows)*len(rows[0]))
	}
	for i, r := range rows {
		if i > 0 {
			sql.WriteString(", ")
		}
		sql.WriteString(one)
		args = append(args, r...)
	}
	return sql.String(), args
}

// translatePackageError turns the database's backstops into the rules they
// stand for, should a check above them ever be missed.
func translatePackageError(err error) error {
	switch {
	case errors.Is(err, gorm.ErrCheckConstraintViolated):
		return models.Errorf(models.CodeAppendLimitReached, "at most %d appended packages per order", models.MaxAppendedPackages)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return models.Errorf(models.CodeTrackingNumberInUse, "a tracking number is already on this order")
	}
	return err
}

// addEvent writes one history line.
func addEvent(tx *gorm.DB, o models.Order, actor Actor, now time.Time, action, detail string) error {
	return tx.Create(&models.OrderEvent{ShopID: o.ShopID, OrderID: o.ID, At: now, ActorName: actor.Name, Action: action, Detail: detail}).Error
}

func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}
