package graph

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
	"github.com/graph-gophers/dataloader/v7"
)

// loaderWait is how long a loader collects keys before it queries. gqlgen
// resolves list elements concurrently, so the keys of one level arrive within
// microseconds; the library's 16 ms default would add that much to every
// level of every request.
const loaderWait = time.Millisecond

// Loaders batch the reads of one request: one statement per level of the
// answer, however many orders, lines and packages it holds. They are made per
// request, for the request's actor, and only read; mutations read fresh rows
// under lock in the domain layer. The loaders live inside the one Loaders
// value, each made on its first use, so that a request that uses two of
// them allocates little for the other twelve.
type Loaders struct {
	svc   *fulfillment.Service
	actor fulfillment.Actor

	Lines        loader[fulfillment.Key, []models.OrderLine]
	Packages     loader[fulfillment.Key, []models.Package]
	PackageLines loader[fulfillment.Key, []models.PackageLine]
	LinesByID    loader[fulfillment.Key, models.OrderLine]
	Scans        loader[fulfillment.TrackingKey, []models.TrackingEvent]
	History      loader[fulfillment.Key, []models.OrderEvent]
	Reports      loader[fulfillment.Key, models.DelayReport]
	ReportSizes  loader[fulfillment.Key, int64]
	ReportOrders loader[fulfillment.Key, []models.Order]
	Evidence     loader[fulfillment.Key, []models.Evidence]
	Templates    loader[int64, models.ShippingTemplate]
	Usage        loader[int64, int64]
	Shops        loader[int64, models.Shop]
	Buyers       loader[int64, models.User]

	mu sync.Mutex
	// loaded holds the objects a resolver read everything below in
	// advance, for the fields the query asks of them (see resolveNow).
	loaded map[any]struct{}
}

// markLoaded records that everything the query asks below each object is
// in the loaders already. Each must be a pointer that the resolver returns.
func (l *Loaders) markLoaded(objs ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.loaded == nil {
		l.loaded = make(map[any]struct{}, len(objs))
	}
	for _, o := range objs {
		l.loaded[o] = struct{}{}
	}
}

func (l *Loaders) isLoaded(obj any) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.loaded[obj]
	return ok
}

// allLoaded tells whether every element of v was marked loaded.
func allLoaded[E any](l *Loaders, v []*E) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range v {
		if _, ok := l.loaded[any(e)]; !ok {
			return false
		}
	}
	return true
}

type loadersKey struct{}

// newLoaders makes the loaders of one request; maxBatch is
// Limits.LoaderBatch. Each reads through a method of the service, given the
// request's actor.
func newLoaders(svc *fulfillment.Service, a fulfillment.Actor, maxBatch int) *Loaders {
	l := &Loaders{svc: svc, actor: a}
	l.Lines.init(l, maxBatch, (*fulfillment.Service).OrderLines)
	l.Packages.init(l, maxBatch, (*fulfillment.Service).Packages)
	l.PackageLines.init(l, maxBatch, (*fulfillment.Service).PackageLines)
	l.LinesByID.init(l, maxBatch, (*fulfillment.Service).OrderLinesByID)
	l.Scans.init(l, maxBatch, (*fulfillment.Service).TrackingEvents)
	l.History.init(l, maxBatch, (*fulfillment.Service).OrderHistory)
	l.Reports.init(l, maxBatch, (*fulfillment.Service).ReportsOfOrders)
	l.ReportSizes.init(l, maxBatch, (*fulfillment.Service).ReportOrderCounts)
	l.ReportOrders.init(l, maxBatch, (*fulfillment.Service).ReportOrdersOf)
	l.Evidence.init(l, maxBatch, (*fulfillment.Service).EvidenceOfReports)
	l.Templates.init(l, maxBatch, (*fulfillment.Service).ShippingTemplatesByID)
	l.Usage.init(l, maxBatch, (*fulfillment.Service).TemplateUsage)
	l.Shops.init(l, maxBatch, (*fulfillment.Service).ShopsByID)
	l.Buyers.init(l, maxBatch, (*fulfillment.Service).BuyersByID)
	return l
}

