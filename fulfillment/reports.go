package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/fahuo/fahuo/batchfile"
	"github.com/fahuo/fahuo/models"
	"github.com/fahuo/fahuo/workdays"
	"gorm.io/gorm"
)

// EvidenceFile is an uploaded file backing a report.
type EvidenceFile struct {
	Filename string
	Data     []byte
}

// DelayReportInput is a merchant's delay report (DOMAIN.md §8).
type DelayReportInput struct {
	Type   models.DelayReportType
	Reason string
	Remark string
	// NewShipBy is when the orders will ship instead.
	NewShipBy time.Time
	// Regions, for region-based types, are the receiving regions the
	// carriers stopped serving; PromisedFrom/To and ProductIDs narrow the
	// orders found there.
	Regions                  []string
	PromisedFrom, PromisedTo *time.Time
	ProductIDs               []int64
	// OrderNumbers are typed or uploaded; FileErrors are the rows of an
	// uploaded file that could not be read (D1).
	OrderNumbers []string
	FileErrors   []*models.Error
	Evidence     []EvidenceFile
}

// AddOrderFile adds the order numbers of an uploaded list (read with
// batchfile.DelayReportSpec) to the report; a row the file could not read
// becomes a file error naming its line (orderFile, line).
func (in *DelayReportInput) AddOrderFile(f *batchfile.File) {
	for _, row := range f.Rows {
		if row.Err != nil {
			in.FileErrors = append(in.FileErrors, &models.Error{Code: row.Err.Code, Message: row.Err.Message,
				Field: []string{"orderFile", fmt.Sprint(row.Line)}})
			continue
		}
		in.OrderNumbers = append(in.OrderNumbers, row.Values[batchfile.KeyOrderNumber])
	}
}

// ReportOrderResult says whether the report covers an order, and why not.
type ReportOrderResult struct {
	OrderNumber string
	OrderID     int64
	Err         *models.Error
}

// evidenceTypes are the file types accepted as evidence, told by content.
var evidenceTypes = []string{"image/jpeg", "image/png", "image/gif", "image/webp", "application/pdf"}

func (in *DelayReportInput) validate(now time.Time) error {
	if !slices.Contains(models.DelayReportTypes, in.Type) {
		return models.FieldError(models.CodeInvalidArgument, []string{"type"}, "%q is not a report type", in.Type)
	}
	in.Reason, in.Remark = strings.TrimSpace(in.Reason), strings.TrimSpace(in.Remark)
	if in.Reason == "" || utf8.RuneCountInString(in.Reason) > 200 {
		return models.FieldError(models.CodeInvalidArgument, []string{"reason"}, "a reason of 1 to 200 characters is needed")
	}
	if in.Remark == "" || utf8.RuneCountInString(in.Remark) > 1000 {
		return models.FieldError(models.CodeInvalidArgument, []string{"remark"}, "a remark of 1 to 1000 characters is needed")
	}
	if !in.NewShipBy.After(now) {
		return models.FieldError(models.CodeInvalidArgument, []string{"newShipBy"}, "the new ship time must lie in the future")
	}
	if len(in.Evidence) == 0 {
		return models.FieldError(models.CodeEvidenceRequired, []string{"evidence"}, "attach at least one image or PDF as evidence")
	}
	if len(in.Evidence) > models.MaxEvidenceFiles {
		return models.FieldError(models.CodeInvalidArgument, []string{"evidence"}, "at most %d evidence files", models.MaxEvidenceFiles)
	}
	for i, f := range in.Evidence {
		field := []string{"evidence", fmt.Sprint(i)}
		if len(f.Data) == 0 || len(f.Data) > models.MaxEvidenceBytes {
			return models.FieldError(models.CodeInvalidArgument, field, "%s: evidence files are up to 5 MB", f.Filename)
		}
		if ct := evidenceType(f.Data); ct == "" {
			return models.FieldError(models.CodeInvalidArgument, field, "%s is not an image or a PDF", f.Filename)
		}
	}
	if in.Type.RegionBased() {
		if len(in.Regions) == 0 {
			return models.FieldError(models.CodeInvalidArgument, []string{"regions"}, "a %s report names the receiving regions affected", in.Type)
		}
		if err := validRegions(in.Regions, "regions"); err != nil {
			return err
		}
	} else {
		if len(in.Regions) > 0 || in.PromisedFrom != nil || in.PromisedTo != nil || len(in.ProductIDs) > 0 {
			return models.FieldError(models.CodeInvalidArgument, []string{"regions"}, "a %s report lists its orders by number", in.Type)
		}
		if len(in.OrderNumbers) == 0 && len(in.FileErrors) == 0 {
			return models.FieldError(models.CodeInvalidArgument, []string{"orderNumbers"}, "list the orders by number, typed or in a file")
		}
	}
	if len(in.OrderNumbers) > models.MaxReportOrders {
		return models.Errorf(models.CodeBatchTooLarge, "%d orders; a report covers at most %d", len(in.OrderNumbers), models.MaxReportOrders)
	}
	return nil
}

