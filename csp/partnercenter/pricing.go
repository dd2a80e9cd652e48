package partnercenter

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/licensebot/licensebot/csp"
	"github.com/licensebot/licensebot/csp/internal/portal"
)

// A customer's catalog is the reseller's catalog file (which holds the
// aliases, tiers and upgrade paths people use) narrowed to the offers
// Partner Center sells in the customer's market, priced from Microsoft's
// new-commerce price list for that market, in its currency. Everything is
// cached per market, so customers of one market share one *csp.Catalog
// (the engine builds one intent parser per distinct catalog), and fetched
// once per market however many turns ask at the same time.

// Price-list constants, from Microsoft's "Get a price sheet" page.
const (
	// priceSheetView is the new-commerce licence-based price list.
	priceSheetView = "updatedlicensebased"
	// maxPriceSheet bounds the price list's download: the uncompressed
	// list of one market is tens of megabytes.
	maxPriceSheet = 256 << 20
	// catalogTimeout bounds building one market's catalog; it runs
	// detached from the turn that started it, so the turns waiting on it
	// all get its result.
	catalogTimeout = 2 * time.Minute
	// catalogRetry is how long a catalog built without all of Partner
	// Center's answers (an outage, missing credentials) is kept before
	// trying again.
	catalogRetry = 5 * time.Minute
)

// marketCache holds each customer's market and each market's catalog.
type marketCache struct {
	ttl       time.Duration
	mu        sync.Mutex
	customers map[string]cachedMarket
	catalogs  map[string]*marketEntry
}

type cachedMarket struct {
	market string
	until  time.Time
}

// marketEntry is one market's catalog; done is closed once cat and until
// are set.
type marketEntry struct {
	done  chan struct{}
	cat   *csp.Catalog
	until time.Time
}

func newMarketCache(ttl time.Duration) marketCache {
	if ttl <= 0 {
		ttl = DefaultCatalogTTL
	}
	return marketCache{ttl: ttl, customers: map[string]cachedMarket{}, catalogs: map[string]*marketEntry{}}
}

// Catalog returns the offers the customer can buy in its market, with
// that market's prices and currency (see the comment at the top of this
// file). When Partner Center cannot say (an outage, no App+User
// credentials for the price list), the catalog file fills the gap and a
// warning is logged: a turn never fails for want of a price.
func (c *Client) Catalog(ctx context.Context, customerID string) (*csp.Catalog, error) {
	log := c.log.With("customer_id", customerID)
	market, err := c.marketOf(ctx, customerID)
	if err != nil {
		log.WarnContext(ctx, "customer's market unknown; offering the catalog file as it is", "err", err)
		return c.cat, nil
	}
	return c.marketCatalog(ctx, market, log), nil
}

// marketOf is the customer's market, read once per catalog lifetime.
func (c *Client) marketOf(ctx context.Context, customerID string) (string, error) {
	now := c.clock.Now()
	m := &c.markets
	m.mu.Lock()
	if cm, ok := m.customers[customerID]; ok && now.Before(cm.until) {
		m.mu.Unlock()
		return cm.market, nil
	}
	m.mu.Unlock()
	market, err := c.Market(ctx, customerID)
	if err != nil {
		return "", err
	}
	if len(market) != 2 {
		return "", fmt.Errorf("partnercenter: customer %s: no billing country in its profile", customerID)
	}
	m.mu.Lock()
	m.customers[customerID] = cachedMarket{market: market, until: now.Add(m.ttl)}
	m.mu.Unlock()
	return market, nil
}

// marketCatalog returns the market's cached catalog, building it when
// missing or expired; concurrent callers wait for one build.
func (c *Client) marketCatalog(ctx context.Context, market string, log *slog.Logger) *csp.Catalog {
	m := &c.markets
	m.mu.Lock()
	e := m.catalogs[market]
	if e == nil || (e.built() && !c.clock.Now().Before(e.until)) {
		e = &marketEntry{done: make(chan struct{})}
		m.catalogs[market] = e
		go c.buildMarket(context.WithoutCancel(ctx), market, e)
	}
	m.mu.Unlock()
	select {
	case <-e.done:
		return e.cat
	case <-ctx.Done():
		log.WarnContext(ctx, "gave up waiting for the market's catalog; offering the catalog file", "market", market, "err", ctx.Err())
		return c.cat
	}
}