// fetcher reads the values of keys for an actor, a key with nothing left
// out of the map.
type fetcher[K comparable, V any] func(*fulfillment.Service, context.Context, fulfillment.Actor, []K) (map[K]V, error)

// loader answers a key from the values primed into it, and otherwise
// through a dataloader made on its first use. Most reads are primed by the
// resolver above them (prime.go), and a dataloader's Load allocates its
// request, channel and thunk before it looks into its cache.
type loader[K comparable, V any] struct {
	owner    *Loaders
	maxBatch int
	fetch    fetcher[K, V]

	once sync.Once
	l    *dataloader.Loader[K, V]

	mu     sync.Mutex
	primed map[K]V
}

func (l *loader[K, V]) init(owner *Loaders, maxBatch int, fetch fetcher[K, V]) {
	l.owner, l.maxBatch, l.fetch = owner, maxBatch, fetch
}

// read calls the loader's fetch for the request's actor.
func (l *loader[K, V]) read(ctx context.Context, keys []K) (map[K]V, error) {
	return l.fetch(l.owner.svc, ctx, l.owner.actor, keys)
}

// Get returns the value of k: the primed one, or the dataloader's, which
// batches the keys asked for within loaderWait into one read.
func (l *loader[K, V]) Get(ctx context.Context, k K) (V, error) {
	l.mu.Lock()
	v, ok := l.primed[k]
	l.mu.Unlock()
	if ok {
		return v, nil
	}
	l.once.Do(func() { l.l = newLoader(l.maxBatch, l.read) })
	return l.l.Load(ctx, k)()
}

// primeAll reads keys through the loader's own fetch, in one call, and
// primes the loader with what it found (the zero value for a key with
// nothing), as one batch of Loads of them all would.
func (l *loader[K, V]) primeAll(ctx context.Context, keys []K) error {
	found, err := l.read(ctx, keys)
	if err != nil {
		return err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range keys {
		l.primeLocked(k, found[k])
	}
	return nil
}

// Prime gives k its value unless it was primed already: as with
// dataloader.Loader.Prime, the first value primed is the one the request
// answers with.
func (l *loader[K, V]) Prime(_ context.Context, k K, v V) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.primeLocked(k, v)
}

func (l *loader[K, V]) primeLocked(k K, v V) {
	if l.primed == nil {
		l.primed = make(map[K]V)
	}
	if _, ok := l.primed[k]; !ok {
		l.primed[k] = v
	}
}

// newLoader adapts a fetch that returns a map into a dataloader batch
// function: results are matched to keys by key, never by position, and a
// key with no rows gets the zero value (an empty list).
func newLoader[K comparable, V any](maxBatch int, fetch func(context.Context, []K) (map[K]V, error)) *dataloader.Loader[K, V] {
	batch := func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		found, err := fetch(ctx, keys)
		out := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			if err != nil {
				out[i] = &dataloader.Result[V]{Error: err}
				continue
			}
			out[i] = &dataloader.Result[V]{Data: found[k]}
		}
		return out
	}
	opts := []dataloader.Option[K, V]{dataloader.WithWait[K, V](loaderWait)}
	if maxBatch > 0 {
		opts = append(opts, dataloader.WithBatchCapacity[K, V](maxBatch))
	}
	return dataloader.NewBatchedLoader(batch, opts...)
}

// LoadersMiddleware puts fresh loaders for the request's actor into the
// context of every GraphQL request. It must run after authentication.
func LoadersMiddleware(svc *fulfillment.Service, lim Limits, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		l := newLoaders(svc, fulfillment.ActorFrom(r.Context()), lim.LoaderBatch)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), loadersKey{}, l)))
	})
}

func loadersFrom(ctx context.Context) *Loaders {
	return ctx.Value(loadersKey{}).(*Loaders)
}
