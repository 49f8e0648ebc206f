package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/99designs/gqlgen/graphql"
	"github.com/fahuo/fahuo/models"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// userErrors splits a service error into the payload's userErrors, for
// broken rules, and a top-level error, for what API.md keeps at the top: not
// logged in, not allowed, and internal failures.
func userErrors(err error) ([]*models.Error, error) {
	if err == nil {
		return []*models.Error{}, nil
	}
	e, ok := models.AsError(err)
	if !ok || e.Code == models.CodeUnauthenticated || e.Code == models.CodeForbidden || e.Code == models.CodeInternal {
		return nil, err
	}
	return []*models.Error{e}, nil
}

// presentError gives every top-level error a code in extensions.code and a
// message safe to show: a rule's message, the parser's and validator's own
// messages, and for anything else "internal error", with the cause logged
// under the request id and never sent. A request its client canceled (the
// answer will not be read) keeps the INTERNAL code of the API's set but is
// logged at debug level only: nothing failed on our side.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			// Parse and validation errors carry their own code already.
			if gqlErr.Extensions == nil || gqlErr.Extensions["code"] == nil {
				gqlErr.Extensions = map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}
			}
			return gqlErr
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		if e, ok := models.AsError(err); ok && e.Code != models.CodeInternal {
			out.Message = e.Message
			out.Extensions = map[string]any{"code": string(e.Code)}
			return out
		}
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			// The client went away (closed the connection or gave up);
			// nothing failed on our side.
			log.DebugContext(ctx, "request canceled by the client", "path", out.Path.String())
			out.Message = "request canceled"
			out.Extensions = map[string]any{"code": string(models.CodeInternal)}
			return out
		}
		log.ErrorContext(ctx, "internal error", "err", err, "path", out.Path.String())
		out.Message = "internal error"
		out.Extensions = map[string]any{"code": string(models.CodeInternal)}
		return out
	}
}

// recoverPanic turns a panic in a resolver into an INTERNAL error; the stack
// goes to the log only.
func recoverPanic(log *slog.Logger) graphql.RecoverFunc {
	return func(ctx context.Context, p any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		return models.Errorf(models.CodeInternal, "internal error")
	}
}

// withPrefix puts the argument's name in front of each error's field path,
// so that a field of an input object reads ["input", "name"].
func withPrefix(ue []*models.Error, prefix string) []*models.Error {
	for _, e := range ue {
		if len(e.Field) > 0 {
			e.Field = append([]string{prefix}, e.Field...)
		}
	}
	return ue
}

// pointers turns a slice of values into the slice of pointers gqlgen wants.
func pointers[T any](in []T) []*T {
	out := make([]*T, len(in))
	for i := range in {
		out[i] = &in[i]
	}
	return out
}

// graphqlFieldRequested tells whether the query asks for the named field of
// the object the current resolver returns, so that costly fields such as a
// total count are computed only when wanted.
func graphqlFieldRequested(ctx context.Context, name string) bool {
	for _, f := range graphql.CollectFieldsCtx(ctx, nil) {
		if f.Name == name {
			return true
		}
	}
	return false
}