// evidenceType is the file's type by its content, not its name, or "" for
// a type not accepted (a renamed executable is caught here).
func evidenceType(data []byte) string {
	ct := http.DetectContentType(data)
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	if slices.Contains(evidenceTypes, ct) {
		return ct
	}
	return ""
}

// CreateDelayReport files a report. Region-based types (major conference,
// major event, natural disaster, epidemic) take the shop's pending orders
// received in the named regions, narrowed by promised ship time and
// products, plus any orders listed by number; the other types take the
// orders listed by number. Each order is judged on its own and the answer
// says which the report covers and why any were refused; the report is
// filed with the orders it covers (D1–D6).
//
// Errors (nothing filed): FORBIDDEN for roles other than owner and
// operations; INVALID_ARGUMENT for a bad type, reason, remark (D4: 1 to
// 1000 characters, required), new ship time or
// selection; EVIDENCE_REQUIRED without evidence; INVALID_FILE with a row
// per unreadable line of an uploaded list; BATCH_TOO_LARGE past 5000
// orders; INVALID_REGION; and INVALID_ARGUMENT when no order can be
// reported. Per order: NOT_FOUND, ORDER_NOT_REPORTABLE (D2),
// ORDER_OUTSIDE_REPORT_REGIONS (D3), ORDER_COVERED_BY_ANNOUNCEMENT (D5),
// DUPLICATE_REPORT (D6), INVALID_ARGUMENT (a promise already later than
// the new ship time).
func (s *Service) CreateDelayReport(ctx context.Context, a Actor, in DelayReportInput) (models.DelayReport, []ReportOrderResult, error) {
	var (
		report  models.DelayReport
		results []ReportOrderResult
	)
	e := &audit{op: OpCreateDelayReport}
	now := s.clock.Now()
	if err := in.validate(now); err != nil {
		return report, nil, s.refuse(ctx, a, e, err)
	}
	if len(in.FileErrors) > 0 {
		first := in.FileErrors[0]
		return report, nil, s.refuse(ctx, a, e, &models.Error{Code: models.CodeInvalidFile, Field: []string{"file"},
			Message: fmt.Sprintf("%d rows of the file cannot be used; the first: %s", len(in.FileErrors), first.Message)})
	}
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		results = nil
		orders, err := s.reportOrders(tx, a.ShopID, in)
		if err != nil {
			return err
		}
		anns, err := announcementsDuring(tx, orders)
		if err != nil {
			return err
		}
		active, err := activeReports(tx, a.ShopID, orders)
		if err != nil {
			return err
		}
		var covered []int64
		for _, o := range orders {
			r := ReportOrderResult{OrderNumber: o.number, OrderID: o.order.ID}
			switch {
			case o.order.ID == 0:
				r.Err = models.FieldError(models.CodeNotFound, []string{"orderNumber"}, "no order %q in your shop", o.number)
			case o.order.Status != models.OrderPendingShipment:
				r.Err = models.Errorf(models.CodeOrderNotReportable, "order %s has shipped or is closed; only orders awaiting shipment can be reported", o.number)
			case in.Type == models.ReportEpidemic && !coversAny(in.Regions, o.order.RegionCode):
				r.Err = models.Errorf(models.CodeOrderOutsideRegions, "order %s is received outside the report's regions; if your own ship-from place is affected, file a SPECIAL_ORDER report", o.number)
			case coveredByAny(anns, o.order):
				r.Err = models.Errorf(models.CodeOrderCoveredByAnnounce, "order %s is covered by a platform announcement and needs no report", o.number)
			case active[o.order.ID]:
				r.Err = models.Errorf(models.CodeDuplicateReport, "order %s is already in a pending or approved report", o.number)
			case !in.NewShipBy.After(o.order.PromisedShipBy):
				r.Err = models.FieldError(models.CodeInvalidArgument, []string{"newShipBy"}, "order %s is promised by %s already; the new ship time must be later",
					o.number, o.order.PromisedShipBy.In(models.ChinaTime).Format("2006-01-02 15:04"))
			default:
				covered = append(covered, o.order.ID)
			}
			results = append(results, r)
		}
		if len(covered) == 0 {
			return models.Errorf(models.CodeInvalidArgument, "none of the %d orders can be reported", len(results))
		}
		report = models.DelayReport{ShopID: a.ShopID, Type: in.Type, Status: models.ReportPending, Reason: in.Reason, Remark: in.Remark,
			Regions: nonNil(in.Regions), NewShipBy: in.NewShipBy.UTC().Truncate(time.Microsecond), SubmittedAt: now, SubmittedBy: a.Name,
			DueAt: now.Add(models.ReviewDue)}
		if err := tx.Create(&report).Error; err != nil {
			return err
		}
		e.object("DelayReport", report.ID)
		var rows [][]any
		for _, id := range covered {
			rows = append(rows, []any{a.ShopID, report.ID, id, true})
		}
		for _, chunk := range chunks(rows, 1000) {
			if err := insertValues(tx, "delay_report_orders", []string{"shop_id", "report_id", "order_id", "active"}, chunk, "", nil); err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return models.Errorf(models.CodeDuplicateReport, "an order was reported by another report meanwhile; try again")
				}
				return err
			}
		}
		for _, f := range in.Evidence {
			ev := models.Evidence{ShopID: a.ShopID, ReportID: report.ID, Filename: clip(f.Filename, 200), ContentType: evidenceType(f.Data),
				Size: int64(len(f.Data)), Data: f.Data}
			if err := tx.Create(&ev).Error; err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return models.DelayReport{}, results, err
	}
	return report, results, nil
}

