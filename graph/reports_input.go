package graph

import (
	"fmt"
	"io"

	"github.com/99designs/gqlgen/graphql"
	"github.com/fahuo/fahuo/batchfile"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/graph/model"
	"github.com/fahuo/fahuo/models"
)

// delayReportInput decodes a report: the typed and uploaded order numbers,
// and the evidence files (read up to just past the 5 MB cap, so that an
// oversized file is told apart without reading it whole). File rows that
// cannot be used go to the domain as FileErrors, which refuses the report
// (D1).
func delayReportInput(in model.CreateDelayReportInput) (fulfillment.DelayReportInput, error) {
	out := fulfillment.DelayReportInput{Type: in.Type, Reason: in.Reason, Remark: deref(in.Remark), NewShipBy: in.NewShipBy,
		Regions: in.RegionCodes, PromisedFrom: in.PromisedFrom, PromisedTo: in.PromisedTo, OrderNumbers: in.OrderNumbers}
	for i, p := range in.ProductIds {
		id, err := parseID("Product", p, "productIds", fmt.Sprint(i))
		if err != nil {
			return out, err
		}
		out.ProductIDs = append(out.ProductIDs, id)
	}
	if in.OrderFile != nil {
		f, err := batchfile.ReadFrom(in.OrderFile.Filename, in.OrderFile.File, batchfile.DelayReportSpec())
		if err != nil {
			if e, ok := models.AsError(err); ok {
				return out, &models.Error{Code: e.Code, Message: e.Message, Field: []string{"orderFile"}}
			}
			return out, err
		}
		out.AddOrderFile(f)
	}
	for i, up := range in.Evidence {
		data, err := readUpload(*up, models.MaxEvidenceBytes+1)
		if err != nil {
			return out, models.FieldError(models.CodeInvalidArgument, []string{"evidence", fmt.Sprint(i)}, "the file could not be read")
		}
		out.Evidence = append(out.Evidence, fulfillment.EvidenceFile{Filename: up.Filename, Data: data})
	}
	return out, nil
}

// readUpload reads at most limit bytes of an upload; a larger file reads as
// limit bytes, which callers refuse as too large.
func readUpload(up graphql.Upload, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(up.File, limit))
	if err != nil {
		return nil, models.FieldError(models.CodeInvalidFile, []string{"file"}, "the file could not be read")
	}
	return data, nil
}

func optionalShopID(id *string) (int64, error) {
	if id == nil {
		return 0, nil
	}
	return parseID("Shop", *id, "shopId")
}
