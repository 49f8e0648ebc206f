// Package graph is Fahuo's GraphQL API: the schema under schema/, thin
// resolvers that decode input, call one fulfillment method and present its
// answer, the per-request dataloaders, and the server with its limits.
package graph

import (
	"github.com/fahuo/fahuo/fulfillment"
)

//go:generate go run ./internal/generate

// Resolver is the root of the resolvers; it holds only the domain service.
type Resolver struct {
	Service *fulfillment.Service
}