type reportOrder struct {
	number string
	order  models.Order
}

// reportOrders finds the orders a report names, locked in id order: for a
// region-based type the shop's pending orders received in its regions
// (narrowed by the filters), then the orders listed by number.
func (s *Service) reportOrders(tx *gorm.DB, shopID int64, in DelayReportInput) ([]reportOrder, error) {
	var found []models.Order
	if in.Type.RegionBased() {
		q := tx.Where("shop_id = ? AND status = ?", shopID, models.OrderPendingShipment)
		var conds []string
		var args []any
		for _, code := range in.Regions {
			c := regionCondition(code)
			conds = append(conds, c.SQL)
			args = append(args, c.Vars...)
		}
		q = q.Where("("+strings.Join(conds, " OR ")+")", args...)
		if in.PromisedFrom != nil {
			q = q.Where("promised_ship_by >= ?", in.PromisedFrom.UTC())
		}
		if in.PromisedTo != nil {
			q = q.Where("promised_ship_by < ?", in.PromisedTo.UTC())
		}
		if len(in.ProductIDs) > 0 {
			q = q.Where("EXISTS (SELECT 1 FROM order_lines l WHERE l.shop_id = orders.shop_id AND l.order_id = orders.id AND l.product_id IN ?)", in.ProductIDs)
		}
		if err := q.Order("id").Limit(models.MaxReportOrders + 1).Find(&found).Error; err != nil {
			return nil, err
		}
	}
	var numbers []string
	seen := map[string]bool{}
	for _, n := range in.OrderNumbers {
		n = strings.TrimSpace(n)
		if n != "" && !seen[n] {
			seen[n] = true
			numbers = append(numbers, n)
		}
	}
	byNumber := map[string]models.Order{}
	for _, chunk := range chunks(numbers, 1000) {
		var os []models.Order
		if err := tx.Where("shop_id = ? AND number IN ?", shopID, chunk).Find(&os).Error; err != nil {
			return nil, err
		}
		for _, o := range os {
			byNumber[o.Number] = o
		}
	}
	var out []reportOrder
	inList := map[int64]bool{}
	for _, o := range found {
		inList[o.ID] = true
		out = append(out, reportOrder{number: o.Number, order: o})
	}
	for _, n := range numbers {
		o := byNumber[n]
		if o.ID != 0 && inList[o.ID] {
			continue
		}
		out = append(out, reportOrder{number: n, order: o})
	}
	if len(out) > models.MaxReportOrders {
		return nil, models.Errorf(models.CodeBatchTooLarge, "the selection holds more than %d orders; narrow it", models.MaxReportOrders)
	}
	// Lock the orders in id order, so that two reports never deadlock and
	// never both take an order, and judge them as they are once locked: an
	// order shipped since the first read is not reportable any more.
	var ids []int64
	for _, o := range out {
		if o.order.ID != 0 {
			ids = append(ids, o.order.ID)
		}
	}
	slices.Sort(ids)
	locked := make(map[int64]models.Order, len(ids))
	for _, chunk := range chunks(ids, 1000) {
		var os []models.Order
		if err := tx.Clauses(lockForUpdate).Where("shop_id = ? AND id IN ?", shopID, chunk).Order("id").Find(&os).Error; err != nil {
			return nil, err
		}
		for _, o := range os {
			locked[o.ID] = o
		}
	}
	for i := range out {
		if o, ok := locked[out[i].order.ID]; ok {
			out[i].order = o
		}
	}
	return out, nil
}

