package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
)

// postJSON is gqlgen's POST transport with a cheaper answer. gqlgen writes
// the answer with encoding/json, which validates and compacts the data
// again, byte by byte, after the executor has written it: a fourteenth of
// the CPU of a page of 50 orders. postJSON writes the executor's data as it
// is. Requests it cannot start — an unreadable body, a query that does not
// parse or validate, a refused operation — it hands back to transport.POST
// with the body rewound, so that every error answer is gqlgen's own.
//
// The request is executed behind the gate, after its body is read and
// until its answer is written out in memory: a client that sends or reads
// slowly holds no slot.
type postJSON struct {
	transport.POST
	gate *Gate
}

func (t postJSON) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	start := graphql.Now()
	body, err := io.ReadAll(r.Body) // bounded by the app's limitBody
	if err != nil {
		t.fallBack(w, r, exec, body)
		return
	}
	params := &graphql.RawParams{}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(params); err != nil {
		t.fallBack(w, r, exec, body)
		return
	}
	params.Headers = r.Header
	params.ReadTime = graphql.TraceTiming{Start: start, End: graphql.Now()}
	out, started, err := t.execute(r.Context(), exec, params)
	if err != nil {
		// The client went away while waiting its turn.
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	if !started {
		t.fallBack(w, r, exec, body)
		return
	}
	w.Header().Set("Content-Type", responseType(r))
	w.Write(out.Bytes())
}

// execute runs an operation behind the gate and writes its answer to a
// buffer; started is false when the operation could not start, and err
// is ctx's error when the request ended while waiting for the gate.
func (t postJSON) execute(ctx context.Context, exec graphql.GraphExecutor, params *graphql.RawParams) (out bytes.Buffer, started bool, err error) {
	if err := t.gate.Enter(ctx); err != nil {
		return out, false, err
	}
	defer t.gate.Leave()
	rc, opErr := exec.CreateOperationContext(ctx, params)
	if opErr != nil {
		return out, false, nil
	}
	responses, ctx := exec.DispatchOperation(ctx, rc)
	if err := writeResponse(&out, responses(ctx)); err != nil {
		// Not expected: the errors and extensions are plain values.
		panic(err)
	}
	return out, true, nil
}

// fallBack lets transport.POST answer a request postJSON did not start.
func (t postJSON) fallBack(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, body []byte) {
	r.Body = io.NopCloser(bytes.NewReader(body))
	t.POST.Do(w, r, exec)
}

// writeResponse writes resp as encoding/json writes a graphql.Response
// (fields in its order, empty ones left out), with the data as they are.
func writeResponse(w *bytes.Buffer, resp *graphql.Response) error {
	w.WriteByte('{')
	if len(resp.Errors) > 0 {
		if err := writeMember(w, `"errors":`, resp.Errors); err != nil {
			return err
		}
		w.WriteByte(',')
	}
	w.WriteString(`"data":`)
	if len(resp.Data) == 0 {
		w.WriteString("null")
	} else {
		// As encoding/json writes it: <, >, & and the line and paragraph
		// separators escaped, so that the answer stays safe in a page.
		json.HTMLEscape(w, resp.Data)
	}
	for _, m := range []struct {
		name  string
		value any
		set   bool
	}{
		{`,"label":`, resp.Label, resp.Label != ""},
		{`,"path":`, resp.Path, len(resp.Path) > 0},
		{`,"hasNext":`, resp.HasNext, resp.HasNext != nil},
		{`,"extensions":`, resp.Extensions, len(resp.Extensions) > 0},
	} {
		if !m.set {
			continue
		}
		if err := writeMember(w, m.name, m.value); err != nil {
			return err
		}
	}
	w.WriteByte('}')
	return nil
}

// writeMember writes a member's name and its value as encoding/json does.
func writeMember(w *bytes.Buffer, name string, v any) error {
	b, err := json.Marshal(v)
	w.WriteString(name)
	w.Write(b)
	return err
}

// responseType is the answer's media type, chosen from the request's
// Accept header as transport.POST chooses it: the GraphQL media type when
// asked for it or when nothing known is asked for, plain JSON when asked
// for JSON or for anything, or when nothing is asked for.
func responseType(r *http.Request) string {
	const (
		plain   = "application/json"
		graphQL = "application/graphql-response+json"
	)
	accept := r.Header.Get("Accept")
	if accept == "" {
		return plain
	}
	for part := range strings.SplitSeq(accept, ",") {
		mediaType, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mediaType {
		case "*/*", "application/*", plain:
			return plain
		case graphQL:
			return graphQL
		}
	}
	return graphQL
}
