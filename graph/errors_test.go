package graph

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// A request whose client went away is not an internal error: it is logged
// at debug level, not as an error, while a real failure still is.
func TestCanceledRequestsAreNotInternalErrors(t *testing.T) {
	var buf bytes.Buffer
	present := presentError(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})))

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	out := present(ctx, fmt.Errorf("order: %w", context.Canceled))
	if out.Extensions["code"] != "INTERNAL" || out.Message != "request canceled" || buf.Len() != 0 {
		t.Errorf("canceled: code %v, logged %q", out.Extensions["code"], buf.String())
	}

	// The same error while the request is still live is a failure of ours.
	out = present(t.Context(), fmt.Errorf("order: %w", context.Canceled))
	if out.Extensions["code"] != "INTERNAL" || !strings.Contains(buf.String(), "level=ERROR") {
		t.Errorf("live request: code %v, logged %q", out.Extensions["code"], buf.String())
	}
	buf.Reset()
	out = present(ctx, errors.New("disk on fire"))
	if out.Extensions["code"] != "INTERNAL" || out.Message != "internal error" || !strings.Contains(buf.String(), "disk on fire") {
		t.Errorf("failure: %+v, logged %q", out, buf.String())
	}
}