// activeReports tells which of the orders are in a pending or approved
// report (D6).
func activeReports(tx *gorm.DB, shopID int64, orders []reportOrder) (map[int64]bool, error) {
	var ids []int64
	for _, o := range orders {
		if o.order.ID != 0 {
			ids = append(ids, o.order.ID)
		}
	}
	out := map[int64]bool{}
	for _, chunk := range chunks(ids, 1000) {
		var found []int64
		if err := tx.Table("delay_report_orders").Where("shop_id = ? AND active AND order_id IN ?", shopID, chunk).Pluck("order_id", &found).Error; err != nil {
			return nil, err
		}
		for _, id := range found {
			out[id] = true
		}
	}
	return out, nil
}

// announcementsDuring reads the announcements whose range meets the orders'
// promises.
func announcementsDuring(tx *gorm.DB, orders []reportOrder) ([]models.Announcement, error) {
	var lo, hi time.Time
	for _, o := range orders {
		if o.order.ID == 0 {
			continue
		}
		if lo.IsZero() || o.order.PromisedShipBy.Before(lo) {
			lo = o.order.PromisedShipBy
		}
		if o.order.PromisedShipBy.After(hi) {
			hi = o.order.PromisedShipBy
		}
	}
	var anns []models.Announcement
	if lo.IsZero() {
		return anns, nil
	}
	err := tx.Where("starts_at <= ? AND ends_at >= ?", hi, lo).Find(&anns).Error
	return anns, err
}

