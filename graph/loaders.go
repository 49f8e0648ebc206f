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
// under lock in the domain layer.
type Loaders struct {
	Lines        *loader[fulfillment.Key, []models.OrderLine]
	Packages     *loader[fulfillment.Key, []models.Package]
	PackageLines *loader[fulfillment.Key, []models.PackageLine]
	LinesByID    *loader[fulfillment.Key, models.OrderLine]
	Scans        *loader[fulfillment.TrackingKey, []models.TrackingEvent]
	History      *loader[fulfillment.Key, []models.OrderEvent]
	Reports      *loader[fulfillment.Key, models.DelayReport]
	ReportSizes  *loader[fulfillment.Key, int64]
	ReportOrders *loader[fulfillment.Key, []models.Order]
	Evidence     *loader[fulfillment.Key, []models.Evidence]
	Templates    *loader[int64, models.ShippingTemplate]
	Usage        *loader[int64, int64]
	Shops        *loader[int64, models.Shop]
	Buyers       *loader[int64, models.User]

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
// Limits.LoaderBatch.
func newLoaders(svc *fulfillment.Service, a fulfillment.Actor, maxBatch int) *Loaders {
	return &Loaders{
		Lines: lazy(maxBatch, func(ctx context.Context, k []fulfillment.Key) (map[fulfillment.Key][]models.OrderLine, error) {
			return svc.OrderLines(ctx, a, k)
		}),
		Packages: lazy(maxBatch, func(ctx context.Context, k []fulfillment.Key) (map[fulfillment.Key][]models.Package, error) {
			return svc.Packages(ctx, a, k)
		}),
		PackageLines: lazy(maxBatch, func(ctx context.Context, k []fulfillment.Key) (map[fulfillment.Key][]models.PackageLine, error) {
			return svc.PackageLines(ctx, a, k)
		}),
		LinesByID: lazy(maxBatch, func(ctx context.Context, k []fulfillment.Key) (map[fulfillment.Key]models.OrderLine, error) {
			return svc.OrderLinesByID(ctx, a, k)
		}),
		Scans: lazy(maxBatch, func(ctx context.Context, k []fulfillment.TrackingKey) (map[fulfillment.TrackingKey][]models.TrackingEvent, error) {
			return svc.TrackingEvents(ctx, a, k)
		}),
		History: lazy(maxBatch, func(ctx context.Context, k []fulfillment.Key) (map[fulfillment.Key][]models.OrderEvent, error) {
			return svc.OrderHistory(ctx, a, k)
		}),
		Reports: lazy(maxBatch, func(ctx context.Context, k []fulfillment.Key) (map[fulfillment.Key]models.DelayReport, error) {
			return svc.ReportsOfOrders(ctx, a, k)
		}),
		ReportSizes: lazy(maxBatch, func(ctx context.Context, k []fulfillment.Key) (map[fulfillment.Key]int64, error) {
			return svc.ReportOrderCounts(ctx, a, k)
		}),
		ReportOrders: lazy(maxBatch, func(ctx context.Context, k []fulfillment.Key) (map[fulfillment.Key][]models.Order, error) {
			return svc.ReportOrdersOf(ctx, a, k)
		}),
		Evidence: lazy(maxBatch, func(ctx context.Context, k []fulfillment.Key) (map[fulfillment.Key][]models.Evidence, error) {
			return svc.EvidenceOfReports(ctx, a, k)
		}),
		Templates: lazy(maxBatch, func(ctx context.Context, ids []int64) (map[int64]models.ShippingTemplate, error) {
			return svc.ShippingTemplatesByID(ctx, a, ids)
		}),
		Usage: lazy(maxBatch, func(ctx context.Context, ids []int64) (map[int64]int64, error) {
			return svc.TemplateUsage(ctx, a, ids)
		}),
		Shops: lazy(maxBatch, func(ctx context.Context, ids []int64) (map[int64]models.Shop, error) {
			return svc.ShopsByID(ctx, a, ids)
		}),
		Buyers: lazy(maxBatch, func(ctx context.Context, ids []int64) (map[int64]models.User, error) {
			return svc.BuyersByID(ctx, a, ids)
		}),
	}
}

// loader is a dataloader made on its first use: a request uses two or
// three of the fourteen, and making them all took a fiftieth of the buyer's
// order read.
type loader[K comparable, V any] struct {
	once     sync.Once
	maxBatch int
	fetch    func(context.Context, []K) (map[K]V, error)
	l        *dataloader.Loader[K, V]
}

func lazy[K comparable, V any](maxBatch int, fetch func(context.Context, []K) (map[K]V, error)) *loader[K, V] {
	return &loader[K, V]{maxBatch: maxBatch, fetch: fetch}
}

func (l *loader[K, V]) get() *dataloader.Loader[K, V] {
	l.once.Do(func() { l.l = newLoader(l.maxBatch, l.fetch) })
	return l.l
}

// Load is dataloader.Loader.Load.
func (l *loader[K, V]) Load(ctx context.Context, k K) dataloader.Thunk[V] {
	return l.get().Load(ctx, k)
}

// primeAll reads keys through the loader's own fetch, in one call, and
// primes the loader with what it found (the zero value for a key with
// nothing), as one batch of Loads of them all would.
func (l *loader[K, V]) primeAll(ctx context.Context, keys []K) error {
	found, err := l.fetch(ctx, keys)
	if err != nil {
		return err
	}
	for _, k := range keys {
		l.Prime(ctx, k, found[k])
	}
	return nil
}

// Prime is dataloader.Loader.Prime.
func (l *loader[K, V]) Prime(ctx context.Context, k K, v V) { l.get().Prime(ctx, k, v) }

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
