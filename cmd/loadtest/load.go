package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fahuo/fahuo/app"
	"github.com/fahuo/fahuo/database"
	"github.com/fahuo/fahuo/fulfillment"
	"github.com/fahuo/fahuo/models"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"
)

// The data set's fixed names.
const (
	merchantEmail = "merchant-a@demo.fahuo" // the demo shop A's owner
	buyerDomain   = "@loadtest.fahuo"
	buyerPassword = "loadtest-buyer"
	buyerCount    = 100
	receiveRegion = "440305" // 广东省 深圳市 南山区, for every buyer
)

func buyerEmail(k int) string { return fmt.Sprintf("buyer-%03d%s", k, buyerDomain) }

// maxRun is the highest run number that W3's and W4's tracking numbers
// can carry (nextRun).
const maxRun = 999_999

// Tracking-number ranges, apart from the demo data's and from each other.
func loadSFNumber(i, pkg int) string {
	return fmt.Sprintf("SF%013d", 2_000_000_000_000+int64(i)*2+int64(pkg))
}
func w3SFNumber(run, k int) string {
	return fmt.Sprintf("SF%013d", 3_000_000_000_000+int64(run)*1_000_000+int64(k))
}
func w4YTNumber(run, k int) string {
	return fmt.Sprintf("YT%013d", 8_000_000_000_000+int64(run)*100_000+int64(k))
}

// store is the database a run works on and its snapshot.
type store struct {
	dialect database.Dialect
	// url is the working database, as the server opens it.
	url string
	// PostgreSQL: the admin URL -db gave, the working database's name and
	// the snapshot's.
	adminURL, name, snapName string
	// SQLite: the working file, the snapshot file and the temporary
	// directory we made (if any).
	path, snapPath, dir string
	keep                bool
	snapshotted         bool
}

// newStore creates a fresh, empty database as -db says.
func newStore(ctx context.Context, dbURL string, keep bool) (*store, error) {
	if database.IsPostgresURL(dbURL) {
		u, err := url.Parse(dbURL)
		if err != nil {
			return nil, fmt.Errorf("-db: %w", err)
		}
		b := make([]byte, 4)
		_, _ = rand.Read(b)
		s := &store{dialect: database.Postgres, adminURL: dbURL, keep: keep,
			name: "fahuo_loadtest_" + hex.EncodeToString(b)}
		s.snapName = s.name + "_snap"
		if err := s.admin(ctx, "CREATE DATABASE "+s.name); err != nil {
			return nil, fmt.Errorf("create database %s: %w", s.name, err)
		}
		u.Path = "/" + s.name
		s.url = u.String()
		return s, nil
	}
	s := &store{dialect: database.SQLite, keep: keep}
	if dbURL == "" {
		dir, err := os.MkdirTemp("", "fahuo-loadtest-")
		if err != nil {
			return nil, err
		}
		s.dir, s.path = dir, filepath.Join(dir, "fahuo.db")
	} else {
		s.path = strings.TrimPrefix(strings.TrimPrefix(dbURL, "sqlite://"), "sqlite:")
		if _, err := os.Stat(s.path); err == nil {
			return nil, fmt.Errorf("-db: %s exists; the load test starts from an empty database (use -target to measure a loaded one)", s.path)
		}
	}
	s.snapPath = s.path + ".snapshot"
	s.url = "sqlite:" + s.path
	return s, nil
}

// describe names the working database for the output, without secrets.
func (s *store) describe() string {
	if s.dialect == database.Postgres {
		return redact(s.url)
	}
	return s.url
}

// admin runs one statement on the PostgreSQL admin connection.
func (s *store) admin(ctx context.Context, stmt string) error {
	db, err := sql.Open("pgx", s.adminURL)
	if err != nil {
		return err
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, stmt)
	return err
}

// snapshot keeps the loaded database. Every connection to it must be closed.
func (s *store) snapshot(ctx context.Context) error {
	if s.dialect == database.Postgres {
		if err := s.admin(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", s.snapName, s.name)); err != nil {
			return err
		}
	} else if err := copyFile(s.path, s.snapPath); err != nil {
		return err
	}
	s.snapshotted = true
	return nil
}