// coveredByAny tells whether an announcement covers the order (§9): its
// promise in the range, and its receiving or ship-from region in the
// regions.
func coveredByAny(anns []models.Announcement, o models.Order) bool {
	for _, an := range anns {
		if o.PromisedShipBy.Before(an.StartsAt) || o.PromisedShipBy.After(an.EndsAt) {
			continue
		}
		if coversAny(an.Regions, o.RegionCode) || (o.ShipFromRegion != "" && coversAny(an.Regions, o.ShipFromRegion)) {
			return true
		}
	}
	return false
}

// ReviewDelayReport approves or rejects a pending report (D7). Approval
// exempts its orders from late-shipment responsibility from the third
// working day after approval on the Chinese calendar (D8); past the years
// the calendar knows, weekends alone count and the date is marked
// unconfirmed. Rejection needs a reason and frees the orders for another
// report.
//
// Errors: FORBIDDEN for anyone but the platform; NOT_FOUND; INVALID_STATE
// for a report already reviewed; INVALID_ARGUMENT for a rejection without
// a reason.
func (s *Service) ReviewDelayReport(ctx context.Context, a Actor, id int64, approve bool, rejectReason string) (models.DelayReport, error) {
	var r models.DelayReport
	e := &audit{op: OpReviewDelayReport}
	e.object("DelayReport", id)
	rejectReason = strings.TrimSpace(rejectReason)
	if !approve && (rejectReason == "" || utf8.RuneCountInString(rejectReason) > 500) {
		return r, s.refuse(ctx, a, e, models.FieldError(models.CodeInvalidArgument, []string{"rejectReason"}, "a rejection needs a reason of 1 to 500 characters"))
	}
	err := s.change(ctx, a, e, func(tx *gorm.DB) error {
		if err := tx.Clauses(lockForUpdate).Take(&r, id).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return models.Errorf(models.CodeNotFound, "no such report")
			}
			return err
		}
		e.shopID = r.ShopID
		if err := reviewable(r); err != nil {
			return err
		}
		now := s.clock.Now()
		updates := map[string]any{"reviewed_at": now, "reviewed_by": a.Name}
		r.ReviewedAt, r.ReviewedBy = &now, &a.Name
		if approve {
			at, confirmed := workdays.AddWorkdays(now, models.ExemptionWorkingDays)
			at = at.UTC().Truncate(time.Microsecond)
			if !confirmed {
				s.log.WarnContext(ctx, "delay report exemption date counted without the official holiday calendar", "report", r.ID, "effective_at", at)
			}
			r.Status, r.EffectiveAt, r.EffectiveConfirmed = models.ReportApproved, &at, &confirmed
			updates["status"], updates["effective_at"], updates["effective_confirmed"] = r.Status, at, confirmed
		} else {
			r.Status, r.RejectReason = models.ReportRejected, &rejectReason
			updates["status"], updates["reject_reason"] = r.Status, rejectReason
			if err := tx.Table("delay_report_orders").Where("shop_id = ? AND report_id = ?", r.ShopID, r.ID).Update("active", false).Error; err != nil {
				return err
			}
		}
		res := tx.Model(&models.DelayReport{}).Where("id = ? AND status = ?", r.ID, models.ReportPending).Updates(updates)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return models.Errorf(models.CodeInvalidState, "the report was reviewed meanwhile")
		}
		return nil
	})
	return r, err
}

// ReportFilter narrows the report list (D9).
type ReportFilter struct {
	Statuses []models.ReportStatus
	Types    []models.DelayReportType
	// SubmittedFrom and SubmittedTo bound the submission time.
	SubmittedFrom, SubmittedTo *time.Time
	ShopID                     int64
}

// ReportPage is one page of reports.
type ReportPage struct {
	Reports     []models.DelayReport
	HasNextPage bool
}