func (e *marketEntry) built() bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// buildMarket builds a market's catalog and wakes its waiters.
func (c *Client) buildMarket(ctx context.Context, market string, e *marketEntry) {
	ctx, cancel := context.WithTimeout(ctx, catalogTimeout)
	defer cancel()
	now := c.clock.Now()
	cat, complete := c.buildMarketCatalog(ctx, market)
	keep := c.markets.ttl
	if !complete {
		keep = min(keep, catalogRetry)
	}
	c.markets.mu.Lock()
	e.cat, e.until = cat, now.Add(keep)
	c.markets.mu.Unlock()
	close(e.done)
}

// buildMarketCatalog narrows and prices the catalog file for market.
// complete is false when a Partner Center answer was missing and the
// file filled in.
func (c *Client) buildMarketCatalog(ctx context.Context, market string) (cat *csp.Catalog, complete bool) {
	log := c.log.With("market", market)
	sold, availErr := c.soldIn(ctx, market)
	if availErr != nil {
		log.WarnContext(ctx, "partner center's availabilities unreadable; offering every offer of the catalog file", "err", availErr)
	}
	prices, priceErr := c.priceList(ctx, market)
	if priceErr != nil {
		log.WarnContext(ctx, "partner center's price list unreadable; prices from the catalog file", "err", priceErr)
	}
	var offers []csp.Offer
	for _, o := range c.cat.Offers {
		key := productSku(o.ProviderOfferID)
		if key != "" && availErr == nil && !sold[key] {
			log.InfoContext(ctx, "offer not sold in this market; left out", "offer", o.ID)
			continue
		}
		o.Prices = append([]csp.Price(nil), o.Prices...)
		for i, p := range o.Prices {
			if key == "" || priceErr != nil {
				continue
			}
			if unit, ok := prices[priceKey{key, p.Term, p.Billing}]; ok {
				o.Prices[i].Unit = unit
				continue
			}
			log.WarnContext(ctx, "price missing from partner center's price list; using the catalog file's",
				"offer", o.ID, "term", string(p.Term), "billing", string(p.Billing), "file_price", p.Unit.String())
		}
		offers = append(offers, o)
	}
	cat, err := csp.NewCatalog(offers)
	if err != nil {
		log.WarnContext(ctx, "market catalog invalid; offering the catalog file", "err", err)
		return c.cat, false
	}
	return cat, availErr == nil && priceErr == nil
}

// productSku is "productId:skuId" of a catalog item id, "" without one.
func productSku(providerOfferID string) string {
	parts := strings.Split(providerOfferID, ":")
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	return strings.ToUpper(parts[0]) + ":" + strings.ToUpper(parts[1])
}

// soldIn reports which product:sku pairs of the catalog file Partner
// Center sells in market (GET /v1/products/{id}/skus/{sku}/availabilities
// ?country=): a SKU with no commercial availability there is not sold.
func (c *Client) soldIn(ctx context.Context, market string) (map[string]bool, error) {
	sold := map[string]bool{}
	seen := map[string]bool{}
	for _, o := range c.cat.Offers {
		key := productSku(o.ProviderOfferID)
		if key == "" || seen[key] {
			continue
		}
		seen[key] = true
		product, sku, _ := strings.Cut(key, ":")
		var col collection[availability]
		path := "/v1/products/" + url.PathEscape(product) + "/skus/" + url.PathEscape(sku) + "/availabilities"
		_, err := c.do(ctx, request{method: http.MethodGet, path: path, query: url.Values{"country": {market}}}, &col)
		switch {
		case errors.Is(err, csp.ErrNotFound):
			continue
		case err != nil:
			return nil, fmt.Errorf("availabilities of %s in %s: %w", key, market, err)
		}
		for _, a := range col.Items {
			if a.Segment == "" || strings.EqualFold(a.Segment, "commercial") {
				sold[key] = true
			}
		}
	}
	return sold, nil
}

