package graph

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/graph/model"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Limits bound what one request may cost. The zero value takes defaults.
type Limits struct {
	// Complexity is the most an operation may cost, where a field costs 1
	// plus its children, and a list costs its page size (or an estimate)
	// times its children.
	Complexity int
	// Depth is the deepest nesting of fields an operation may have.
	Depth int
	// Tokens is the most lexer tokens a query may have, so that a huge
	// query is refused before it is parsed into memory.
	Tokens int
	// UploadBytes caps one multipart request (files included).
	UploadBytes int64
	// LoaderBatch caps the keys a dataloader reads in one statement; zero
	// leaves it uncapped. The tests set 1, so that a read that batches only
	// because its keys happened to arrive within the loader's wait costs a
	// statement per key there, and the statement-count tests see it.
	LoaderBatch int
}

// DefaultLimits fit the heaviest standard workload (50 orders with their
// lines and packages) with room to spare, and refuse what is far beyond it.
func DefaultLimits() Limits {
	return Limits{Complexity: 25_000, Depth: 12, Tokens: 15_000, UploadBytes: 32 << 20}
}

// Estimated list lengths for lists that take no page size.
const (
	linesPerOrder     = 5
	ordersPerReport   = 200
	packagesPerOrder  = 5
	regionsPerParent  = 40
	defaultOrdersPage = 20
)

// NewServer builds the GraphQL handler with explicit transports and limits.
// Requests must pass through LoadersMiddleware (and authentication) first.
// JSON requests are executed behind gate (nil for none).
// It registers no field middleware (graphql.FieldInterceptor): the
// generated code marshals plain scalar fields without it
// (internal/generate).
func NewServer(svc *fulfillment.Service, log *slog.Logger, lim Limits, gate *Gate) *handler.Server {
	def := DefaultLimits()
	if lim.Complexity == 0 {
		lim.Complexity = def.Complexity
	}
	if lim.Depth == 0 {
		lim.Depth = def.Depth
	}
	if lim.Tokens == 0 {
		lim.Tokens = def.Tokens
	}
	if lim.UploadBytes == 0 {
		lim.UploadBytes = def.UploadBytes
	}
	cfg := Config{Resolvers: &Resolver{Service: svc}}
	cfg.Complexity.Query.Orders = func(child int, first *int64, _ *string, _ *model.OrderFilter) int {
		return page(first) * child
	}
	cfg.Complexity.Query.AuditLog = func(child int, _ *model.AuditLogFilter, first *int64, _ *string) int {
		return page(first) * child
	}
	cfg.Complexity.Query.DelayReports = func(child int, _ *model.DelayReportFilter, first *int64, _ *string) int {
		return page(first) * child
	}
	// A report covers up to 5,000 orders (D1) and lists them all; the cost
	// counts a typical report's 200, so that a page of reports with their
	// orders stays under the limit, and the domain's 5,000 bounds the rest.
	cfg.Complexity.DelayReport.Orders = func(child int) int { return ordersPerReport * child }
	cfg.Complexity.Order.Lines = func(child int) int { return linesPerOrder * child }
	cfg.Complexity.Order.Packages = func(child int) int { return packagesPerOrder * child }
	cfg.Complexity.Package.Lines = func(child int) int { return linesPerOrder * child }
	cfg.Complexity.Query.Regions = func(child int, _ *string) int { return regionsPerParent * child }
	cfg.Complexity.Region.Children = func(child int) int { return regionsPerParent * child }

	srv := handler.New(NewExecutableSchema(cfg))
	srv.AddTransport(transport.Options{})
	srv.AddTransport(postJSON{gate: gate})
	srv.AddTransport(transport.MultipartForm{MaxUploadSize: lim.UploadBytes, MaxMemory: 8 << 20})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetParserTokenLimit(lim.Tokens)
	srv.SetDisableSuggestion(true)
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverPanic(log))
	srv.Use(&limitsExtension{depth: lim.Depth, complexity: lim.Complexity, costs: lru.New[operationCost](1000)})
	return srv
}

