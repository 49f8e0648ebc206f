package fulfillment

import (
	"context"

	"github.com/fahuo/fahuo/models"
)

// ActorKind tells a person from a third-party tool.
type ActorKind string

// The kinds of actor.
const (
	ActorUser  ActorKind = "USER"
	ActorToken ActorKind = "API_TOKEN"
	// ActorLink is whoever holds an order's signed tracking link: it may
	// read that one order and do nothing else.
	ActorLink ActorKind = "TRACKING_LINK"
)

// Actor is who is asking: a logged-in user or an API token, with the role and
// shop that decide what they may see and do. The zero Actor is anonymous.
type Actor struct {
	Kind    ActorKind
	UserID  int64
	TokenID int64
	// SessionID is the login the request came with, so that logout ends
	// exactly that one.
	SessionID int64
	ShopID    int64
	Role      models.Role
	Name      string
	// Link is the order a tracking link opens, for ActorLink.
	Link Key
}

// Authenticated tells whether anyone is logged in.
func (a Actor) Authenticated() bool { return a.Kind != "" }

// IsShopActor tells whether the actor acts for one shop (staff or token).
func (a Actor) IsShopActor() bool { return a.ShopID != 0 && a.Role.IsShopRole() }

type actorCtxKey struct{}

// WithActor returns a context that carries the actor, set once per request by
// the authentication middleware.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorCtxKey{}, a)
}

// ActorFrom returns the request's actor; anonymous when none was set.
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorCtxKey{}).(Actor)
	return a
}