// priceKey names one price of the price list.
type priceKey struct {
	productSku string
	term       csp.Term
	billing    csp.BillingCycle
}

// priceList reads market's new-commerce licence price list
// (GET {pricing}/v1.0/sales/pricesheets(Market='XX',PricesheetView=
// 'updatedlicensebased')/$value, App+User only) and returns the
// estimated retail price of each product, SKU, term and billing plan in
// force now, in the market's currency.
func (c *Client) priceList(ctx context.Context, market string) (map[priceKey]csp.Money, error) {
	path := "/v1.0/sales/pricesheets(Market='" + market + "',PricesheetView='" + priceSheetView + "')/$value"
	var body []byte
	r := request{method: http.MethodGet, path: path, base: c.pricing, auth: authPricing, limit: maxPriceSheet,
		header: map[string]string{"Accept": "text/csv, application/octet-stream, application/zip", "Accept-Encoding": "deflate"}}
	if _, err := c.do(ctx, r, &body); err != nil {
		return nil, fmt.Errorf("price list of %s: %w", market, err)
	}
	csvData, err := unzipSheet(body)
	if err != nil {
		return nil, fmt.Errorf("price list of %s: %w", market, err)
	}
	prices, err := parsePriceSheet(csvData, market, c.clock.Now())
	if err != nil {
		return nil, fmt.Errorf("price list of %s: %w", market, err)
	}
	return prices, nil
}

// unzipSheet returns the CSV of a price list sent compressed (a zip
// holding one .csv, when asked with Accept-Encoding: deflate) or plain.
func unzipSheet(body []byte) (io.Reader, error) {
	if !bytes.HasPrefix(body, []byte("PK\x03\x04")) {
		return bytes.NewReader(body), nil
	}
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		return nil, fmt.Errorf("unzip: %w", err)
	}
	for _, f := range zr.File {
		if strings.HasSuffix(strings.ToLower(f.Name), ".csv") {
			rc, err := f.Open()
			if err != nil {
				return nil, fmt.Errorf("unzip %s: %w", f.Name, err)
			}
			data, err := io.ReadAll(io.LimitReader(rc, maxPriceSheet))
			rc.Close()
			if err != nil {
				return nil, fmt.Errorf("unzip %s: %w", f.Name, err)
			}
			return bytes.NewReader(data), nil
		}
	}
	return nil, errors.New("unzip: no .csv in the archive")
}

// sheetColumns are the price list's columns the bot reads, by their
// header names (matched without case, quotes or spaces).
var sheetColumns = []string{"productid", "skuid", "termduration", "billingplan", "market", "currency",
	"erpprice", "pricingtierrangemin", "effectivestartdate", "effectiveenddate", "segment"}

// parsePriceSheet keeps, per product, SKU, term and billing plan, the
// estimated retail price ("ERP Price", per billing period like the
// catalog's prices) of the first tier, in force at now, for the
// commercial segment when the sheet has a Segment column.
func parsePriceSheet(r io.Reader, market string, now time.Time) (map[priceKey]csp.Money, error) {
	cr, col, err := openSheet(r)
	if err != nil {
		return nil, err
	}
	type chosen struct {
		unit  csp.Money
		start time.Time
	}
	best := map[priceKey]chosen{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read: %w", err)
		}
		k, unit, start, ok := sheetRow{col: col, rec: rec}.price(market, now)
		if !ok {
			continue
		}
		if prev, ok := best[k]; ok && prev.start.After(start) {
			continue
		}
		best[k] = chosen{unit: unit, start: start}
	}
	out := make(map[priceKey]csp.Money, len(best))
	for k, v := range best {
		out[k] = v.unit
	}
	return out, nil
}

