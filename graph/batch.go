package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/fahuo/fahuo/batchfile"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/graph/model"
	"github.com/fahuo/fahuo/models"
)

type batchRunner func(ctx context.Context, a fulfillment.Actor, rows []fulfillment.BatchRow, key string) (fulfillment.BatchResult, error)

// runBatch decodes a batch (a list or a file) and presents the domain's
// row-by-row answer.
func (r *mutationResolver) runBatch(ctx context.Context, input model.BatchInput, run batchRunner) (*model.BatchPayload, error) {
	a := fulfillment.ActorFrom(ctx)
	rows, err := batchRows(input)
	var res fulfillment.BatchResult
	if err == nil {
		res, err = run(ctx, a, rows, deref(input.IdempotencyKey))
	}
	ue, err := userErrors(err)
	if err != nil || len(ue) > 0 {
		return &model.BatchPayload{Rows: []*model.BatchRowResult{}, UserErrors: withPrefix(ue, "input")}, err
	}
	out := &model.BatchPayload{Total: int64(len(res.Rows)), Succeeded: int64(res.Succeeded), Failed: int64(res.Failed), UserErrors: ue}
	for _, row := range res.Rows {
		rr := &model.BatchRowResult{Index: int64(row.Index), OrderNumber: row.OrderNumber, Ok: row.OK(), Package: row.Package,
			UserErrors: []*models.Error{}}
		if row.Line > 0 {
			line := int64(row.Line)
			rr.Line = &line
		}
		if row.Err != nil {
			rr.UserErrors = []*models.Error{row.Err}
		}
		out.Rows = append(out.Rows, rr)
	}
	return out, nil
}

// batchRows takes the rows from the list or the file, exactly one of them.
func batchRows(input model.BatchInput) ([]fulfillment.BatchRow, error) {
	switch {
	case input.File != nil && input.Rows != nil:
		return nil, models.FieldError(models.CodeInvalidArgument, []string{"file"}, "send rows or a file, not both")
	case input.File != nil:
		return readBatchFile(*input.File)
	case input.Rows != nil:
		rows := make([]fulfillment.BatchRow, len(input.Rows))
		for i, r := range input.Rows {
			rows[i] = fulfillment.BatchRow{OrderNumber: r.OrderNumber, Carrier: r.Carrier, TrackingNumber: r.TrackingNumber}
		}
		return rows, nil
	}
	return nil, models.FieldError(models.CodeInvalidArgument, []string{"rows"}, "send rows or a file")
}

// readBatchFile reads an uploaded CSV or XLSX into rows. A file that cannot
// be read is INVALID_FILE (or BATCH_TOO_LARGE) as a whole; a cell that
// cannot be read refuses its row only.
func readBatchFile(up graphql.Upload) ([]fulfillment.BatchRow, error) {
	f, err := batchfile.ReadFrom(up.Filename, up.File, batchfile.ShipmentSpec())
	if err != nil {
		if e, ok := models.AsError(err); ok {
			return nil, &models.Error{Code: e.Code, Message: e.Message, Field: []string{"file"}}
		}
		return nil, fmt.Errorf("read batch file: %w", err)
	}
	return fulfillment.BatchRowsOf(f), nil
}