// DelayReports lists reports: a shop's newest first; for the platform, all
// shops' oldest first, which with the PENDING_REVIEW status is the review
// queue.
func (s *Service) DelayReports(ctx context.Context, a Actor, f ReportFilter, first int, after string) (ReportPage, error) {
	if err := authorize(a, OpReadReports); err != nil {
		return ReportPage{}, err
	}
	if first < 1 || first > MaxPageSize {
		return ReportPage{}, models.FieldError(models.CodeInvalidArgument, []string{"first"}, "page size must be 1 to %d", MaxPageSize)
	}
	q := s.db.WithContext(ctx).Model(&models.DelayReport{})
	oldestFirst := a.Role == models.RolePlatform
	if a.Role == models.RolePlatform {
		if f.ShopID != 0 {
			q = q.Where("shop_id = ?", f.ShopID)
		}
	} else {
		q = q.Where("shop_id = ?", a.ShopID)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("status IN ?", f.Statuses)
	}
	if len(f.Types) > 0 {
		q = q.Where("type IN ?", f.Types)
	}
	if f.SubmittedFrom != nil {
		q = q.Where("submitted_at >= ?", f.SubmittedFrom.UTC())
	}
	if f.SubmittedTo != nil {
		q = q.Where("submitted_at < ?", f.SubmittedTo.UTC())
	}
	if after != "" {
		id, err := decodeIDCursor(after)
		if err != nil {
			return ReportPage{}, err
		}
		if oldestFirst {
			q = q.Where("id > ?", id)
		} else {
			q = q.Where("id < ?", id)
		}
	}
	order := "id DESC"
	if oldestFirst {
		order = "id ASC"
	}
	var rs []models.DelayReport
	if err := q.Order(order).Limit(first + 1).Find(&rs).Error; err != nil {
		return ReportPage{}, err
	}
	page := ReportPage{Reports: rs}
	if len(rs) > first {
		page.Reports, page.HasNextPage = rs[:first], true
	}
	return page, nil
}

// EncodeReportCursor makes the cursor that points after a report.
func EncodeReportCursor(r models.DelayReport) string { return encodeIDCursor(r.ID) }

// DelayReport returns one report the actor may see.
func (s *Service) DelayReport(ctx context.Context, a Actor, id int64) (models.DelayReport, error) {
	if err := authorize(a, OpReadReports); err != nil {
		return models.DelayReport{}, err
	}
	q := s.db.WithContext(ctx).Where("id = ?", id)
	if a.Role != models.RolePlatform {
		q = q.Where("shop_id = ?", a.ShopID)
	}
	var r models.DelayReport
	if err := q.Take(&r).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return r, models.Errorf(models.CodeNotFound, "no such report")
		}
		return r, err
	}
	return r, nil
}

// reviewable checks D7: only a report awaiting review can be decided.
func reviewable(r models.DelayReport) *models.Error {
	if r.Status != models.ReportPending {
		return models.Errorf(models.CodeInvalidState, "the report is %s already", r.Status)
	}
	return nil
}

// CanReview tells whether the actor may decide the report now: the same
// checks ReviewDelayReport runs, for pages that offer the decision.
func CanReview(a Actor, r models.DelayReport) bool {
	return Allowed(a, OpReviewDelayReport) && reviewable(r) == nil
}

// reportInScope checks, without a query, that the actor may see a report
// already read: the platform sees every shop's, a shop's actor its own.
func reportInScope(a Actor, r models.DelayReport) error {
	if err := authorize(a, OpReadReports); err != nil {
		return err
	}
	if a.Role != models.RolePlatform && r.ShopID != a.ShopID {
		return models.Errorf(models.CodeNotFound, "no such report")
	}
	return nil
}