// openSheet reads the price list's header and returns the reader of its
// rows and the index of each column by headerName.
func openSheet(r io.Reader) (*csv.Reader, map[string]int, error) {
	// Microsoft's sample closes "ERP Price with a curly quote, which no
	// CSV reader takes for a quote: the header line is straightened first.
	br := bufio.NewReader(r)
	first, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("read header: %w", err)
	}
	first = strings.NewReplacer("“", `"`, "”", `"`).Replace(first)
	cr := csv.NewReader(io.MultiReader(strings.NewReader(first), br))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, nil, fmt.Errorf("read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[headerName(h)] = i
	}
	for _, need := range []string{"productid", "skuid", "termduration", "billingplan", "currency", "erpprice"} {
		if _, ok := col[need]; !ok {
			return nil, nil, fmt.Errorf("column %q missing from the price list", need)
		}
	}
	return cr, col, nil
}

// sheetRow is one row of the price list.
type sheetRow struct {
	col map[string]int
	rec []string
}

func (r sheetRow) get(name string) string {
	if i, ok := r.col[name]; ok && i < len(r.rec) {
		return strings.TrimSpace(r.rec[i])
	}
	return ""
}

// price is the row's key, first-tier unit price and start, unless the
// row is for another market or segment, a higher tier, not in force at
// now, or unreadable.
func (r sheetRow) price(market string, now time.Time) (priceKey, csp.Money, time.Time, bool) {
	if m := r.get("market"); m != "" && !strings.EqualFold(m, market) {
		return priceKey{}, csp.Money{}, time.Time{}, false
	}
	if s := r.get("segment"); s != "" && !strings.EqualFold(s, "commercial") {
		return priceKey{}, csp.Money{}, time.Time{}, false
	}
	if t := r.get("pricingtierrangemin"); t != "" {
		if n, err := strconv.ParseFloat(t, 64); err == nil && n > 1 {
			return priceKey{}, csp.Money{}, time.Time{}, false
		}
	}
	start, end := sheetTime(r.get("effectivestartdate")), sheetTime(r.get("effectiveenddate"))
	if (!start.IsZero() && now.Before(start)) || (!end.IsZero() && !now.Before(end)) {
		return priceKey{}, csp.Money{}, time.Time{}, false
	}
	term, err1 := csp.ParseTerm(r.get("termduration"))
	billing, ok := billingPlan(r.get("billingplan"))
	amount, err2 := strconv.ParseFloat(r.get("erpprice"), 64)
	cur := strings.ToUpper(r.get("currency"))
	if err1 != nil || !ok || err2 != nil || len(cur) != 3 {
		return priceKey{}, csp.Money{}, time.Time{}, false
	}
	k := priceKey{strings.ToUpper(r.get("productid")) + ":" + strings.ToUpper(r.get("skuid")), term, billing}
	return k, csp.NewMoney(amount, cur), start, true
}

// headerName normalises a header cell: "ERP Price" has a space, and a
// byte-order mark may open the file.
func headerName(h string) string {
	h = strings.TrimPrefix(h, "\ufeff")
	h = strings.Map(func(r rune) rune {
		switch r {
		case '"', ' ', '\t':
			return -1
		}
		return r
	}, h)
	return strings.ToLower(h)
}

// billingPlan maps the price list's BillingPlan, spelt as the
// subscriptions' billing cycle; a row without one is not ok.
func billingPlan(s string) (csp.BillingCycle, bool) {
	if s == "" {
		return "", false
	}
	return portal.MapBilling(s)
}

// sheetTime reads the price list's dates ("2/1/2019 12:00:00 AM" in
// Microsoft's sample, in UTC); zero when empty or unreadable.
func sheetTime(s string) time.Time {
	for _, layout := range []string{"1/2/2006 3:04:05 PM", time.RFC3339, "2006-01-02T15:04:05", "2006-01-02", "1/2/2006"} {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			return t
		}
	}
	return time.Time{}
}