// restore replaces the working database by the snapshot. Every connection
// to it must be closed.
func (s *store) restore(ctx context.Context) error {
	if !s.snapshotted {
		return errors.New("no snapshot taken")
	}
	if s.dialect == database.Postgres {
		if err := s.admin(ctx, "DROP DATABASE IF EXISTS "+s.name+" WITH (FORCE)"); err != nil {
			return err
		}
		return s.admin(ctx, fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s", s.name, s.snapName))
	}
	for _, suffix := range []string{"-wal", "-shm", ""} {
		if err := os.Remove(s.path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return copyFile(s.snapPath, s.path)
}

// cleanup drops what newStore created, unless it is to be kept, and says
// what it did.
func (s *store) cleanup(ctx context.Context) string {
	if s.keep {
		if s.dialect == database.Postgres {
			return fmt.Sprintf("kept databases %s and %s", s.name, s.snapName)
		}
		return fmt.Sprintf("kept %s and %s", s.path, s.snapPath)
	}
	if s.dialect == database.Postgres {
		var errs []error
		for _, name := range []string{s.name, s.snapName} {
			if err := s.admin(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
				errs = append(errs, err)
			}
		}
		if err := errors.Join(errs...); err != nil {
			return "cleanup: " + err.Error()
		}
		return fmt.Sprintf("dropped databases %s and %s", s.name, s.snapName)
	}
	if s.dir != "" {
		_ = os.RemoveAll(s.dir)
		return "removed " + s.dir
	}
	for _, p := range []string{s.path, s.path + "-wal", s.path + "-shm", s.snapPath} {
		_ = os.Remove(p)
	}
	return "removed " + s.path + " and its snapshot"
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		_ = out.Close()
		return err
	}
	return out.Close()
}

// load fills the fresh database with the data set, through the domain layer,
// and takes the snapshot.
func (r *runner) load(ctx context.Context) error {
	t0 := time.Now()
	a, err := app.New(ctx, app.Config{DatabaseURL: r.store.url, Seed: true, Logger: r.log})
	if err != nil {
		return fmt.Errorf("open and seed: %w", err)
	}
	if len(a.Demo.Shops) == 0 {
		_ = a.Close()
		return errors.New("the database was not empty: no demo data seeded")
	}
	fmt.Fprintf(r.out, "loader: migrated and seeded the demo data in %s\n", time.Since(t0).Round(time.Millisecond))
	st, err := loadDataSet(ctx, a, r.cfg.orders, r.out)
	if err != nil {
		_ = a.Close()
		return err
	}
	t1 := time.Now()
	if r.store.dialect == database.Postgres {
		if err := a.DB.WithContext(ctx).Exec("VACUUM ANALYZE").Error; err != nil {
			_ = a.Close()
			return fmt.Errorf("vacuum analyze: %w", err)
		}
		fmt.Fprintf(r.out, "loader: VACUUM ANALYZE in %s\n", time.Since(t1).Round(time.Millisecond))
	} else {
		if r.cfg.sqliteStat {
			if err := a.DB.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
				_ = a.Close()
				return fmt.Errorf("analyze: %w", err)
			}
			fmt.Fprintf(r.out, "loader: ANALYZE in %s (-sqlite-analyze)\n", time.Since(t1).Round(time.Millisecond))
		}
		if err := a.DB.WithContext(ctx).Exec("PRAGMA wal_checkpoint(TRUNCATE)").Error; err != nil {
			_ = a.Close()
			return fmt.Errorf("checkpoint: %w", err)
		}
	}
	if err := a.Close(); err != nil {
		return err
	}
	t2 := time.Now()
	if err := r.store.snapshot(ctx); err != nil {
		return fmt.Errorf("snapshot: %w", err)
	}
	fmt.Fprintf(r.out, "loader: snapshot taken in %s\n", time.Since(t2).Round(time.Millisecond))
	total := time.Since(t0)
	analyzed := "VACUUM ANALYZE"
	if r.store.dialect == database.SQLite {
		analyzed = "no ANALYZE by the loader (the server runs a bounded one when it starts)"
		if r.cfg.sqliteStat {
			analyzed = "ANALYZE"
		}
	}
	fact := fmt.Sprintf("loading: %d orders placed (%s, %.0f/s) and %d shipped in 2 packages each (%s, %.0f/s) through fulfillment.Service; %s; total with seed and snapshot %s; buyers inserted directly (no domain method creates buyers)",
		st.placed, st.placeTime.Round(time.Millisecond), float64(st.placed)/st.placeTime.Seconds(),
		st.shipped, st.shipTime.Round(time.Millisecond), float64(st.shipped)/st.shipTime.Seconds(), analyzed, total.Round(time.Millisecond))
	fmt.Fprintln(r.out, fact)
	r.facts = append(r.facts, fact)
	return nil
}

// loadStats says how loading went.
type loadStats struct {
	placed, shipped     int
	placeTime, shipTime time.Duration
}

// loadDataSet creates the data set of WORKLOADS.md in the demo shop A:
// a template, three products, 100 buyers and n orders, every odd one
// shipped in two packages.
func loadDataSet(ctx context.Context, a *app.App, n int, out io.Writer) (loadStats, error) {
	var st loadStats
	svc := a.Service
	_, owner, err := svc.Login(ctx, merchantEmail, fulfillment.DemoPassword)
	if err != nil {
		return st, fmt.Errorf("log in %s: %w", merchantEmail, err)
	}
	tpl, err := svc.CreateShippingTemplate(ctx, owner, fulfillment.TemplateInput{
		Name: "压测包邮", ShipFromRegion: "330106", Pricing: models.PricingByPiece,
		Default:   models.FeeRule{FirstUnits: 1, FirstFeeCents: 0, ExtraUnits: 1, ExtraFeeCents: 0},
		FreeRules: []models.FreeShippingRule{{Regions: []string{}, Kind: models.FreeByAmount, Threshold: 1}},
	})
	if err != nil {
		return st, fmt.Errorf("create template: %w", err)
	}
	var products [3]models.Product
	for v, size := range []string{"S", "M", "L"} {
		title, sku := "压测礼盒 "+size+" 号", "LT-BOX-"+size
		price, weight, stock := int64(9900+3000*v), int64(800+400*v), int64(1_000_000)
		p, err := svc.CreateProduct(ctx, owner, fulfillment.ProductInput{
			Title: &title, SKU: &sku, PriceCents: &price, WeightGrams: &weight, Stock: &stock, TemplateID: &tpl.ID,
			Promise: &fulfillment.PromiseInput{Mode: models.PromiseSpot},
		})
		if err != nil {
			return st, fmt.Errorf("create product %s: %w", sku, err)
		}
		products[v] = p
	}
	// No domain method creates buyer accounts (there is no sign-up), so
	// they are inserted as rows, with a cheap bcrypt hash.
	hash, err := bcrypt.GenerateFromPassword([]byte(buyerPassword), bcrypt.MinCost)
	if err != nil {
		return st, err
	}
	users := make([]models.User, buyerCount)
	now := time.Now().UTC()
	for k := range users {
		users[k] = models.User{Email: buyerEmail(k), Name: fmt.Sprintf("压测买家%03d", k), PasswordHash: string(hash),
			Role: models.RoleBuyer, CreatedAt: now}
	}
	if err := a.DB.WithContext(ctx).Create(&users).Error; err != nil {
		return st, fmt.Errorf("insert buyers: %w", err)
	}
	fmt.Fprintln(out, "loader: buyers inserted directly (100 BUYER rows in users, bcrypt MinCost): the domain has no method that creates buyers")
	buyers := make([]fulfillment.Actor, buyerCount)
	for k := range buyers {
		if _, buyers[k], err = svc.Login(ctx, buyerEmail(k), buyerPassword); err != nil {
			return st, fmt.Errorf("log in buyer %d: %w", k, err)
		}
	}
	fmt.Fprintf(out, "loader: shop %d (%s), template %d, products %d %d %d; placing %d orders…\n",
		owner.ShopID, a.Demo.Shops[0].Name, tpl.ID, products[0].ID, products[1].ID, products[2].ID, n)
	start := time.Now()
	for i := 1; i <= n; i++ {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		k := i % buyerCount
		t0 := time.Now()
		o, err := svc.PlaceOrder(ctx, buyers[k], fulfillment.PlaceOrderInput{
			Items: []fulfillment.QuoteItem{
				{ProductID: products[0].ID, Quantity: int64(1 + i%2)},
				{ProductID: products[1+i%2].ID, Quantity: 1},
			},
			Address: fulfillment.AddressInput{RecipientName: users[k].Name, Phone: fmt.Sprintf("139%08d", 10_000_000+k),
				RegionCode: receiveRegion, Detail: fmt.Sprintf("科技园南区 %d 栋 %d 室", 1+k/10, 101+k%10)},
		})
		st.placeTime += time.Since(t0)
		if err != nil {
			return st, fmt.Errorf("place order %d: %w", i, err)
		}
		st.placed++
		if i%2 == 1 {
			t1 := time.Now()
			lines, err := svc.OrderLines(ctx, owner, []fulfillment.Key{fulfillment.KeyOf(o)})
			if err != nil {
				return st, fmt.Errorf("lines of order %d: %w", i, err)
			}
			ls := lines[fulfillment.KeyOf(o)]
			if len(ls) != 2 {
				return st, fmt.Errorf("order %d has %d lines, want 2", i, len(ls))
			}
			pkgs := make([]fulfillment.PackageInput, len(ls))
			for j, l := range ls {
				pkgs[j] = fulfillment.PackageInput{Carrier: "SF", TrackingNumber: loadSFNumber(i, j),
					Lines: []fulfillment.LineQuantity{{OrderLineID: l.ID, Quantity: l.Quantity}}}
			}
			shipped, _, err := svc.ShipOrder(ctx, owner, fulfillment.ShipOrderInput{Order: fulfillment.OrderRef{ID: o.ID}, Packages: pkgs})
			st.shipTime += time.Since(t1)
			if err != nil {
				return st, fmt.Errorf("ship order %d: %w", i, err)
			}
			if shipped.Status != models.OrderShipped {
				return st, fmt.Errorf("order %d is %s after shipping both lines", i, shipped.Status)
			}
			st.shipped++
		}
		if i%(max(n/10, 1)) == 0 {
			fmt.Fprintf(out, "loader: %d/%d orders (%s)\n", i, n, time.Since(start).Round(time.Second))
			// Fresh planner statistics as the tables grow, as autovacuum
			// would keep them (it may be off on a benchmark cluster):
			// planned as empty, the tables were scanned, and every
			// thousand orders took longer to place than the last.
			if database.DialectOf(a.DB) == database.Postgres {
				if err := a.DB.WithContext(ctx).Exec("ANALYZE").Error; err != nil {
					return st, fmt.Errorf("analyze: %w", err)
				}
			}
		}
	}
	return st, nil
}

// order is one order of the data set, as the workloads address it.
type order struct {
	id, shopID, buyerID int64
	number              string
	buyer               int // k of the buyer's e-mail
	status              string
}

// dataset is the loaded data as read back from the database: the orders in
// placement order (order i is orders[i-1]), which of them are shipped and
// pending, and the buyers.
type dataset struct {
	shopID     int64
	shopOrders int64
	orders     []order
	shipped    []int // indexes into orders
	pending    []int
	buyers     []buyerAccount
}

// buyerAccount is one of the data set's buyers.
type buyerAccount struct {
	id    int64
	email string
}

// readDataset reads the data set's orders back from the database: the
// workloads' targets are made from what is there, not from what the loader
// remembers, so that -target runs work the same.
func readDataset(ctx context.Context, db *gorm.DB) (*dataset, error) {
	var rows []struct {
		ID, ShopID, BuyerID int64
		Number, Status      string
		Email               string
	}
	err := db.WithContext(ctx).Raw(`SELECT o.id, o.shop_id, o.buyer_id, o.number, o.status, u.email
		FROM orders o JOIN users u ON u.id = o.buyer_id
		WHERE u.email LIKE ? ORDER BY o.id`, "%"+buyerDomain).Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("read the data set: %w", err)
	}
	if len(rows) == 0 {
		return nil, errors.New("the database holds no load-test orders (buyers *" + buyerDomain + "); load it with -load-only first")
	}
	d := &dataset{shopID: rows[0].ShopID}
	for i, row := range rows {
		var k int
		if _, err := fmt.Sscanf(row.Email, "buyer-%d@", &k); err != nil || k < 0 || k >= buyerCount {
			return nil, fmt.Errorf("unexpected buyer e-mail %q", row.Email)
		}
		if row.ShopID != d.shopID {
			return nil, fmt.Errorf("load-test orders in two shops (%d, %d)", d.shopID, row.ShopID)
		}
		d.orders = append(d.orders, order{id: row.ID, shopID: row.ShopID, buyerID: row.BuyerID, number: row.Number, buyer: k, status: row.Status})
		switch models.OrderStatus(row.Status) {
		case models.OrderShipped:
			d.shipped = append(d.shipped, i)
		case models.OrderPendingShipment:
			d.pending = append(d.pending, i)
		}
	}
	var buyers []struct {
		ID    int64
		Email string
	}
	if err := db.WithContext(ctx).Raw("SELECT id, email FROM users WHERE email LIKE ? ORDER BY email", "%"+buyerDomain).Scan(&buyers).Error; err != nil {
		return nil, err
	}
	if len(buyers) != buyerCount {
		return nil, fmt.Errorf("%d load-test buyers, want %d", len(buyers), buyerCount)
	}
	for _, b := range buyers {
		d.buyers = append(d.buyers, buyerAccount{b.ID, b.Email})
	}
	if err := db.WithContext(ctx).Raw("SELECT count(*) FROM orders WHERE shop_id = ?", d.shopID).Scan(&d.shopOrders).Error; err != nil {
		return nil, err
	}
	return d, nil
}
