package models

import (
	"errors"
	"fmt"
)

// ErrorCode names a broken rule. The codes are the contract with API clients:
// they reach GraphQL callers as `userErrors[].code` and web users as a message
// looked up by code, so a code is never renamed.
type ErrorCode string

// The codes of DOMAIN.md, plus the few the platform itself needs
// (credentials, access, internal failure).
const (
	CodeInvalidArgument    ErrorCode = "INVALID_ARGUMENT"
	CodeInvalidCredentials ErrorCode = "INVALID_CREDENTIALS"
	CodeUnauthenticated    ErrorCode = "UNAUTHENTICATED"
	CodeForbidden          ErrorCode = "FORBIDDEN"
	CodeNotFound           ErrorCode = "NOT_FOUND"
	CodeInternal           ErrorCode = "INTERNAL"

	CodeOrderClosed            ErrorCode = "ORDER_CLOSED"
	CodeOrderAlreadyShipped    ErrorCode = "ORDER_ALREADY_SHIPPED"
	CodeUnknownCarrier         ErrorCode = "UNKNOWN_CARRIER"
	CodeInvalidTrackingNumber  ErrorCode = "INVALID_TRACKING_NUMBER"
	CodeQuantityExceedsOrdered ErrorCode = "QUANTITY_EXCEEDS_ORDERED"
	CodeTrackingNumberInUse    ErrorCode = "TRACKING_NUMBER_IN_USE"
	CodeAfterSaleInProgress    ErrorCode = "AFTER_SALE_IN_PROGRESS"
	CodeBatchTooLarge          ErrorCode = "BATCH_TOO_LARGE"

	CodeOrderNotShipped        ErrorCode = "ORDER_NOT_SHIPPED"
	CodeOrderPartiallyShipped  ErrorCode = "ORDER_PARTIALLY_SHIPPED"
	CodeAppendWindowExpired    ErrorCode = "APPEND_WINDOW_EXPIRED"
	CodeAppendLimitReached     ErrorCode = "APPEND_LIMIT_REACHED"
	CodeInvalidRegion          ErrorCode = "INVALID_REGION"
	CodeRegionNotDeliverable   ErrorCode = "REGION_NOT_DELIVERABLE"
	CodeTemplateConflict       ErrorCode = "TEMPLATE_CONFLICT"
	CodeTemplateInUse          ErrorCode = "TEMPLATE_IN_USE"
	CodeTieredNotEligible      ErrorCode = "TIERED_NOT_ELIGIBLE"
	CodeOutOfStock             ErrorCode = "OUT_OF_STOCK"
	CodeInvalidFile            ErrorCode = "INVALID_FILE"
	CodeOrderNotReportable     ErrorCode = "ORDER_NOT_REPORTABLE"
	CodeOrderOutsideRegions    ErrorCode = "ORDER_OUTSIDE_REPORT_REGIONS"
	CodeEvidenceRequired       ErrorCode = "EVIDENCE_REQUIRED"
	CodeOrderCoveredByAnnounce ErrorCode = "ORDER_COVERED_BY_ANNOUNCEMENT"
	CodeDuplicateReport        ErrorCode = "DUPLICATE_REPORT"
	CodeInvalidState           ErrorCode = "INVALID_STATE"
	CodeQuotaExceeded          ErrorCode = "QUOTA_EXCEEDED"
)

// ErrorCodes lists every code, in the order the GraphQL enum declares them;
// a test keeps the two in step.
var ErrorCodes = []ErrorCode{
	CodeInvalidArgument, CodeInvalidCredentials, CodeUnauthenticated, CodeForbidden,
	CodeNotFound, CodeInternal,
	CodeOrderClosed, CodeOrderAlreadyShipped, CodeUnknownCarrier, CodeInvalidTrackingNumber,
	CodeQuantityExceedsOrdered, CodeTrackingNumberInUse, CodeAfterSaleInProgress, CodeBatchTooLarge,
	CodeOrderNotShipped, CodeOrderPartiallyShipped, CodeAppendWindowExpired, CodeAppendLimitReached,
	CodeInvalidRegion, CodeRegionNotDeliverable, CodeTemplateConflict, CodeTemplateInUse,
	CodeTieredNotEligible, CodeOutOfStock, CodeInvalidFile, CodeOrderNotReportable,
	CodeOrderOutsideRegions, CodeEvidenceRequired, CodeOrderCoveredByAnnounce, CodeDuplicateReport,
	CodeInvalidState, CodeQuotaExceeded,
}

// Error is a broken rule: a code for machines, a safe message for people, and
// the input field it concerns. It is the only error type that crosses from the
// domain to callers; anything else is reported as INTERNAL and logged.
type Error struct {
	Code    ErrorCode
	Message string
	Field   []string
}

func (e *Error) Error() string {
	if len(e.Field) > 0 {
		return fmt.Sprintf("%s: %s (%v)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError builds an *Error that points at one input field.
func FieldError(code ErrorCode, field []string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Field: field}
}

// ErrorCodeOf returns the code of err when it is (or wraps) an *Error, and
// INTERNAL otherwise.
func ErrorCodeOf(err error) ErrorCode {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError unwraps err to an *Error when it is one.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
