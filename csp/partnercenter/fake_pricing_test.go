package partnercenter

import (
	"archive/zip"
	"bytes"
	"net/http"
	"regexp"
	"strings"
)

// fakeMarket is what the fake Partner Center sells in one country, and
// its new-commerce price list (CSV lines after the header).
type fakeMarket struct {
	currency string
	sold     map[string]bool // productId:skuId
	sheet    []string
}

// sheetHeader is the header of Microsoft's sample price list, curly
// quote included, with the Segment column of today's lists at the end.
const sheetHeader = `"ProductTitle","ProductId","SkuId","SkuTitle","Publisher","SkuDescription","UnitOfMeasure","TermDuration","BillingPlan","Market","Currency","UnitPrice","PricingTierRangeMin","PricingTierRangeMax","EffectiveStartDate","EffectiveEndDate","Tags","ERP Price“,"Segment"`

func sheetLine(product, term, plan, market, currency, erp, start, end, segment string) string {
	return `"Title","` + product + `","0001","Title","Microsoft Corporation","","","` + term + `","` + plan + `","` + market + `","` +
		currency + `","1","","","` + start + `","` + end + `","License","` + erp + `","` + segment + `"`
}

// defaultMarkets: France in EUR sells the four offers of the test
// catalog, but its price list lacks E3; the United States in USD does
// not sell E3. Business Standard's French price changes on 1 December
// 2026.
func defaultMarkets() map[string]*fakeMarket {
	key := func(p string) string { return p + ":0001" }
	return map[string]*fakeMarket{
		"FR": {currency: "EUR",
			sold: map[string]bool{key(bizProduct): true, key(bizBasic): true, key(e1Product): true, key(e3Product): true},
			sheet: []string{
				sheetLine(bizProduct, "P1Y", "Monthly", "FR", "EUR", "10.5", "10/1/2026 12:00:00 AM", "11/1/2026 12:00:00 AM", "Commercial"),
				sheetLine(bizProduct, "P1Y", "Monthly", "FR", "EUR", "11.7", "11/1/2026 12:00:00 AM", "12/1/2026 12:00:00 AM", "Commercial"),
				sheetLine(bizProduct, "P1Y", "Monthly", "FR", "EUR", "12.3", "12/1/2026 12:00:00 AM", "", "Commercial"),
				sheetLine(bizProduct, "P1Y", "Annual", "FR", "EUR", "140.4", "1/1/2026 12:00:00 AM", "", "Commercial"),
				sheetLine(bizBasic, "P1Y", "Monthly", "FR", "EUR", "5.6", "1/1/2026 12:00:00 AM", "", "Commercial"),
				sheetLine(e1Product, "P1Y", "Monthly", "FR", "EUR", "2", "1/1/2026 12:00:00 AM", "", "Education"),
				sheetLine(e1Product, "P1Y", "Monthly", "FR", "EUR", "9.4", "1/1/2026 12:00:00 AM", "", "Commercial"),
			}},
		"US": {currency: "USD",
			sold: map[string]bool{key(bizProduct): true, key(bizBasic): true, key(e1Product): true},
			sheet: []string{
				sheetLine(bizProduct, "P1Y", "Monthly", "US", "USD", "12.5", "1/1/2026 12:00:00 AM", "", "Commercial"),
				sheetLine(bizBasic, "P1Y", "Monthly", "US", "USD", "6", "1/1/2026 12:00:00 AM", "", "Commercial"),
				sheetLine(e1Product, "P1Y", "Monthly", "US", "USD", "10", "1/1/2026 12:00:00 AM", "", "Commercial"),
			}},
	}
}

// addCustomer makes another customer known, billed in country.
func (f *fakePC) addCustomer(id, country string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.countries[id] = country
}

// productAvailabilities is GET /v1/products/{id}/skus/{sku}/availabilities
// ?country=: the country is required; a SKU not sold there has none.
func (f *fakePC) productAvailabilities(w http.ResponseWriter, r *http.Request) {
	country := r.URL.Query().Get("country")
	f.mu.Lock()
	m := f.markets[strings.ToUpper(country)]
	f.mu.Unlock()
	if country == "" || m == nil {
		pcError(w, 400, "400", "country is required and must be a known market")
		return
	}
	pid, sku := r.PathValue("pid"), r.PathValue("sku")
	items := []any{}
	if m.sold[pid+":"+sku] {
		items = append(items, map[string]any{"id": "AV-" + country, "productId": pid, "skuId": sku,
			"catalogItemId": pid + ":" + sku + ":AV-" + country, "segment": "commercial", "country": country,
			"defaultCurrency": map[string]any{"code": m.currency, "symbol": "¤"}})
	}
	writeJSON(w, 200, map[string]any{"totalCount": len(items), "items": items, "attributes": map[string]any{"objectType": "Collection"}})
}

var sheetRE = regexp.MustCompile(`^pricesheets\(Market='([A-Za-z]{2})',PricesheetView='([a-z_]+)'\)$`)

// priceSheet is GET /v1.0/sales/pricesheets(Market='XX',PricesheetView=
// 'view')/$value: a CSV file, zipped when asked with Accept-Encoding:
// deflate.
func (f *fakePC) priceSheet(w http.ResponseWriter, r *http.Request) {
	m := sheetRE.FindStringSubmatch(r.PathValue("sheet"))
	if m == nil || r.PathValue("value") != "$value" {
		pcError(w, 404, "404", "Not found")
		return
	}
	switch m[2] {
	case "azure_consumption", "azure_reservations", "updatedlicensebased", "marketplace", "software":
	default:
		pcError(w, 400, "400", "unknown PricesheetView")
		return
	}
	f.mu.Lock()
	mk := f.markets[strings.ToUpper(m[1])]
	var lines []string
	if mk != nil && m[2] == "updatedlicensebased" {
		lines = append([]string{sheetHeader}, mk.sheet...)
	}
	f.mu.Unlock()
	if lines == nil {
		pcError(w, 404, "404", "No price sheet for this market and view")
		return
	}
	data := []byte(strings.Join(lines, "\r\n") + "\r\n")
	w.Header().Set("Content-Disposition", "attachment; filename=sheets.csv")
	w.Header().Set("Content-Type", "application/octet-stream")
	if strings.Contains(r.Header.Get("Accept-Encoding"), "deflate") {
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		fw, err := zw.Create("sheets.csv")
		if err == nil {
			_, err = fw.Write(data)
		}
		if err == nil {
			err = zw.Close()
		}
		if err != nil {
			f.t.Errorf("zip: %v", err)
		}
		data = buf.Bytes()
	}
	w.WriteHeader(200)
	_, _ = w.Write(data)
}
