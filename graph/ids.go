package graph

import (
	"math"
	"strconv"
	"strings"

	"github.com/fahuo/fahuo/models"
)

// Object IDs are opaque strings in the form third-party tools know from
// Shopify, gid://fahuo/Order/123, so that an id names its type and an id of
// one type is never taken for another's.
const gidPrefix = "gid://fahuo/"

func globalID(kind string, id int64) string { return models.GlobalID(kind, id) }

// parseID reads a global id of the given type; field names the argument for
// the error.
func parseID(kind, gid string, field ...string) (int64, error) {
	rest, ok := strings.CutPrefix(gid, gidPrefix+kind+"/")
	if ok {
		if n, err := strconv.ParseInt(rest, 10, 64); err == nil && n > 0 {
			return n, nil
		}
	}
	return 0, models.FieldError(models.CodeInvalidArgument, field, "%q is not an id of a %s", gid, kind)
}

// hundredths turns a score such as 4.5 into 450. Values that are not
// numbers become -1, which the domain refuses as out of range.
func hundredths(f float64) int {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e6 {
		return -1
	}
	return int(math.Round(f * 100))
}

// basisPoints turns a share such as 0.8 into 8000.
func basisPoints(f float64) int {
	if math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e6 {
		return -1
	}
	return int(math.Round(f * 10000))
}