// ReportOrders lists the orders a report covers.
func (s *Service) ReportOrders(ctx context.Context, a Actor, r models.DelayReport) ([]models.Order, error) {
	if err := reportInScope(a, r); err != nil {
		return nil, err
	}
	k := Key{ShopID: r.ShopID, ID: r.ID}
	os, err := s.ReportOrdersOf(ctx, a, []Key{k})
	return os[k], err
}

// ReportOrdersOf lists the orders each report covers, keyed by report
// ({shop, report id}), in id order: one statement for a whole list of
// reports. A shop's actor sees only its own shop's reports.
func (s *Service) ReportOrdersOf(ctx context.Context, a Actor, keys []Key) (map[Key][]models.Order, error) {
	if err := authorize(a, OpReadReports); err != nil {
		return nil, err
	}
	shops, ids := keysInScope(a, keys)
	out := make(map[Key][]models.Order, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		models.Order
		ReportID int64
	}
	if err := scanAll(s.db.WithContext(ctx).Table("orders").Select("orders.*, delay_report_orders.report_id").
		Joins("JOIN delay_report_orders ON delay_report_orders.shop_id = orders.shop_id AND delay_report_orders.order_id = orders.id").
		Where("delay_report_orders.shop_id IN ? AND delay_report_orders.report_id IN ?", shops, ids).
		Order("delay_report_orders.report_id, orders.id"), &rows); err != nil {
		return nil, err
	}
	for _, r := range rows {
		k := Key{ShopID: r.ShopID, ID: r.ReportID}
		out[k] = append(out[k], r.Order)
	}
	return out, nil
}

// ReportOrderCounts counts the orders each report covers, keyed by report
// ({shop, report id}): one statement for a whole list of reports. A shop's
// actor counts only its own shop's reports.
func (s *Service) ReportOrderCounts(ctx context.Context, a Actor, keys []Key) (map[Key]int64, error) {
	if err := authorize(a, OpReadReports); err != nil {
		return nil, err
	}
	shops, ids := keysInScope(a, keys)
	out := make(map[Key]int64, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct{ ShopID, ReportID, N int64 }
	if err := s.db.WithContext(ctx).Table("delay_report_orders").Select("shop_id, report_id, COUNT(*) AS n").
		Where("shop_id IN ? AND report_id IN ?", shops, ids).Group("shop_id, report_id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[Key{ShopID: r.ShopID, ID: r.ReportID}] = r.N
	}
	return out, nil
}

// EvidenceOf lists a report's evidence without the file contents.
func (s *Service) EvidenceOf(ctx context.Context, a Actor, r models.DelayReport) ([]models.Evidence, error) {
	if err := reportInScope(a, r); err != nil {
		return nil, err
	}
	k := Key{ShopID: r.ShopID, ID: r.ID}
	evs, err := s.EvidenceOfReports(ctx, a, []Key{k})
	return evs[k], err
}

// EvidenceOfReports lists each report's evidence without the file
// contents, keyed by report: one statement for a whole list of reports.
func (s *Service) EvidenceOfReports(ctx context.Context, a Actor, keys []Key) (map[Key][]models.Evidence, error) {
	if err := authorize(a, OpReadReports); err != nil {
		return nil, err
	}
	shops, ids := keysInScope(a, keys)
	out := make(map[Key][]models.Evidence, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var evs []models.Evidence
	if err := s.db.WithContext(ctx).Select("id", "shop_id", "report_id", "filename", "content_type", "size").
		Where("shop_id IN ? AND report_id IN ?", shops, ids).Order("report_id, id").Find(&evs).Error; err != nil {
		return nil, err
	}
	for _, e := range evs {
		k := Key{ShopID: e.ShopID, ID: e.ReportID}
		out[k] = append(out[k], e)
	}
	return out, nil
}

// EvidenceFileByID returns one evidence file with its contents, for the
// report's shop and the platform.
func (s *Service) EvidenceFileByID(ctx context.Context, a Actor, id int64) (models.Evidence, error) {
	if err := authorize(a, OpReadReports); err != nil {
		return models.Evidence{}, err
	}
	q := s.db.WithContext(ctx).Where("id = ?", id)
	if a.Role != models.RolePlatform {
		q = q.Where("shop_id = ?", a.ShopID)
	}
	var ev models.Evidence
	if err := q.Take(&ev).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ev, models.Errorf(models.CodeNotFound, "no such file")
		}
		return ev, err
	}
	return ev, nil
}

