package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// fakeExecutor answers each query with a canned response, or refuses it.
type fakeExecutor struct {
	answers map[string]*graphql.Response
}

func (f fakeExecutor) CreateOperationContext(_ context.Context, p *graphql.RawParams) (*graphql.OperationContext, gqlerror.List) {
	if _, ok := f.answers[p.Query]; !ok {
		err := gqlerror.Errorf("Cannot query field %q", p.Query)
		errcode.Set(err, errcode.ValidationFailed)
		return &graphql.OperationContext{RawQuery: p.Query}, gqlerror.List{err}
	}
	return &graphql.OperationContext{RawQuery: p.Query, Variables: p.Variables}, nil
}

func (f fakeExecutor) DispatchOperation(ctx context.Context, oc *graphql.OperationContext) (graphql.ResponseHandler, context.Context) {
	return func(context.Context) *graphql.Response { return f.answers[oc.RawQuery] }, ctx
}

func (f fakeExecutor) DispatchError(_ context.Context, list gqlerror.List) *graphql.Response {
	return &graphql.Response{Errors: list}
}

// postJSON answers every request byte for byte as gqlgen's POST transport
// does: data with errors and extensions, no data, incremental fields,
// refused and unreadable requests, and each kind of Accept header.
func TestPostJSONAnswersAsGqlgenPOST(t *testing.T) {
	yes := true
	exec := fakeExecutor{answers: map[string]*graphql.Response{
		"ok":   {Data: json.RawMessage(`{"order":{"number":"1","lines":[{"id":"a <b> & \u2028"}]}}`)},
		"null": {},
		"partial": {Data: json.RawMessage(`{"order":null}`), Errors: gqlerror.List{{Message: "no \"such\" order",
			Path: ast.Path{ast.PathName("order")}, Extensions: map[string]any{"code": "NOT_FOUND"}}},
			Extensions: map[string]any{"cost": 12}},
		"inc":   {Data: json.RawMessage(`{"a":1}`), Label: "l", Path: ast.Path{ast.PathName("x"), ast.PathIndex(2)}, HasNext: &yes},
		"empty": {Data: json.RawMessage(`[]`), Path: ast.Path{}},
	}}
	bodies := []string{`{"query":"ok","variables":{"n":1.5}}`, `{"query":"null"}`, `{"query":"partial"}`, `{"query":"inc"}`,
		`{"query":"empty"}`, `{"query":"nope"}`, `{"query":`, `not json`, ``}
	accepts := []string{"", "application/json", "application/graphql-response+json", "*/*", "text/html, application/*;q=0.9",
		"text/html", "bogus;;", "application/graphql-response+json, application/json"}
	for _, body := range bodies {
		for _, accept := range accepts {
			serve := func(tr graphql.Transport) *httptest.ResponseRecorder {
				r := httptest.NewRequest(http.MethodPost, "/graphql", strings.NewReader(body))
				r.Header.Set("Content-Type", "application/json")
				if accept != "" {
					r.Header.Set("Accept", accept)
				}
				w := httptest.NewRecorder()
				tr.Do(w, r, exec)
				return w
			}
			got, want := serve(postJSON{}), serve(transport.POST{})
			if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") ||
				got.Body.String() != want.Body.String() {
				t.Errorf("%s, Accept %q:\npostJSON %d %s %s\nPOST     %d %s %s", body, accept,
					got.Code, got.Header().Get("Content-Type"), got.Body, want.Code, want.Header().Get("Content-Type"), want.Body)
			}
		}
	}
}