// page is the size of a page a list is asked for: first, or the default.
func page(first *int64) int {
	if first != nil && *first > 0 {
		return int(*first)
	}
	return defaultOrdersPage
}

// CodeTooComplex is the top-level error code of an operation over a limit.
const CodeTooComplex = "QUERY_TOO_COMPLEX"

// limitsExtension refuses operations nested deeper or costing more than the
// limits before any resolver runs, and lets only logged-in callers
// introspect the schema.
type limitsExtension struct {
	depth, complexity int
	es                graphql.ExecutableSchema
	// costs remembers each operation's depth and cost (costKey): working
	// out the cost walks every field of the operation with its arguments,
	// some seventy allocations for a buyer's order.
	costs graphql.Cache[operationCost]
}

// maxRememberedQuery is the longest query text whose cost is remembered.
const maxRememberedQuery = 16 << 10

// operationCost is what the limits measure of an operation.
type operationCost struct{ depth, complexity int }

func (*limitsExtension) ExtensionName() string { return "FahuoLimits" }

func (l *limitsExtension) Validate(es graphql.ExecutableSchema) error {
	l.es = es
	return nil
}

func (l *limitsExtension) MutateOperationContext(ctx context.Context, op *graphql.OperationContext) *gqlerror.Error {
	op.DisableIntrospection = !fulfillment.ActorFrom(ctx).Authenticated()
	if op.Operation == nil {
		return nil
	}
	// Long queries are measured every time, so that the remembered keys
	// stay small.
	remember := len(op.RawQuery) <= maxRememberedQuery
	var key string
	var c operationCost
	ok := false
	if remember {
		key = costKey(op)
		c, ok = l.costs.Get(ctx, key)
	}
	if !ok {
		c = operationCost{
			depth:      selectionDepth(op.Operation.SelectionSet, 0),
			complexity: complexity.Calculate(ctx, l.es, op.Operation, op.Variables),
		}
		if remember {
			l.costs.Add(ctx, key, c)
		}
	}
	if c.depth > l.depth {
		return tooComplex("the query is nested %d deep; the limit is %d", c.depth, l.depth)
	}
	if c.complexity > l.complexity {
		return tooComplex("the query costs %d; the limit is %d (ask for fewer items per page or fewer nested lists)", c.complexity, l.complexity)
	}
	return nil
}

// costKey names what an operation's cost depends on: the query's text, the
// operation chosen from it, and the values of its Int variables. The cost
// functions (NewServer) read only page sizes, which are Int arguments, so
// two requests that differ only in other variables (an order number, a
// cursor, a filter) cost the same.
func costKey(op *graphql.OperationContext) string {
	key := make([]byte, 0, len(op.RawQuery)+len(op.OperationName)+16)
	key = append(append(append(key, op.OperationName...), 0), op.RawQuery...)
	for _, v := range op.Operation.VariableDefinitions {
		if v.Type.NamedType == "Int" {
			key = fmt.Appendf(append(key, 0), "%v", op.Variables[v.Variable])
		}
	}
	return string(key)
}

func tooComplex(format string, args ...any) *gqlerror.Error {
	err := gqlerror.Errorf(format, args...)
	err.Extensions = map[string]any{"code": CodeTooComplex}
	return err
}

// selectionDepth is the deepest field nesting under set; fragments add no
// level of their own. Validation has already refused fragment cycles.
func selectionDepth(set ast.SelectionSet, depth int) int {
	deepest := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			d = selectionDepth(s.SelectionSet, depth+1)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, depth)
		case *ast.FragmentSpread:
			if s.Definition != nil {
				d = selectionDepth(s.Definition.SelectionSet, depth)
			}
		}
		if d > deepest {
			deepest = d
		}
	}
	return deepest
}