// ReportsOfOrders returns, for each order, the report it is in (the active
// one, else the latest), so that the order list shows it (D9).
func (s *Service) ReportsOfOrders(ctx context.Context, a Actor, keys []Key) (map[Key]models.DelayReport, error) {
	if _, err := orderScope(a); err != nil {
		return nil, err
	}
	shops, ids := keysInScope(a, keys)
	out := map[Key]models.DelayReport{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		OrderID int64
		Active  bool
		models.DelayReport
	}
	if err := scanAll(s.db.WithContext(ctx).Table("delay_report_orders").
		Select("delay_report_orders.order_id, delay_report_orders.active, delay_reports.*").
		Joins("JOIN delay_reports ON delay_reports.shop_id = delay_report_orders.shop_id AND delay_reports.id = delay_report_orders.report_id").
		Where("delay_report_orders.shop_id IN ? AND delay_report_orders.order_id IN ?", shops, ids).
		Order("delay_report_orders.active, delay_reports.id"), &rows); err != nil {
		return nil, err
	}
	// Ordered so that the active report, then the latest, comes last.
	for _, r := range rows {
		out[Key{ShopID: r.ShopID, ID: r.OrderID}] = r.DelayReport
	}
	return out, nil
}

// Overdue tells whether a pending report has passed its review deadline.
func (s *Service) Overdue(r models.DelayReport) bool {
	return r.Status == models.ReportPending && s.clock.Now().After(r.DueAt)
}

// PublishAnnouncement publishes an assessment adjustment (§9).
//
// Errors: FORBIDDEN for anyone but the platform; INVALID_ARGUMENT for an
// empty title, no regions, or an empty time range; INVALID_REGION.
func (s *Service) PublishAnnouncement(ctx context.Context, a Actor, title string, codes []string, from, to time.Time) (models.Announcement, error) {
	var an models.Announcement
	e := &audit{op: OpPublishAnnouncement}
	title = strings.TrimSpace(title)
	var err error
	switch {
	case title == "" || utf8.RuneCountInString(title) > 200:
		err = models.FieldError(models.CodeInvalidArgument, []string{"title"}, "a title of 1 to 200 characters is needed")
	case len(codes) == 0:
		err = models.FieldError(models.CodeInvalidArgument, []string{"regionCodes"}, "name at least one region")
	case !to.After(from):
		err = models.FieldError(models.CodeInvalidArgument, []string{"endsAt"}, "the range must end after it starts")
	default:
		err = validRegions(codes, "regionCodes")
	}
	if err != nil {
		return an, s.refuse(ctx, a, e, err)
	}
	err = s.change(ctx, a, e, func(tx *gorm.DB) error {
		an = models.Announcement{Title: title, Regions: dedupe(codes), StartsAt: from.UTC().Truncate(time.Microsecond),
			EndsAt: to.UTC().Truncate(time.Microsecond), PublishedAt: s.clock.Now(), PublishedBy: a.Name}
		if err := tx.Create(&an).Error; err != nil {
			return err
		}
		e.object("Announcement", an.ID)
		return nil
	})
	return an, err
}

// Announcements lists the announcements, newest first.
func (s *Service) Announcements(ctx context.Context, a Actor) ([]models.Announcement, error) {
	if !a.Authenticated() {
		return nil, models.Errorf(models.CodeUnauthenticated, "please log in")
	}
	var anns []models.Announcement
	err := s.db.WithContext(ctx).Order("id DESC").Limit(500).Find(&anns).Error
	return anns, err
}
